"""One fake provider per test session, served in-process over real HTTP and reset per test.

The fake knows one credential of each kind (see `fake_credentials`): the API
key every keyed surface requires, the AWS identity Bedrock's SigV4 signatures
are checked against, and a Google service account whose key signs the
assertions Vertex AI's tokens are bought with. Its clock is one the Bedrock
tests move to expire signatures.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import botocore.session
import httpx
import openai
import pytest
from botocore.config import Config
from cryptography.hazmat.primitives.asymmetric import rsa

from aigw_fakeprovider import RunningFakeProvider, ServerSettings, running_fake_provider
from fake_bedrock import MovableClock
from fake_credentials import API_KEY, EMAIL, KEY_ID, REGION, SECRET, pem


@pytest.fixture(scope="session")
def account_key() -> rsa.RSAPrivateKey:
    """The private key of the Google service account the fake knows."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def clock() -> MovableClock:
    """The fake's clock; `http` puts it back in step with the signer's before every test."""
    return MovableClock()


@pytest.fixture(scope="session")
async def fake_server(
    account_key: rsa.RSAPrivateKey, clock: MovableClock, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningFakeProvider]:
    key_file = tmp_path_factory.mktemp("google") / "sa.json"
    account = {"type": "service_account", "project_id": "aigw-test", "private_key_id": "k1"}
    key_file.write_text(json.dumps({**account, "private_key": pem(account_key), "client_email": EMAIL}))
    settings = ServerSettings(
        port=0,
        api_key=API_KEY,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        aws_region=REGION,
        google_service_account=str(key_file),
    )
    async with running_fake_provider(settings, clock=clock) as running:
        yield running


@pytest.fixture(scope="session")
async def session_http(fake_server: RunningFakeProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fake_server.url, timeout=5.0) as client:
        yield client


@pytest.fixture
async def http(session_http: httpx.AsyncClient, clock: MovableClock) -> httpx.AsyncClient:
    """A raw HTTP client on a fake provider with default knobs, no recorded requests, and the right time."""
    clock.offset = 0.0
    (await session_http.delete("/_fake/knobs")).raise_for_status()
    (await session_http.delete("/_fake/requests")).raise_for_status()
    return session_http


@pytest.fixture
async def client(
    http: httpx.AsyncClient, fake_server: RunningFakeProvider
) -> AsyncIterator[openai.AsyncOpenAI]:
    """The official SDK pointed at the (freshly reset) fake provider, without retries."""
    sdk = openai.AsyncOpenAI(base_url=f"{fake_server.url}/v1", api_key=API_KEY, max_retries=0, timeout=5.0)
    yield sdk
    await sdk.close()


@pytest.fixture
def auth() -> dict[str, str]:
    """Headers that authenticate with the fake provider's key."""
    return {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def api_key() -> str:
    """The key the fake requires, as it is."""
    return API_KEY


# --- Anthropic -------------------------------------------------------------------------------------------


@pytest.fixture
def headers(api_key: str) -> dict[str, str]:
    """What Anthropic's API needs on every request: the key and a version."""
    return {"x-api-key": api_key, "anthropic-version": "2023-06-01"}


@pytest.fixture
async def sdk(
    http: httpx.AsyncClient, fake_server: RunningFakeProvider, api_key: str
) -> AsyncIterator[anthropic.AsyncAnthropic]:
    """Anthropic's official SDK (it authenticates with a Bearer key) on the freshly reset fake."""
    client = anthropic.AsyncAnthropic(base_url=fake_server.url, api_key=api_key, max_retries=0, timeout=5.0)
    yield client
    await client.close()


# --- Azure OpenAI ----------------------------------------------------------------------------------------


@pytest.fixture
def key(api_key: str) -> dict[str, str]:
    """Azure's key header."""
    return {"api-key": api_key}


# --- Bedrock ---------------------------------------------------------------------------------------------


@pytest.fixture
def boto_client(fake_server: RunningFakeProvider, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """botocore's own `bedrock-runtime` client, signing as the fake's AWS identity, without retries."""
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    client = botocore.session.get_session().create_client(
        "bedrock-runtime",
        region_name=REGION,
        endpoint_url=fake_server.url,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}),
    )
    yield client
    client.close()
