"""The end-to-end harness: `aigw up` as real processes, with a fake provider beside it."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
AIGW = [sys.executable, "-m", "aigw_runtime.cli.main"]
FAKE_KEY = "sk-fake-upstream-" + "0" * 16
STARTUP_TIMEOUT_S = 60

CONFIG = """\
providers:
  - name: fake
    type: openai-compatible
    base_url: {fake_url}/v1
    api_key: env:FAKE_UPSTREAM_KEY
    timeout_s: 3
  - name: fake-backup
    type: openai
    base_url: {fake_url}/v1
    api_key: env:FAKE_UPSTREAM_KEY
    timeout_s: 3
models:
  - name: chat
    deployments: [{{provider: fake, model: fake-chat}}]
  - name: cached
    deployments: [{{provider: fake, model: fake-cached}}]
    cache: {{enabled: true, ttl_s: 60}}
  - name: fallback
    deployments:
      - {{provider: fake, model: fails-first}}
      - {{provider: fake-backup, model: backup-model}}
  - name: faulty
    deployments: [{{provider: fake, model: faulty-model}}]
  - name: private
    deployments: [{{provider: fake, model: fake-private}}]
  - name: embed
    deployments: [{{provider: fake, model: text-embedding-fake}}]
"""


def follow_output(process: subprocess.Popen[str], log: list[str]) -> None:
    """Appends the process's output lines to log, from a background thread."""

    def reader() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            log.append(line)

    threading.Thread(target=reader, daemon=True).start()


def wait_for_line(process: subprocess.Popen[str], log: list[str], prefix: str, timeout: float) -> str:
    """Waits until a line of the followed output starts with prefix, and returns it."""
    deadline = time.monotonic() + timeout
    while True:
        found = next((line for line in list(log) if line.startswith(prefix)), None)
        if found is not None:
            return found
        if process.poll() is not None:
            raise RuntimeError(
                f"process exited ({process.returncode}) before printing {prefix!r}:\n{''.join(log)}"
            )
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {prefix!r} line within {timeout} s:\n{''.join(log)}")
        time.sleep(0.02)


def _read_line_matching(process: subprocess.Popen[str], prefix: str, timeout: float, log: list[str]) -> str:
    follow_output(process, log)
    return wait_for_line(process, log, prefix, timeout)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class FakeProvider:
    url: str
    process: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)

    def knobs(self, model: str | None = None, **knobs: Any) -> None:
        body = {**knobs, **({"model": model} if model else {})}
        httpx.put(f"{self.url}/_fake/knobs", json=body).raise_for_status()

    def reset(self) -> None:
        httpx.delete(f"{self.url}/_fake/knobs").raise_for_status()
        httpx.delete(f"{self.url}/_fake/requests").raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/_fake/requests")
        response.raise_for_status()
        recorded: list[dict[str, Any]] = response.json()
        return [r for r in recorded if not r["path"].startswith("/_fake/")]


@dataclass
class Gateway:
    url: str
    grpc_addr: str
    admin_key: str
    backend: str
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[str]
    fake: FakeProvider
    database_url: str | None
    log: list[str] = field(default_factory=list)

    @property
    def v1(self) -> str:
        return self.url + "/v1"

    def create_key(
        self, name: str = "test", models: list[str] | None = None, rpm_limit: int = 0
    ) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/admin/v1/keys",
            json={"name": name, "models": models or [], "rpm_limit": rpm_limit},
            headers={"authorization": f"Bearer {self.admin_key}"},
        )
        assert response.status_code == 201, response.text
        key: dict[str, Any] = response.json()
        return key

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "AIGW_URL": self.url, "AIGW_ADMIN_KEY": self.admin_key}
        return subprocess.run([*AIGW, *args], env=env, capture_output=True, text=True, timeout=60)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_fake_provider(*extra_args: str) -> FakeProvider:
    """The fake provider as a process (`extra_args` go to `aigw fake-provider`)."""
    process = subprocess.Popen(
        [*AIGW, "fake-provider", "--port", "0", "--api-key", FAKE_KEY, *extra_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log: list[str] = []
    line = _read_line_matching(process, "fake-provider listening on ", 30, log)
    return FakeProvider(url=line.split(" on ", 1)[1].strip(), process=process, log=log)


def start_gateway(
    tmp: Path,
    fake: FakeProvider,
    backend: str,
    database_url: str | None,
    extra_env: dict[str, str] | None = None,
    config_template: str = CONFIG,
) -> Gateway:
    """`aigw up` on `config_template` (formatted with `fake_url`), on the embedded or real backend."""
    config = tmp / "config.yaml"
    config.write_text(config_template.format(fake_url=fake.url))
    http_port, grpc_port = _free_port(), _free_port()
    admin_key = "sk-admin-" + secrets.token_hex(12)
    env = {
        **os.environ,
        "AIGW_DATA_DIR": str(tmp / "data"),
        "AIGW_ADMIN_KEY": admin_key,
        "FAKE_UPSTREAM_KEY": FAKE_KEY,
        "AIGW_SHUTDOWN_GRACE_S": "5",
        **(extra_env or {}),
    }
    for name in ("AIGW_DATABASE_URL", "AIGW_REDIS_URL"):
        env.pop(name, None)
    if backend == "real":
        assert database_url is not None
        env["AIGW_DATABASE_URL"] = database_url
        env["AIGW_REDIS_URL"] = os.environ.get("AIGW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    process = subprocess.Popen(
        [*AIGW, "up", "--config", str(config), "--http-port", str(http_port), "--grpc-port", str(grpc_port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp,
    )
    log: list[str] = []
    try:
        _read_line_matching(process, "aigw is up: ", STARTUP_TIMEOUT_S, log)
    except (RuntimeError, TimeoutError):
        process.kill()
        raise
    return Gateway(
        url=f"http://127.0.0.1:{http_port}",
        grpc_addr=f"127.0.0.1:{grpc_port}",
        admin_key=admin_key,
        backend=backend,
        data_dir=tmp / "data",
        env=env,
        process=process,
        fake=fake,
        database_url=database_url,
        log=log,
    )
