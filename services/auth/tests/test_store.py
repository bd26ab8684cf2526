"""The migrations and the key repository, on SQLite and on Postgres."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from aigw_auth.migrations import VERSION_TABLE
from aigw_auth.models import Base
from aigw_auth.principals import ApiKeyRecord, Role
from aigw_auth.schema import SchemaNotReadyError, check_schema
from aigw_auth.store import KeyStore
from aigw_runtime import db
from aigw_runtime.settings import Settings

CREATED = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def record(key_id: str, *, created_at: datetime = CREATED, name: str = "team") -> ApiKeyRecord:
    return ApiKeyRecord(
        id=key_id,
        name=name,
        prefix="sk-aigw-AbCd",
        role=Role.USER,
        allowed_models=("gpt-4o", "claude"),
        rpm_limit=60,
        created_at=created_at,
    )


def _schema_diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE, "compare_type": True}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_create_exactly_the_schema_of_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(_schema_diff)

    assert diff == []


async def test_migrating_twice_changes_nothing(
    migrated_url: str, engine: AsyncEngine, apply_migrations: Callable[[str], Awaitable[None]]
) -> None:
    await apply_migrations(migrated_url)

    await check_schema(engine)


async def test_schema_check_refuses_an_unmigrated_database(database_url: str) -> None:
    engine = db.create_engine(db.database_url(Settings(database_url=database_url), "auth"))
    try:
        with pytest.raises(SchemaNotReadyError, match=r"auth_api_keys.*aigw migrate"):
            await check_schema(engine)
    finally:
        await engine.dispose()


async def test_key_is_found_by_its_hash_with_every_field(engine: AsyncEngine) -> None:
    store = KeyStore(engine)
    await store.add(record("key_0000000000000001"), "a" * 64)

    found = await store.find_by_hash("a" * 64)

    assert found == record("key_0000000000000001")
    assert found is not None and found.created_at.tzinfo is not None
    assert await store.find_by_hash("b" * 64) is None


async def test_two_keys_cannot_share_a_hash(engine: AsyncEngine) -> None:
    store = KeyStore(engine)
    await store.add(record("key_0000000000000001"), "a" * 64)

    with pytest.raises(IntegrityError):
        await store.add(record("key_0000000000000002"), "a" * 64)


async def test_list_is_oldest_first_and_hides_revoked_keys_unless_asked(engine: AsyncEngine) -> None:
    store = KeyStore(engine)
    await store.add(record("key_new", created_at=CREATED + timedelta(hours=1)), "1" * 64)
    await store.add(record("key_old"), "2" * 64)
    await store.add(record("key_gone", created_at=CREATED + timedelta(hours=2)), "3" * 64)
    await store.revoke("key_gone", CREATED + timedelta(hours=3))

    active = await store.list_keys(include_revoked=False)
    everything = await store.list_keys(include_revoked=True)

    assert [key.id for key in active] == ["key_old", "key_new"]
    assert [key.id for key in everything] == ["key_old", "key_new", "key_gone"]


async def test_revoke_keeps_the_first_revocation_time(engine: AsyncEngine) -> None:
    store = KeyStore(engine)
    await store.add(record("key_0000000000000001"), "a" * 64)
    first = CREATED + timedelta(days=1)

    revoked = await store.revoke("key_0000000000000001", first)
    again = await store.revoke("key_0000000000000001", first + timedelta(days=1))

    assert revoked is not None and revoked.revoked_at == first
    assert again == revoked
    found = await store.find_by_hash("a" * 64)
    assert found is not None and found.revoked and found.revoked_at == first


async def test_revoke_of_an_unknown_key_returns_none(engine: AsyncEngine) -> None:
    assert await KeyStore(engine).revoke("key_missing", CREATED) is None
