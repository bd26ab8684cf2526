"""The `aigw` command: the demo `up`, config errors naming their line, migrations."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import openai

from harness import AIGW, _free_port, _read_line_matching, wait_for_line


def test_up_without_a_config_serves_the_demo_model_and_stops_on_sigint(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "AIGW_DATA_DIR": str(tmp_path / "data")}
    env.pop("AIGW_ADMIN_KEY", None)
    process = subprocess.Popen(
        [*AIGW, "up", "--http-port", str(port), "--grpc-port", str(_free_port())],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    log: list[str] = []
    try:
        _read_line_matching(process, "aigw is up: ", 60, log)
        admin_line = wait_for_line(process, log, "  admin key (shown once", 10)
        admin_key = admin_line.rsplit(": ", 1)[1].strip()
        created = httpx.post(
            f"http://127.0.0.1:{port}/admin/v1/keys",
            json={"name": "demo"},
            headers={"authorization": f"Bearer {admin_key}"},
        )
        client = openai.OpenAI(
            base_url=f"http://127.0.0.1:{port}/v1", api_key=created.json()["key"], max_retries=0
        )

        answer = client.chat.completions.create(
            model="demo", messages=[{"role": "user", "content": "hi demo"}]
        )

        assert answer.choices[0].message.content == "Echo: hi demo"
        assert (tmp_path / "data" / "auth.db").exists() and (tmp_path / "data" / "metering.db").exists()
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0, "".join(log)
    assert any("aigw: stopped" in line for line in log)


def test_up_refuses_a_bad_config_naming_the_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(
        "providers:\n  - name: x\n    type: openai\n    base_url: https://x/v1\n    api_key: sk-plain\n"
    )

    result = subprocess.run(
        [*AIGW, "up", "--config", str(config)], capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 2
    assert f"{config}:5: providers[0].api_key: must be a secret reference" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_service_with_a_missing_secret_says_so_and_up_gives_up(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "providers:\n  - {name: p, type: openai, base_url: 'https://x/v1', api_key: 'env:AIGW_TEST_ABSENT_KEY'}\n"
        "models:\n  - {name: m, deployments: [{provider: p, model: m}]}\n"
    )
    env = {**os.environ, "AIGW_DATA_DIR": str(tmp_path / "data")}
    env.pop("AIGW_TEST_ABSENT_KEY", None)

    result = subprocess.run(
        [
            *AIGW,
            "up",
            "--config",
            str(config),
            "--http-port",
            str(_free_port()),
            "--grpc-port",
            str(_free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )

    assert result.returncode == 1
    assert "env:AIGW_TEST_ABSENT_KEY: the variable is not set" in result.stderr
    assert "could not start" in result.stderr


def test_migrate_applies_every_history_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "AIGW_DATABASE_URL": postgres_url, "AIGW_DATA_DIR": str(tmp_path)}

    first = subprocess.run([*AIGW, "migrate"], capture_output=True, text=True, env=env, timeout=60)
    again = subprocess.run([*AIGW, "migrate"], capture_output=True, text=True, env=env, timeout=60)

    assert first.returncode == 0 and "migrated: auth, metering" in first.stdout
    assert again.returncode == 0


def test_serve_rejects_an_unknown_service() -> None:
    result = subprocess.run([*AIGW, "serve", "nope"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "invalid choice" in result.stderr
