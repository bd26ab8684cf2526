"""End-to-end fixtures: `aigw up` as real processes, with a fake provider beside it.

`gateway` runs once per test module and backend: "embedded" (SQLite and
in-process stores, what `make run` uses) and "real" (Postgres and Redis), on
the harness's config.

`suite_gateway` runs once per module that sets `SUITE_CONFIG` (a config
template, formatted with `fake_url`), on the embedded backend, beside its own
`suite_fake`; a module overrides `suite_fake_args` (flags for `aigw
fake-provider`) and `suite_env` (environment for `aigw up`) when it needs to.
Provider modules use it: what they test does not depend on the backend.
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


@pytest.fixture(scope="module")
def suite_fake_args() -> tuple[str, ...]:
    return ()


@pytest.fixture(scope="module")
def suite_env() -> dict[str, str]:
    return {}


@pytest.fixture(scope="module")
def suite_fake(suite_fake_args: tuple[str, ...]) -> Iterator[FakeProvider]:
    fake = start_fake_provider(*suite_fake_args)
    yield fake
    fake.process.terminate()
    fake.process.wait(10)


@pytest.fixture(scope="module")
def suite_gateway(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    suite_fake: FakeProvider,
    suite_env: dict[str, str],
) -> Iterator[Gateway]:
    config: str = request.module.SUITE_CONFIG
    tmp = tmp_path_factory.mktemp(f"gw-{request.module.__name__.rpartition('.')[2]}")
    gw = start_gateway(tmp, suite_fake, "embedded", None, extra_env=suite_env, config_template=config)
    yield gw
    status = gw.stop()
    assert status == 0, "".join(gw.log)


@pytest.fixture(autouse=True)
def _clean_fake(request: pytest.FixtureRequest) -> None:
    for name in ("fake_provider", "suite_fake"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()
