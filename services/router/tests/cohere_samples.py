"""What the Cohere adapter's tests share: the adapter, its key and clock, and the recorded fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from aigw_router.adapters import AdapterServices
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.cohere import CohereAdapter
from aigw_runtime.config import ProviderConfig
from fixed_clock import FixedClock

FIXTURES = Path(__file__).parent / "fixtures"
KEY_ENV = "AIGW_TEST_COHERE_KEY"
CREATED = 1_760_000_000


def _no_fetch(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"the Cohere adapter must not fetch {request.url}: Cohere fetches image URLs itself")


def cohere_adapter(base_url: str | None = "https://api.cohere.com/") -> CohereAdapter:
    """An adapter for provider `co` with the key co-upstream-secret, whose clock reads `CREATED`.

    It fails the test if it fetches anything itself.
    """
    os.environ[KEY_ENV] = "co-upstream-secret"
    provider = ProviderConfig(name="co", type="cohere", base_url=base_url, api_key=f"env:{KEY_ENV}")
    client = httpx.AsyncClient(transport=httpx.MockTransport(_no_fetch))
    return CohereAdapter(
        provider, AdapterServices(http=client, images=ImageFetcher(client)), clock=FixedClock(CREATED)
    )
