"""Requests the provider end-to-end tests share: two function tools and a tiny PNG, and stream readers."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import openai
from openai.types.chat import ChatCompletionChunk

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


def question_with_images(text: str, *images: dict[str, str]) -> list[Any]:
    """One user message: the text, then an `image_url` part for each image (`{"url": ..., "detail": ...}`)."""
    parts = [{"type": "image_url", "image_url": image} for image in images]
    return [{"role": "user", "content": [{"type": "text", "text": text}, *parts]}]


def stream_chat_with_usage(
    client: openai.OpenAI, model: str, content: str = "one two three four"
) -> list[ChatCompletionChunk]:
    """Every chunk of a chat streamed with the `openai` SDK, asking for usage at the end."""
    stream = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": content}],
        stream=True,
        stream_options={"include_usage": True},
    )
    return list(stream)


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
                first = delta.index not in calls
                slot = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                assert bool(delta.id) == first, "an id on the first delta of a call, and only there"
                if delta.id:
                    slot["id"] = delta.id
                if delta.function and delta.function.name:
                    slot["name"] = delta.function.name
                if delta.function and delta.function.arguments:
                    slot["arguments"] += delta.function.arguments
    return calls, finish, content


def post_chat(
    v1: str, key: str, model: str, content: str = "one two three four five", **extra: Any
) -> httpx.Response:
    """A chat asked over plain HTTP; `extra` goes into the request's body."""
    return httpx.post(
        f"{v1}/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": model, "messages": [{"role": "user", "content": content}], **extra},
        timeout=20,
    )


def stream_chat_events(
    v1: str, key: str, model: str, content: str = "a b c d e f", **extra: Any
) -> tuple[int, list[dict[str, Any]], str]:
    """A chat streamed over plain HTTP: the status, each `data:` event's JSON but `[DONE]`, and the raw body.

    `extra` goes into the request's body.
    """
    with httpx.stream(
        "POST",
        f"{v1}/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": model, "messages": [{"role": "user", "content": content}], "stream": True, **extra},
        timeout=20,
    ) as response:
        body = response.read().decode()
    events = [json.loads(e.removeprefix("data: ")) for e in body.split("\n\n") if e and e != "data: [DONE]"]
    return response.status_code, events, body


def stream_chat_until_error(v1: str, key: str, model: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A chat streamed over plain HTTP that must break midway: the chunks before its error event, and the error.

    Fails unless the stream began as a 200, its last event carries nothing but `error`, and no `[DONE]` came.
    """
    status, events, body = stream_chat_events(v1, key, model)
    assert status == 200
    *chunks, last = events
    assert set(last) == {"error"}
    assert "[DONE]" not in body
    error: dict[str, Any] = last["error"]
    return chunks, error
