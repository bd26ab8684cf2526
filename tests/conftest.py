"""End-to-end fixtures: `aigw up` as real processes, with a fake provider beside it.

`gateway` runs once per test module and backend: "embedded" (SQLite and
in-process stores, what `make run` uses) and "real" (Postgres and Redis).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness import FakeProvider, Gateway, start_fake_provider, start_gateway


@pytest.fixture(scope="module")
def fake_provider() -> Iterator[FakeProvider]:
    fake = start_fake_provider()
    yield fake
    fake.process.terminate()
    fake.process.wait(10)


@pytest.fixture(scope="module", params=["embedded", "real"])
def gateway(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    fake_provider: FakeProvider,
    make_postgres_database: Callable[[], str],
) -> Iterator[Gateway]:
    backend: str = request.param
    database_url = make_postgres_database() if backend == "real" else None
    gw = start_gateway(tmp_path_factory.mktemp(f"gw-{backend}"), fake_provider, backend, database_url)
    yield gw
    status = gw.stop()
    assert status == 0, "".join(gw.log)


@pytest.fixture(autouse=True)
def _clean_fake(request: pytest.FixtureRequest) -> None:
    if "fake_provider" in request.fixturenames:
        request.getfixturevalue("fake_provider").reset()
