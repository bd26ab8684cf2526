"""Requests to the fake's Cohere v2 API (chat and embed), and readers for its streams and errors."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx

from fake_requests import replaced

MODEL = "command-a-03-2025"
USER = {"role": "user", "content": "hello there"}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "gets the weather",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
        },
    },
}
TIME = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
}
CALL = {
    "id": "get_weather_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"location":"Paris"}'},
}
CALL_2 = {"id": "get_time_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
PNG = "data:image/png;base64,iVBORw0KGgo="


def body(**changes: Any) -> dict[str, Any]:
    """A valid chat request with fields replaced (a value of ... removes the field)."""
    return replaced({"model": MODEL, "messages": [copy.deepcopy(USER)]}, changes)


def embed(**changes: Any) -> dict[str, Any]:
    """A valid embed request with fields replaced (a value of ... removes the field)."""
    request: dict[str, Any] = {
        "model": "embed-v4.0",
        "texts": ["hello", "world"],
        "input_type": "search_document",
        "embedding_types": ["float"],
    }
    return replaced(request, changes)


def tool_turns(*results: tuple[str, str]) -> list[dict[str, Any]]:
    """A user turn, the assistant's two calls, and the given (tool_call_id, content) results."""
    assistant = {"role": "assistant", "tool_plan": "I will call both.", "tool_calls": [CALL, CALL_2]}
    tools = [{"role": "tool", "tool_call_id": call_id, "content": text} for call_id, text in results]
    return [copy.deepcopy(USER), assistant, *tools]


def unknown_field(name: str, endpoint: str = "chat") -> str:
    """Cohere's message for a field its `endpoint` does not define."""
    return (
        f"unknown field: parameter '{name}' is not a valid field. For proper usage, please refer to "
        f"https://docs.cohere.com/reference/{endpoint}"
    )


async def chat(http: httpx.AsyncClient, auth: dict[str, str], payload: Any) -> httpx.Response:
    if isinstance(payload, bytes):
        return await http.post("/v2/chat", headers=auth, content=payload)
    return await http.post("/v2/chat", headers=auth, json=payload)


async def events(
    http: httpx.AsyncClient, auth: dict[str, str], payload: dict[str, Any]
) -> list[tuple[str, Any]]:
    """The (event name, JSON data) pairs of a streamed answer, checking each names its type twice."""
    response = await chat(http, auth, {**payload, "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    found = []
    for block in response.text.split("\n\n"):
        if not block:
            continue
        event_line, data_line = block.split("\n")
        name, data = event_line.removeprefix("event: "), json.loads(data_line.removeprefix("data: "))
        assert data["type"] == name
        found.append((name, data))
    return found


def error_of(response: httpx.Response) -> str:
    payload = response.json()
    assert set(payload) == {"id", "message"}
    message: str = payload["message"]
    return message
