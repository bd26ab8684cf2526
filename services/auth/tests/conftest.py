"""Fixtures of the auth tests: migrated databases and auth servers on real gRPC channels."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from aigw.auth.v1 import auth_pb2_grpc
from aigw_auth.changes import ChangeFeed, MemoryChangeFeed
from aigw_auth.migrations import SCRIPT_LOCATION, VERSION_TABLE
from aigw_auth.server import SERVICE_NAME, AuthApp, build_app
from aigw_runtime import db
from aigw_runtime.grpc_server import GrpcHost
from aigw_runtime.settings import Settings
from aigw_runtime.telemetry import Telemetry

ADMIN_KEY = "admin-test-key-0123456789"
HASH_SECRET = "test-key-hash-secret"


async def migrate(url: str) -> None:
    """Applies the auth migrations to the database at a plain (sync-style) URL."""
    engine = db.create_engine(db.database_url(Settings(database_url=url), "auth"))
    try:
        await db.upgrade(engine, SCRIPT_LOCATION, VERSION_TABLE)
    finally:
        await engine.dispose()


@pytest.fixture
def apply_migrations() -> Callable[[str], Awaitable[None]]:
    """`await apply_migrations(url)` migrates another database (or the same one again)."""
    return migrate


@pytest.fixture
def admin_key() -> str:
    """The admin key every server from `start_auth` is configured with (unless told otherwise)."""
    return ADMIN_KEY


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    """The `database_url` (SQLite, then Postgres) with the auth migrations applied."""
    await migrate(database_url)
    return database_url


@pytest.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(db.database_url(Settings(database_url=migrated_url), "auth"))
    yield engine
    await engine.dispose()


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    # Unix socket paths must stay short (about 100 bytes); pytest's tmp_path may not.
    path = Path(tempfile.mkdtemp(prefix="aigw-auth-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@dataclass
class RunningAuth:
    """One auth server on a Unix socket and a client channel to it."""

    app: AuthApp
    host: GrpcHost
    channel: grpc.aio.Channel

    @property
    def stub(self) -> auth_pb2_grpc.AuthServiceStub:
        return auth_pb2_grpc.AuthServiceStub(self.channel)

    @property
    def feed(self) -> ChangeFeed:
        return self.app.feed


StartAuth = Callable[..., Awaitable[RunningAuth]]


@pytest.fixture
async def start_auth(socket_dir: Path, tmp_path: Path) -> AsyncIterator[StartAuth]:
    """Starts auth servers in this process: `await start_auth(url, feed=..., admin_key=...)`."""
    running: list[RunningAuth] = []

    async def start(
        url: str, feed: ChangeFeed | None = None, admin_key: str | None = ADMIN_KEY
    ) -> RunningAuth:
        settings = Settings(
            database_url=url, admin_key=admin_key, key_hash_secret=HASH_SECRET, data_dir=str(tmp_path)
        )
        engine = db.create_engine(db.database_url(settings, "auth"))
        app = build_app(settings, engine, feed or MemoryChangeFeed())
        host = GrpcHost(
            f"unix:{socket_dir}/auth-{len(running)}.sock", Telemetry(enabled=False, provider=None)
        )
        host.add(app.register, SERVICE_NAME)
        await host.start()
        server = RunningAuth(app=app, host=host, channel=grpc.aio.insecure_channel(host.address))
        running.append(server)
        return server

    yield start
    for server in running:
        await server.channel.close()
        await server.host.stop(0)
        await server.app.close()
