"""One fake provider per test session, served in-process over real HTTP and reset per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import openai
import pytest

from aigw_fakeprovider import RunningFakeProvider, ServerSettings, running_fake_provider

API_KEY = "sk-fake-0123456789abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(scope="session")
async def fake_server() -> AsyncIterator[RunningFakeProvider]:
    async with running_fake_provider(ServerSettings(port=0, api_key=API_KEY)) as running:
        yield running


@pytest.fixture(scope="session")
async def session_http(fake_server: RunningFakeProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fake_server.url, timeout=5.0) as client:
        yield client


@pytest.fixture
async def http(session_http: httpx.AsyncClient) -> httpx.AsyncClient:
    """A raw HTTP client on a fake provider with default knobs and no recorded requests."""
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
