"""What the Gemini adapter's tests share: two tools, a Gemini adapter with a fixed clock, and chat requests.

The adapter's HTTP client serves one image (`/cat.png`) and nothing else, so
image fetching can be tested without a network.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from aigw_router.adapters import AdapterServices, ChatCall, ParamPolicy
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.gemini import GeminiAdapter
from aigw_runtime.config import ImageFetchConfig, ProviderConfig
from aigw_runtime.errors import GatewayError
from chat_samples import PNG_BYTES
from fixed_clock import FixedClock

FIXTURES = Path(__file__).parent / "fixtures"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "units": {"type": ["string", "null"], "enum": ["C", "F"]},
            },
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
"""An OpenAI function tool whose schema Gemini's OpenAPI subset spells otherwise (a nullable enum)."""
TIME = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
}
"""An OpenAI function tool without arguments."""


def _images_served(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/cat.png":
        return httpx.Response(200, content=PNG_BYTES, headers={"content-type": "image/png"})
    return httpx.Response(404)


def gemini_adapter(base_url: str | None = None, image_fetch: ImageFetchConfig | None = None) -> GeminiAdapter:
    """An AI Studio adapter with a test key, at `base_url` (Google's by default), its clock stopped."""
    os.environ["AIGW_TEST_GEMINI_KEY"] = "AIzaSyTestKey0123456789abcdefghij"
    provider = ProviderConfig(
        name="gemini-main",
        type="gemini",
        base_url=base_url,
        api_key="env:AIGW_TEST_GEMINI_KEY",
        image_fetch=image_fetch or ImageFetchConfig(),
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(_images_served))
    return GeminiAdapter(
        provider, AdapterServices(http=client, images=ImageFetcher(client)), clock=FixedClock(1_700_000_000.0)
    )


def chat_body(messages: list[dict[str, Any]] | None = None, **fields: Any) -> bytes:
    """An OpenAI chat request body: the messages (one "hi" by default) and any other fields."""
    return orjson.dumps(
        {"model": "public", "messages": messages or [{"role": "user", "content": "hi"}], **fields}
    )


async def sent_body(
    body: bytes,
    *,
    stream: bool = False,
    policy: ParamPolicy = ParamPolicy.REJECT,
    adapter: GeminiAdapter | None = None,
) -> dict[str, Any]:
    """The GenerateContentRequest the adapter sends for a chat body."""
    request = await (adapter or gemini_adapter()).build_chat(
        ChatCall(body=body, upstream_model="gemini-2.0-flash", stream=stream, policy=policy)
    )
    sent: dict[str, Any] = orjson.loads(request.content)
    return sent


async def refusal(body: bytes, adapter: GeminiAdapter | None = None) -> GatewayError:
    """The error the adapter raises instead of sending a chat body."""
    with pytest.raises(GatewayError) as caught:
        await sent_body(body, adapter=adapter)
    return caught.value
