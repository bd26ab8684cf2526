"""`aigw up`: every service as its own process on this machine, on embedded defaults.

Internal services listen on Unix sockets in a private temporary directory;
the edge listens on 127.0.0.1. Migrations run first. Ctrl-C or SIGTERM stops
the edge first (so its last usage events reach metering), then the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aigw_runtime.cli.demo import write_demo_config
from aigw_runtime.config import ConfigError, load_config
from aigw_runtime.settings import SettingsError, load_settings

INTERNAL = ("auth", "metering", "cache", "router")
# Reverse dependency order: the edge first, metering (which takes its last usage) last.
STOP_ORDER = ("edge", "router", "cache", "auth", "metering", "fake-provider")
START_TIMEOUT_S = 60.0


def _say(message: str) -> None:
    print(f"aigw: {message}", file=sys.stderr, flush=True)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process


class Supervisor:
    def __init__(self, env: dict[str, str], grace_s: float) -> None:
        self.env = env
        self.grace_s = grace_s
        self.children: dict[str, Child] = {}

    async def spawn(self, name: str, *args: str) -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "aigw_runtime.cli.main", *args, env=self.env
        )
        self.children[name] = Child(name, process)

    def exited(self) -> Child | None:
        return next((c for c in self.children.values() if c.process.returncode is not None), None)

    async def wait_grpc_healthy(self, name: str, address: str) -> None:
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        async with grpc.aio.insecure_channel(address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            deadline = asyncio.get_running_loop().time() + START_TIMEOUT_S
            while True:
                self._check_alive()
                try:
                    answer = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if answer.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.aio.AioRpcError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"{name} did not become healthy in {START_TIMEOUT_S:.0f} s")
                await asyncio.sleep(0.05)

    async def wait_http_ready(self, url: str) -> None:
        import httpx

        deadline = asyncio.get_running_loop().time() + START_TIMEOUT_S
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                self._check_alive()
                try:
                    if (await client.get(url)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"the edge was not ready in {START_TIMEOUT_S:.0f} s ({url})")
                await asyncio.sleep(0.05)

    def _check_alive(self) -> None:
        child = self.exited()
        if child is not None:
            raise RuntimeError(f"{child.name} exited with status {child.process.returncode} while starting")

    async def stop_all(self) -> None:
        for name in STOP_ORDER:
            child = self.children.get(name)
            if child is None or child.process.returncode is not None:
                continue
            child.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(child.process.wait(), self.grace_s + 5)
            except TimeoutError:
                _say(f"{name} did not stop in time; killing it")
                child.process.kill()
                await child.process.wait()


async def _run(config_path: Path | None, http_port: int | None, grpc_port: int | None) -> int:
    settings = load_settings()
    data_dir = settings.data_path.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    socket_dir = Path(tempfile.mkdtemp(prefix="aigw-"))
    env = dict(os.environ)
    demo_key = None
    if config_path is None:
        demo_port = _free_port()
        demo_key = "sk-fake-" + secrets.token_hex(16)
        config_path = write_demo_config(data_dir, demo_port)
        env["AIGW_DEMO_UPSTREAM_KEY"] = demo_key
    generated_admin = not settings.admin_key
    admin_key = settings.admin_key or "sk-aigw-admin-" + secrets.token_urlsafe(24)
    http_port = http_port or settings.http_port
    env.update(
        AIGW_CONFIG=str(config_path.resolve()),
        AIGW_DATA_DIR=str(data_dir),
        AIGW_ADMIN_KEY=admin_key,
        AIGW_HTTP_PORT=str(http_port),
        AIGW_SUPERVISED="1",
        **{f"AIGW_{name.upper()}_ADDR": f"unix:{socket_dir / name}.sock" for name in INTERNAL},
    )
    if grpc_port is not None:
        env["AIGW_EDGE_GRPC_ADDR"] = f"127.0.0.1:{grpc_port}"
    child_settings = load_settings(env, load_config(config_path).settings)

    from aigw_runtime.cli.migrate import migrate_all

    migrated = await migrate_all(child_settings)
    _say(f"database ready ({', '.join(migrated)} migrated)")
    supervisor = Supervisor(env, child_settings.shutdown_grace_s)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if demo_key is not None:
            await supervisor.spawn(
                "fake-provider", "fake-provider", "--port", str(demo_port), "--api-key", demo_key
            )
        for name in INTERNAL:
            await supervisor.spawn(name, "serve", name)
        await asyncio.gather(
            *(supervisor.wait_grpc_healthy(name, env[f"AIGW_{name.upper()}_ADDR"]) for name in INTERNAL)
        )
        await supervisor.spawn("edge", "serve", "edge")
        url = f"http://{child_settings.http_host}:{http_port}"
        await supervisor.wait_http_ready(f"{url}/readyz")
    except (RuntimeError, TimeoutError) as exc:
        _say(f"could not start: {exc}")
        await supervisor.stop_all()
        shutil.rmtree(socket_dir, ignore_errors=True)
        return 1
    print(f"aigw is up: {url}", flush=True)
    print(f"  OpenAI API: {url}/v1   public gRPC: {child_settings.edge_grpc_addr}", flush=True)
    if config_path.name == "demo-config.yaml":
        print("  demo config: model `demo` answers from the built-in fake provider", flush=True)
    if generated_admin:
        print(f"  admin key (shown once; set AIGW_ADMIN_KEY to choose your own): {admin_key}", flush=True)
    status = 0
    while not stop.is_set():
        child = supervisor.exited()
        if child is not None:
            _say(f"{child.name} exited with status {child.process.returncode}; stopping everything")
            status = 1
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)
    _say("stopping")
    await supervisor.stop_all()
    shutil.rmtree(socket_dir, ignore_errors=True)
    _say("stopped")
    return status


def up(config: str | None, http_port: int | None, grpc_port: int | None) -> int:
    try:
        config_path = Path(config) if config else None
        if config_path is not None:
            load_config(config_path)  # fail fast, naming the bad line
        return asyncio.run(_run(config_path, http_port, grpc_port))
    except (ConfigError, SettingsError) as exc:
        _say(str(exc))
        return 2
