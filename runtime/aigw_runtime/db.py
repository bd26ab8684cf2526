"""Databases: one async SQLAlchemy engine per service, and its Alembic history.

The URL is AIGW_DATABASE_URL (Postgres in production) or, by default, a SQLite
file per service in the data directory. Each service owns its tables and its
own Alembic version table, so services may share one Postgres database.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from aigw_runtime.settings import Settings


def database_url(settings: Settings, service: str) -> str:
    """The SQLAlchemy async URL `service` uses."""
    url = settings.database_url
    if not url:
        settings.data_path.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(settings.data_path / f'{service}.db').resolve()}"
    for sync_prefix, async_prefix in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(sync_prefix):
            return async_prefix + url.removeprefix(sync_prefix)
    return url


def create_engine(url: str) -> AsyncEngine:
    """An engine with pooled connections; SQLite gets WAL and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _alembic_config(script_location: Path, version_table: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["version_table"] = version_table
    return config


async def upgrade(engine: AsyncEngine, script_location: Path, version_table: str) -> None:
    """Applies every migration of one service's history to the engine's database."""

    def run(connection: Connection) -> None:
        config = _alembic_config(script_location, version_table)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        await connection.run_sync(run)


def run_env_migrations(target_metadata: MetaData) -> None:
    """The body of every service's `migrations/env.py` (online mode, shared connection)."""
    from alembic import context

    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=context.config.attributes["version_table"],
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
