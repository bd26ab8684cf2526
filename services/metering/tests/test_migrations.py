"""The hand-written Alembic history builds exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from aigw_metering.migrations import SCRIPT_LOCATION, VERSION_TABLE
from aigw_metering.models import Base
from aigw_runtime.db import create_engine, database_url, upgrade
from aigw_runtime.settings import Settings


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE, "compare_type": True}
    )
    return list(compare_metadata(context, Base.metadata))


def _state(connection: Connection) -> tuple[set[str], set[str], str | None]:
    inspector = inspect(connection)
    indexes = {index["name"] or "" for index in inspector.get_indexes("metering_usage_events")}
    revision = MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE}
    ).get_current_revision()
    return set(inspector.get_table_names()), indexes, revision


async def test_migrations_match_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff)
        tables, indexes, revision = await connection.run_sync(_state)

    assert diff == []
    assert tables == {"metering_usage_events", VERSION_TABLE}
    assert indexes == {"ix_metering_usage_events_key_id_model"}
    assert revision == "0001"


async def test_upgrading_twice_changes_nothing(engine: AsyncEngine) -> None:
    await upgrade(engine, SCRIPT_LOCATION, VERSION_TABLE)

    async with engine.connect() as connection:
        assert await connection.run_sync(_diff) == []


async def test_an_empty_database_differs_from_the_models(sqlite_url: str) -> None:
    # Guards the tests above: compare_metadata does report a missing table.
    engine = create_engine(database_url(Settings(database_url=sqlite_url), "metering"))
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(_diff)
    finally:
        await engine.dispose()

    assert [entry[0] for entry in diff] == ["add_table", "add_index"]
