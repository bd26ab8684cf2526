"""The fake's Gemini streams (SSE or one JSON array) and its faults, in Google's shapes."""

from __future__ import annotations

import json

import httpx
import pytest

from fake_credentials import API_KEY
from fake_google import TIME, WEATHER, function_calls, generate, google_error, user_turn

STREAM = "/v1beta/models/gemini-2.0-flash:streamGenerateContent"


# --- streams ----------------------------------------------------------------------------------------------------------


async def test_a_sse_stream_sends_one_response_per_token_then_the_finish_and_usage(
    http: httpx.AsyncClient,
) -> None:
    response = await generate(http, {"contents": [user_turn("one two three")]}, f"{STREAM}?alt=sse")

    assert response.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(block.removeprefix("data: ")) for block in response.text.split("\r\n\r\n") if block]
    assert "".join(e["candidates"][0]["content"]["parts"][0]["text"] for e in events) == "Echo: one two three"
    assert [e["candidates"][0].get("finishReason") for e in events] == [None, None, None, "STOP"]
    assert "candidatesTokenCount" not in events[0]["usageMetadata"]
    assert events[-1]["usageMetadata"]["candidatesTokenCount"] == 4


async def test_a_stream_without_alt_sse_is_one_json_array(http: httpx.AsyncClient) -> None:
    response = await generate(http, {"contents": [user_turn("one two")]}, STREAM)

    assert response.headers["content-type"].startswith("application/json")
    pieces = response.json()
    assert "".join(p["candidates"][0]["content"]["parts"][0]["text"] for p in pieces) == "Echo: one two"


async def test_function_calls_stream_whole_in_one_response(http: httpx.AsyncClient) -> None:
    body = {"contents": [user_turn("go")], "tools": [{"functionDeclarations": [WEATHER, TIME]}]}
    response = await generate(http, body, f"{STREAM}?alt=sse")
    events = [json.loads(block.removeprefix("data: ")) for block in response.text.split("\r\n\r\n") if block]
    assert len(events) == 1 and [c["name"] for c in function_calls(events[0])] == ["get_weather", "get_time"]


# --- faults -------------------------------------------------------------------------------------------------------------


async def test_faults_answer_in_googles_shape(http: httpx.AsyncClient) -> None:
    body = {"contents": [user_turn("hi")]}
    (await http.put("/_fake/knobs", json={"fault": "429", "retry_after": 7})).raise_for_status()
    limited = await generate(http, body)
    (await http.put("/_fake/knobs", json={"fault": "503"})).raise_for_status()
    overloaded = await generate(http, body)
    (await http.put("/_fake/knobs", json={"fault": "500"})).raise_for_status()
    failed = await generate(http, body)

    assert "exceeded your current quota" in google_error(limited, 429, "RESOURCE_EXHAUSTED")
    assert limited.json()["error"]["details"] == [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}
    ]
    assert "retry-after" not in limited.headers
    assert google_error(overloaded, 503, "UNAVAILABLE") == "The model is overloaded. Please try again later."
    google_error(failed, 500, "INTERNAL")


async def test_a_dropped_stream_is_cut_after_the_set_number_of_responses(http: httpx.AsyncClient) -> None:
    (await http.put("/_fake/knobs", json={"fault": "drop", "drop_after_chunks": 2})).raise_for_status()
    received = b""
    with pytest.raises(httpx.RemoteProtocolError):
        async with http.stream(
            "POST",
            f"{STREAM}?alt=sse",
            json={"contents": [user_turn("one two three four")]},
            headers={"x-goog-api-key": API_KEY},
        ) as response:
            async for chunk in response.aiter_bytes():
                received += chunk
    assert received.count(b"data: ") == 2
