"""Fixtures of the metering tests: a migrated usage store, events, and a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from aigw_metering.migrations import SCRIPT_LOCATION, VERSION_TABLE
from aigw_metering.usage import UsageEvent
from aigw_metering.usage_store import UsageStore
from aigw_runtime.db import create_engine, database_url, upgrade
from aigw_runtime.settings import Settings


class FakeClock:
    """A clock that only moves when the test says so."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.time = start

    def now(self) -> float:
        return self.time

    def monotonic(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def async_url(url: str) -> str:
    """The async SQLAlchemy URL the service would derive from a configured database URL."""
    return database_url(Settings(database_url=url), "metering")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated database: SQLite, then a fresh Postgres database."""
    engine = create_engine(async_url(database_url))
    await upgrade(engine, SCRIPT_LOCATION, VERSION_TABLE)
    yield engine
    await engine.dispose()


@pytest.fixture
async def store(engine: AsyncEngine) -> UsageStore:
    return UsageStore(engine)


@pytest.fixture
async def sqlite_engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(async_url(sqlite_url))
    await upgrade(engine, SCRIPT_LOCATION, VERSION_TABLE)
    yield engine
    await engine.dispose()


EventFactory = Callable[..., UsageEvent]


@pytest.fixture
def make_event() -> EventFactory:
    """Builds a successful, uncached event; keyword arguments override any field."""

    def build(request_id: str, **overrides: Any) -> UsageEvent:
        fields: dict[str, Any] = {
            "request_id": request_id,
            "key_id": "key-a",
            "model": "gpt-4o",
            "provider": "openai",
            "deployment": "gpt-4o-2024-08-06",
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "total_tokens": 15,
            "cached_tokens": 0,
            "reasoning_tokens": 0,
            "latency_ms": 120,
            "status_code": 200,
            "cache_hit": False,
            "stream": False,
            "created_at": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        }
        fields.update(overrides)
        return UsageEvent(**fields)

    return build
