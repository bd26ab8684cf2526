"""Requests the provider end-to-end tests share: two function tools and a tiny PNG, and stream readers."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

PNG_BASE64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
"""A 1x1 PNG, base64."""
PNG_BYTES = base64.b64decode(PNG_BASE64)
PNG_DATA_URL = "data:image/png;base64," + PNG_BASE64

WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
CLOCK: Any = {
    "type": "function",
    "function": {
        "name": "get_time",
        "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]},
    },
}


def streamed_tool_calls(stream: Any) -> tuple[dict[int, dict[str, str]], str | None, str]:
    """Tool calls assembled by index from an `openai` SDK stream, the finish reason, and the text.

    Fails when a call's id comes on any delta but its first.
    """
    calls: dict[int, dict[str, str]] = {}
    finish, content = None, ""
    for chunk in stream:
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            content += choice.delta.content or ""
            for delta in choice.delta.tool_calls or []:
                slot = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                if delta.id:
                    assert not slot["id"], "an id only on the first delta of a call"
                    slot["id"] = delta.id
                if delta.function and delta.function.name:
                    slot["name"] = delta.function.name
                if delta.function and delta.function.arguments:
                    slot["arguments"] += delta.function.arguments
    return calls, finish, content


def stream_chat_events(v1: str, key: str, model: str) -> tuple[int, list[dict[str, Any]], str]:
    """A chat streamed over plain HTTP: the status, each `data:` event's JSON but `[DONE]`, and the raw body."""
    with httpx.stream(
        "POST",
        f"{v1}/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": model, "messages": [{"role": "user", "content": "a b c d e f"}], "stream": True},
        timeout=20,
    ) as response:
        body = response.read().decode()
    events = [json.loads(e.removeprefix("data: ")) for e in body.split("\n\n") if e and e != "data: [DONE]"]
    return response.status_code, events, body
