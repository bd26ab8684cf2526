"""What the Anthropic adapter's tests share: the adapter, its key and clock, and the recorded fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from aigw_router.adapters import AdapterServices
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.anthropic import AnthropicAdapter
from aigw_runtime.config import ProviderConfig
from fixed_clock import FixedClock

FIXTURES = Path(__file__).parent / "fixtures"
NOW = 1_750_000_000
KEY = "sk-ant-api03-" + "k" * 20


def anthropic_adapter(base_url: str | None = "https://api.anthropic.com/") -> AnthropicAdapter:
    """An adapter for provider `claude` with the key `KEY`, whose clock reads `NOW`."""
    os.environ["AIGW_TEST_ANTHROPIC_KEY"] = KEY
    provider = ProviderConfig(
        name="claude", type="anthropic", base_url=base_url, api_key="env:AIGW_TEST_ANTHROPIC_KEY"
    )
    client = httpx.AsyncClient()
    return AnthropicAdapter(
        provider, AdapterServices(http=client, images=ImageFetcher(client)), clock=FixedClock(NOW)
    )


def sse_events(raw: bytes) -> list[bytes]:
    """The server-sent events in `raw`, one by one, each with its closing blank line."""
    return [event + b"\n\n" for event in raw.split(b"\n\n") if event.strip()]
