"""Fixtures shared by every test folder: real Postgres and Redis, and SQLite.

Postgres and Redis are required: a test that needs them fails, never skips,
when they are down (`make test` starts them first). Override the servers with
AIGW_TEST_POSTGRES_URL (a database the tests may create databases from) and
AIGW_TEST_REDIS_URL.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

POSTGRES_ADMIN_URL = os.environ.get("AIGW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("AIGW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _postgres_admin(statement: str) -> None:
    import asyncpg

    try:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"PostgreSQL is required at {POSTGRES_ADMIN_URL} and is not reachable: {exc}")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def _run_admin(statement: str) -> None:
    # Fixtures may run inside a test's event loop, so use a loop of our own in a thread.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _postgres_admin(statement)).result()


@pytest.fixture(scope="session")
def make_postgres_database() -> Iterator[Callable[[], str]]:
    """Creates fresh Postgres databases on demand; drops them all when the session ends."""
    created: list[str] = []

    def make() -> str:
        name = f"aigw_test_{secrets.token_hex(6)}"
        _run_admin(f'CREATE DATABASE "{name}"')
        created.append(name)
        return _with_database(POSTGRES_ADMIN_URL, name)

    yield make
    for name in created:
        _run_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty Postgres database for one test (dropped afterwards)."""
    name = f"aigw_test_{secrets.token_hex(6)}"
    _run_admin(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(POSTGRES_ADMIN_URL, name)
    finally:
        _run_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that takes it runs twice: on SQLite and on a fresh Postgres database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture
def redis_url() -> str:
    """The test Redis; fails (never skips) when it is down."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required at {REDIS_URL} and is not reachable: {exc}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def unique_prefix() -> str:
    """A Redis key prefix / channel name no other test uses."""
    return f"aigw-test-{secrets.token_hex(6)}:"


def pick_free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def free_port() -> int:
    return pick_free_port()
