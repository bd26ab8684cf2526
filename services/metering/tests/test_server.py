"""The service process: refuses to start on an unmigrated database, serves, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from aigw.metering.v1 import metering_pb2, metering_pb2_grpc
from aigw_metering.limiter import MemoryRateLimiter, RedisRateLimiter
from aigw_metering.server import build_limiter
from aigw_runtime.grpc_client import open_channel
from aigw_runtime.telemetry import Telemetry

START_METERING = "from aigw_metering.server import main; main()"


def _environment(database_url: str, port: int, tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "AIGW_DATABASE_URL": database_url,
        "AIGW_METERING_ADDR": f"127.0.0.1:{port}",
        "AIGW_DATA_DIR": str(tmp_path / "data"),
        "AIGW_SHUTDOWN_GRACE_S": "1",
    }


async def test_service_refuses_to_start_without_its_table(
    sqlite_url: str, free_port: int, tmp_path: Path
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        START_METERING,
        env=_environment(sqlite_url, free_port, tmp_path),
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)

    assert process.returncode == 1
    assert "metering_usage_events does not exist" in stderr.decode()
    assert "aigw migrate" in stderr.decode()


async def test_service_serves_then_stops_on_sigterm(
    sqlite_engine: AsyncEngine, sqlite_url: str, free_port: int, tmp_path: Path
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        START_METERING,
        env=_environment(sqlite_url, free_port, tmp_path),
        stderr=asyncio.subprocess.PIPE,
    )
    channel = open_channel(f"127.0.0.1:{free_port}", Telemetry(enabled=False, provider=None))
    try:
        stub = metering_pb2_grpc.MeteringServiceStub(channel)
        response = await stub.Admit(
            metering_pb2.AdmitRequest(key_id="key-a", rpm_limit=60), wait_for_ready=True, timeout=15
        )
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=15)
    finally:
        await channel.close()
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert (response.allowed, response.requests.remaining) == (True, 59)
    assert process.returncode == 0, stderr.decode()


async def test_limiter_is_redis_when_configured_else_in_process(redis_url: str) -> None:
    in_process = build_limiter(None)
    shared = build_limiter(redis_url)
    try:
        assert isinstance(in_process, MemoryRateLimiter)
        assert isinstance(shared, RedisRateLimiter)
        assert (await shared.admit("aigw-test-build-limiter", 0)).allowed is True
    finally:
        await in_process.close()
        await shared.close()
