"""Usage events on SQLite and on Postgres: idempotent batches and totals per key and model."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from aigw_metering.models import USAGE_EVENTS
from aigw_metering.usage import UsageTotal
from aigw_metering.usage_store import SchemaMissingError, UsageStore
from aigw_runtime.db import create_engine


async def _rows(engine: AsyncEngine) -> dict[str, tuple[Any, ...]]:
    async with engine.connect() as connection:
        result = await connection.execute(select(USAGE_EVENTS))
        return {row.request_id: tuple(row) for row in result}


async def test_batch_is_stored_and_counted(store: UsageStore, engine: AsyncEngine, make_event: Any) -> None:
    events = [make_event("req-1"), make_event("req-2", stream=True), make_event("req-3", cache_hit=True)]

    stored = await store.record(events)

    rows = await _rows(engine)
    assert stored == 3
    assert sorted(rows) == ["req-1", "req-2", "req-3"]
    first = rows["req-1"]
    assert first[:14] == (
        "req-1",
        "key-a",
        "gpt-4o",
        "openai",
        "gpt-4o-2024-08-06",
        10,
        5,
        15,
        0,
        0,
        120,
        200,
        False,
        False,
    )
    assert first[14].replace(tzinfo=None).isoformat() == "2025-01-02T03:04:05"


async def test_recording_the_same_batch_twice_stores_it_once(store: UsageStore, make_event: Any) -> None:
    events = [make_event("req-1"), make_event("req-2")]

    first = await store.record(events)
    second = await store.record(events)

    assert (first, second) == (2, 0)
    assert [total.requests for total in await store.summary()] == [2]


async def test_earlier_events_are_skipped_and_new_ones_in_the_same_batch_stored(
    store: UsageStore, make_event: Any
) -> None:
    await store.record([make_event("req-1")])

    stored = await store.record([make_event("req-1"), make_event("req-2")])

    assert stored == 1


async def test_duplicates_inside_one_batch_are_stored_once_first_wins(
    store: UsageStore, engine: AsyncEngine, make_event: Any
) -> None:
    events = [
        make_event("req-1", prompt_tokens=1),
        make_event("req-1", prompt_tokens=99),
        make_event("req-2"),
    ]

    stored = await store.record(events)

    assert stored == 2
    assert (await _rows(engine))["req-1"][5] == 1


async def test_a_batch_of_thousands_of_events_is_stored_whole(
    store: UsageStore, engine: AsyncEngine, make_event: Any
) -> None:
    events = [make_event(f"req-{index}") for index in range(2_500)]

    first = await store.record(events)
    second = await store.record(events)

    async with engine.connect() as connection:
        count = await connection.scalar(select(func.count()).select_from(USAGE_EVENTS))
    assert (first, second, count) == (2_500, 0, 2_500)


async def test_empty_batch_stores_nothing(store: UsageStore) -> None:
    assert await store.record([]) == 0


async def test_summary_totals_per_key_and_model_ordered(store: UsageStore, make_event: Any) -> None:
    await store.record(
        [
            make_event("r1", key_id="key-b", model="gpt-4o"),
            make_event(
                "r2", key_id="key-a", model="gpt-4o", prompt_tokens=7, completion_tokens=3, total_tokens=10
            ),
            make_event(
                "r3",
                key_id="key-a",
                model="gpt-4o",
                status_code=429,
                prompt_tokens=0,
                completion_tokens=0,
                total_tokens=0,
            ),
            make_event("r4", key_id="key-a", model="gpt-4o", cache_hit=True),
            make_event("r5", key_id="key-a", model="claude", status_code=500),
            make_event("r6", key_id="key-a", model="claude", status_code=399),
            make_event("r7", key_id="key-a", model="claude", status_code=400, cache_hit=True),
        ]
    )

    totals = await store.summary()

    assert totals == [
        UsageTotal(
            "key-a",
            "claude",
            requests=3,
            prompt_tokens=30,
            completion_tokens=15,
            total_tokens=45,
            errors=2,
            cache_hits=1,
        ),
        UsageTotal(
            "key-a",
            "gpt-4o",
            requests=3,
            prompt_tokens=17,
            completion_tokens=8,
            total_tokens=25,
            errors=1,
            cache_hits=1,
        ),
        UsageTotal(
            "key-b",
            "gpt-4o",
            requests=1,
            prompt_tokens=10,
            completion_tokens=5,
            total_tokens=15,
            errors=0,
            cache_hits=0,
        ),
    ]


async def test_summary_of_one_key(store: UsageStore, make_event: Any) -> None:
    await store.record([make_event("r1", key_id="key-a"), make_event("r2", key_id="key-b")])

    totals = await store.summary("key-b")

    assert [(total.key_id, total.requests) for total in totals] == [("key-b", 1)]
    assert await store.summary("key-unknown") == []


async def test_summary_of_an_empty_table_is_empty(store: UsageStore) -> None:
    assert await store.summary() == []


async def test_events_are_visible_to_another_connection_once_recorded(
    store: UsageStore, engine: AsyncEngine, make_event: Any
) -> None:
    await store.record([make_event("req-1")])

    other = create_engine(engine.url.render_as_string(hide_password=False))
    try:
        totals = await UsageStore(other).summary()
    finally:
        await other.dispose()

    assert [total.requests for total in totals] == [1]


async def test_schema_check_passes_on_a_migrated_database(store: UsageStore) -> None:
    await store.check_schema()


async def test_schema_check_names_the_missing_table_and_the_fix(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url.replace("sqlite://", "sqlite+aiosqlite://"))
    try:
        with pytest.raises(SchemaMissingError, match=r"metering_usage_events.*aigw migrate"):
            await UsageStore(engine).check_schema()
    finally:
        await engine.dispose()
