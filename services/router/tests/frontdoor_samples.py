"""What the Anthropic front door's tests share: a Claude tool, OpenAI answers and chunks, routers.

The OpenAI side is what a non-Claude deployment answers, and `anthropic_events`
reads what the front door makes of it; the router helpers build a real `Router`
whose upstream calls all go to a mock transport.
"""

from __future__ import annotations

from typing import Any

import anthropic
import orjson
import pydantic
import pytest

from aigw_router.routing import Router
from aigw_runtime.sse import SseDecoder
from mock_router import Handler, router_over

WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
"""A Claude tool, as an Anthropic Messages request declares it."""
STREAM_EVENT: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(anthropic.types.RawMessageStreamEvent)
USAGE = {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}
"""The usage an OpenAI stream reports on its last chunk."""


def chat_completion(
    message: dict[str, Any], finish: str, usage: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An OpenAI chat.completion with one choice."""
    return {
        "id": "chatcmpl-abc",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": usage or {"prompt_tokens": 40, "completion_tokens": 9, "total_tokens": 49},
    }


def chat_chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> bytes:
    """An OpenAI chat.completion.chunk; without a delta, one with no choices (where usage comes)."""
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return orjson.dumps(
        {
            "id": "chatcmpl-s1",
            "object": "chat.completion.chunk",
            "model": "gpt-4o",
            "choices": choices,
            **extra,
        }
    )


def sse(*payloads: bytes, done: bool = True) -> bytes:
    """The payloads as OpenAI's `data:` events, ended by `[DONE]` unless `done` is false."""
    return b"".join(b"data: " + p + b"\n\n" for p in payloads) + (b"data: [DONE]\n\n" if done else b"")


def anthropic_events(frames: list[bytes]) -> list[dict[str, Any]]:
    """Parses whole SSE events, checking that each `event:` name matches its JSON `type`."""
    decoder = SseDecoder()
    events = []
    for frame in frames:
        parsed = decoder.feed(frame)
        assert len(parsed) == 1, "each payload is exactly one SSE event"
        body = orjson.loads(parsed[0].data)
        assert parsed[0].event == body["type"]
        STREAM_EVENT.validate_python(body)  # the SDK's own event types accept it
        events.append(body)
    return events


CONFIG = """\
providers:
  - {name: claude, type: anthropic, base_url: "http://claude.test", api_key: "env:CLAUDE_KEY"}
  - {name: gpt, type: openai, base_url: "http://gpt.test/v1", api_key: "env:GPT_KEY"}
models:
  - name: claude
    deployments: [{provider: claude, model: claude-upstream}]
  - name: gpt
    deployments: [{provider: gpt, model: gpt-upstream}]
"""
"""A Claude deployment and an OpenAI one, the two sides of the front door."""


def router_with(handler: Handler, monkeypatch: pytest.MonkeyPatch) -> Router:
    """The router of `CONFIG`, its upstream keys set, answered by `handler`."""
    monkeypatch.setenv("CLAUDE_KEY", "sk-ant-upstream")
    monkeypatch.setenv("GPT_KEY", "sk-gpt-upstream")
    return router_over(CONFIG, handler)
