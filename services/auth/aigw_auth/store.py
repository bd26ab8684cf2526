"""Where API keys live: the `auth_api_keys` table, on SQLite or Postgres, through one repository."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from aigw_auth.models import ApiKeyRow
from aigw_auth.principals import ApiKeyRecord, Role


def _aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; every stored one is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _record(row: ApiKeyRow) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        role=Role(row.role),
        allowed_models=tuple(row.allowed_models),
        rpm_limit=row.rpm_limit,
        created_at=_aware(row.created_at),
        revoked_at=_aware(row.revoked_at) if row.revoked_at is not None else None,
    )


class KeyStore:
    """Async repository of API keys; each method is one short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def add(self, record: ApiKeyRecord, key_hash: str) -> None:
        """Stores a new key under the keyed hash of its secret."""
        row = ApiKeyRow(
            id=record.id,
            name=record.name,
            prefix=record.prefix,
            key_hash=key_hash,
            role=record.role.value,
            allowed_models=list(record.allowed_models),
            rpm_limit=record.rpm_limit,
            created_at=record.created_at,
            revoked_at=record.revoked_at,
        )
        async with self._sessions.begin() as session:
            session.add(row)

    async def find_by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        """The key whose secret hashes to key_hash, revoked or not (one indexed lookup)."""
        async with self._sessions() as session:
            row = await session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash))
            return _record(row) if row is not None else None

    async def get(self, key_id: str) -> ApiKeyRecord | None:
        async with self._sessions() as session:
            row = await session.get(ApiKeyRow, key_id)
            return _record(row) if row is not None else None

    async def list_keys(self, *, include_revoked: bool) -> list[ApiKeyRecord]:
        """Keys, oldest first."""
        query = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id)
        if not include_revoked:
            query = query.where(ApiKeyRow.revoked_at.is_(None))
        async with self._sessions() as session:
            rows = await session.scalars(query)
            return [_record(row) for row in rows]

    async def revoke(self, key_id: str, at: datetime) -> ApiKeyRecord | None:
        """Marks the key revoked at `at` unless it already is; None when there is no such key.

        The conditional update keeps the first revocation time when two
        replicas revoke the same key at once.
        """
        async with self._sessions.begin() as session:
            await session.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.id == key_id, ApiKeyRow.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            row = await session.get(ApiKeyRow, key_id, populate_existing=True)
            return _record(row) if row is not None else None
