"""Usage events in SQL (Postgres, or SQLite by default): durable, idempotent writes and totals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import Insert, case, func, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from aigw_metering.models import USAGE_EVENTS
from aigw_metering.usage import UsageEvent, UsageTotal

_TABLE = USAGE_EVENTS
_FIELDS = tuple(field.name for field in fields(UsageEvent))


class SchemaMissingError(RuntimeError):
    """The database has not been migrated: the usage table does not exist."""


def _unique_rows(events: Sequence[UsageEvent]) -> list[dict[str, Any]]:
    """One row per request id, the first occurrence winning."""
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        if event.request_id not in rows:
            rows[event.request_id] = {name: getattr(event, name) for name in _FIELDS}
    return list(rows.values())


class UsageStore:
    """Reads and writes `metering_usage_events` through one async engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self._insert_ignoring_duplicates: Insert = (
            insert(_TABLE)
            .on_conflict_do_nothing(index_elements=[_TABLE.c.request_id])
            .returning(_TABLE.c.request_id)
        )

    async def check_schema(self) -> None:
        """Raises SchemaMissingError when the migrations have not been applied."""

        def has_table(connection: Connection) -> bool:
            return inspect(connection).has_table(_TABLE.name)

        async with self._engine.connect() as connection:
            if not await connection.run_sync(has_table):
                raise SchemaMissingError(
                    f"table {_TABLE.name} does not exist: apply the migrations first (`aigw migrate`)"
                )

    async def record(self, events: Sequence[UsageEvent]) -> int:
        """Stores the events in one transaction; returns how many were new.

        Events whose request id is already stored, or repeated in the batch,
        are ignored. Returns only after the commit.
        """
        rows = _unique_rows(events)
        if not rows:
            return 0
        # One cached statement, executed for many rows: SQLAlchemy sends them as
        # multi-row INSERTs ("insertmanyvalues") and gathers RETURNING across them,
        # which yields only the rows actually inserted.
        async with self._engine.begin() as connection:
            result = await connection.execute(self._insert_ignoring_duplicates, rows)
            stored = len(result.all())
        return stored

    async def summary(self, key_id: str | None = None) -> list[UsageTotal]:
        """Totals per (key_id, model), ordered by key_id then model; only key_id's when given."""
        columns = _TABLE.c
        query = (
            select(
                columns.key_id,
                columns.model,
                func.count(),
                func.coalesce(func.sum(columns.prompt_tokens), 0),
                func.coalesce(func.sum(columns.completion_tokens), 0),
                func.coalesce(func.sum(columns.total_tokens), 0),
                func.sum(case((columns.status_code >= 400, 1), else_=0)),
                func.sum(case((columns.cache_hit, 1), else_=0)),
            )
            .group_by(columns.key_id, columns.model)
            .order_by(columns.key_id, columns.model)
        )
        if key_id:
            query = query.where(columns.key_id == key_id)
        async with self._engine.connect() as connection:
            result = await connection.execute(query)
            return [
                UsageTotal(
                    key_id=row[0],
                    model=row[1],
                    requests=int(row[2]),
                    prompt_tokens=int(row[3]),
                    completion_tokens=int(row[4]),
                    total_tokens=int(row[5]),
                    errors=int(row[6]),
                    cache_hits=int(row[7]),
                )
                for row in result
            ]
