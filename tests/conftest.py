"""End-to-end fixtures: `aigw up` as real processes, with a fake provider beside it.

`gateway` runs once per test module and backend: "embedded" (SQLite and
in-process stores, what `make run` uses) and "real" (Postgres and Redis), on
the harness's config.

`suite_gateway` runs once per module that sets `SUITE_CONFIG` (a config
template, formatted with `fake_url`), on the embedded backend, beside its own
`suite_fake`; a module overrides `suite_fake_args` (flags for `aigw
fake-provider`) and `suite_env` (environment for `aigw up`) when it needs to.
Provider modules use it: what they test does not depend on the backend.
`suite_key` may use every model of the suite; `suite_client` and
`suite_anthropic` are the official SDKs on its two doors with that key.

A module whose config has a Vertex provider sets `SUITE_SERVICE_ACCOUNT_ENV`
to the variable its config reads the service-account key from: the gateway
gets `google_service_account` there, and the fake verifies the tokens signed
with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import anthropic
import openai
import pytest

from google_keys import write_service_account
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
def google_service_account(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh service-account key file (see `google_keys`)."""
    return write_service_account(tmp_path_factory.mktemp("google"))


@pytest.fixture(scope="module")
def suite_fake_args(request: pytest.FixtureRequest) -> tuple[str, ...]:
    if not hasattr(request.module, "SUITE_SERVICE_ACCOUNT_ENV"):
        return ()
    account: Path = request.getfixturevalue("google_service_account")
    return ("--google-service-account", str(account))


@pytest.fixture(scope="module")
def suite_env(request: pytest.FixtureRequest) -> dict[str, str]:
    variable: str | None = getattr(request.module, "SUITE_SERVICE_ACCOUNT_ENV", None)
    if variable is None:
        return {}
    account: Path = request.getfixturevalue("google_service_account")
    return {variable: account.read_text()}


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


@pytest.fixture(scope="module")
def suite_key(request: pytest.FixtureRequest, suite_gateway: Gateway) -> str:
    secret: str = suite_gateway.create_key(request.module.__name__.rpartition(".")[2])["key"]
    return secret


@pytest.fixture
def suite_client(suite_gateway: Gateway, suite_key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=suite_gateway.v1, api_key=suite_key, max_retries=0, timeout=20)


@pytest.fixture
def suite_anthropic(suite_gateway: Gateway, suite_key: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=suite_gateway.url, api_key=suite_key, max_retries=0, timeout=20)


@pytest.fixture(autouse=True)
def _clean_fake(request: pytest.FixtureRequest) -> None:
    for name in ("fake_provider", "suite_fake"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()
