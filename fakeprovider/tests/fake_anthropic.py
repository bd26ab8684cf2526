"""Requests to the fake's Anthropic Messages API, and a reader for its error envelope."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from fake_requests import replaced

MODEL = "claude-fake-4-5"
USER = {"role": "user", "content": "hi"}
WEATHER: dict[str, Any] = {
    "name": "get_weather",
    "description": "Weather in a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "units": {"type": "string", "enum": ["c", "f"]}},
        "required": ["city", "units"],
    },
}
CLOCK: dict[str, Any] = {
    "name": "get_time",
    "input_schema": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]},
}


def body(**changes: Any) -> dict[str, Any]:
    """A valid Messages request with fields replaced (a value of ... removes the field)."""
    return replaced({"model": MODEL, "max_tokens": 64, "messages": [copy.deepcopy(USER)]}, changes)


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The error inside Anthropic's envelope, after checking the envelope's exact shape."""
    payload = response.json()
    assert set(payload) == {"type", "error", "request_id"} and payload["type"] == "error"
    assert (
        payload["request_id"].startswith("req_") and response.headers["request-id"] == payload["request_id"]
    )
    error: dict[str, Any] = payload["error"]
    assert set(error) == {"type", "message"}
    return error
