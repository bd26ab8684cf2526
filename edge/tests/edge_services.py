"""Real auth and metering services, in-process on Unix sockets, for the edge's tests."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from aigw_auth.changes import MemoryChangeFeed
from aigw_auth.migrations import SCRIPT_LOCATION as AUTH_MIGRATIONS
from aigw_auth.migrations import VERSION_TABLE as AUTH_VERSIONS
from aigw_auth.server import SERVICE_NAME as AUTH_SERVICE
from aigw_auth.server import build_app
from aigw_metering.limiter import MemoryRateLimiter
from aigw_metering.migrations import SCRIPT_LOCATION as METERING_MIGRATIONS
from aigw_metering.migrations import VERSION_TABLE as METERING_VERSIONS
from aigw_metering.server import build_host, open_usage_store
from aigw_metering.service import MeteringServicer
from aigw_runtime import db
from aigw_runtime.grpc_server import GrpcHost
from aigw_runtime.settings import Settings
from aigw_runtime.telemetry import Telemetry

ADMIN_KEY = "sk-admin-edge-tests"
NO_TRACING = Telemetry(enabled=False, provider=None)


async def _engine(tmp_path: Path, service: str, script: Path, versions: str) -> AsyncEngine:
    engine = db.create_engine(db.database_url(Settings(data_dir=str(tmp_path)), service))
    await db.upgrade(engine, script, versions)
    return engine


class AuthServer:
    def __init__(self, tmp_path: Path, address: str) -> None:
        self.tmp_path, self.address = tmp_path, address
        self.host: GrpcHost | None = None

    async def start(self) -> None:
        engine = await _engine(self.tmp_path, "auth", AUTH_MIGRATIONS, AUTH_VERSIONS)
        settings = Settings(
            data_dir=str(self.tmp_path), admin_key=ADMIN_KEY, key_hash_secret="edge-test-secret"
        )
        self.app = build_app(settings, engine, MemoryChangeFeed())
        self.host = GrpcHost(self.address, NO_TRACING)
        self.host.add(self.app.register, AUTH_SERVICE)
        await self.host.start()

    async def stop(self) -> None:
        assert self.host is not None
        self.app.feed.end_subscriptions()
        await self.host.stop(0)
        await self.app.close()


class MeteringServer:
    def __init__(self, tmp_path: Path, address: str) -> None:
        self.tmp_path, self.address = tmp_path, address
        self.host: GrpcHost | None = None

    async def start(self) -> None:
        self.engine = await _engine(self.tmp_path, "metering", METERING_MIGRATIONS, METERING_VERSIONS)
        servicer = MeteringServicer(MemoryRateLimiter(), await open_usage_store(self.engine))
        self.host = build_host(self.address, NO_TRACING, servicer)
        await self.host.start()

    async def stop(self) -> None:
        assert self.host is not None
        await self.host.stop(0)
        await self.engine.dispose()
        self.host = None
