"""The `stream_error` fault: a stream starts (200, some events), then fails in band, as each provider does it.

Every protocol sends `drop_after_chunks` events, then the error event of its
own stream format, and ends the body cleanly with no end marker: OpenAI's and
Azure's `data: {"error": ...}` without `[DONE]`, Anthropic's `event: error`
without `message_stop`, Bedrock's exception message, Google's Status envelope
where the next response would be, Cohere's `message-end` with finish reason
`ERROR`. A request that does not stream gets the same failure as an error status.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anthropic
import httpx
import openai
import orjson
import pytest
from botocore.eventstream import EventStreamBuffer
from cryptography.hazmat.primitives.asymmetric import rsa

from aigw_fakeprovider import RunningFakeProvider
from aigw_fakeprovider.cli import settings_from_args
from aigw_fakeprovider.knobs import FaultKind
from fake_bedrock import MODEL as BEDROCK_MODEL
from fake_credentials import API_KEY
from fake_google import access_token

FIVE_WORDS = "one two three four five"


async def stream_error(http: httpx.AsyncClient, after: int) -> None:
    knobs = {"fault": "stream_error", "drop_after_chunks": after}
    (await http.put("/_fake/knobs", json=knobs)).raise_for_status()


async def streamed(http: httpx.AsyncClient, path: str, **request: Any) -> tuple[httpx.Response, bytes]:
    """The whole body of a streamed answer; reading it raises if the connection is cut instead of ended."""
    async with http.stream("POST", path, **request) as response:
        return response, await response.aread()


def sse_events(body: bytes, separator: bytes = b"\n\n") -> list[str]:
    return [event.decode() for event in body.split(separator) if event]


def data_of(event: str) -> Any:
    """The JSON of an event's `data:` line."""
    for line in event.splitlines():
        if line.startswith("data: "):
            return json.loads(line.removeprefix("data: "))
    raise AssertionError(f"no data line in {event!r}")


def name_of(event: str) -> str:
    return event.splitlines()[0].removeprefix("event: ")


# --- the knob --------------------------------------------------------------------------------------------


def test_the_cli_and_the_control_api_know_the_fault() -> None:
    settings = settings_from_args(["--fault", "stream_error", "--drop-after-chunks", "4"])

    assert settings.knobs.fault is FaultKind.STREAM_ERROR and settings.knobs.drop_after_chunks == 4


async def test_the_control_api_sets_the_fault_per_model(http: httpx.AsyncClient) -> None:
    response = await http.put(
        "/_fake/knobs", json={"model": "m", "fault": "stream_error", "drop_after_chunks": 1}
    )

    assert response.status_code == 200
    assert response.json()["knobs"]["fault"] == "stream_error"


# --- OpenAI --------------------------------------------------------------------------------------------------


def openai_chat(**fields: Any) -> dict[str, Any]:
    return {"model": "fake-gpt-4o", "messages": [{"role": "user", "content": FIVE_WORDS}], **fields}


async def test_openai_sends_the_first_chunks_then_an_error_event_and_no_done(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await stream_error(http, 2)

    response, body = await streamed(http, "/v1/chat/completions", headers=auth, json=openai_chat(stream=True))

    assert response.status_code == 200
    events = sse_events(body)
    assert [data_of(e)["choices"][0]["delta"].get("content") for e in events[:2]] == ["", "Echo:"]
    assert data_of(events[2]) == {
        "error": {
            "message": "The server had an error while processing your request. Sorry about that!",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }
    assert len(events) == 3 and b"[DONE]" not in body


async def test_openais_sdk_raises_api_error_after_the_chunks_it_got(
    http: httpx.AsyncClient, client: openai.AsyncOpenAI
) -> None:
    await stream_error(http, 3)
    contents: list[str | None] = []

    with pytest.raises(openai.APIError) as caught:
        async for chunk in await client.chat.completions.create(**openai_chat(stream=True)):
            contents.append(chunk.choices[0].delta.content)

    assert contents == ["", "Echo:", " one"]
    assert not isinstance(caught.value, openai.APIConnectionError)
    assert isinstance(caught.value.body, dict) and caught.value.body["type"] == "server_error"


async def test_an_error_past_the_last_chunk_replaces_done(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await stream_error(http, 100)

    _, body = await streamed(http, "/v1/chat/completions", headers=auth, json=openai_chat(stream=True))

    events = sse_events(body)
    assert data_of(events[-2])["choices"][0]["finish_reason"] == "stop"
    assert "error" in data_of(events[-1]) and b"[DONE]" not in body


async def test_a_request_that_does_not_stream_gets_the_error_as_a_status(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await stream_error(http, 2)

    response = await http.post("/v1/chat/completions", headers=auth, json=openai_chat())

    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error"


# --- Azure OpenAI --------------------------------------------------------------------------------------------


async def test_azure_sends_openais_error_event_after_its_prompt_filter_chunk(http: httpx.AsyncClient) -> None:
    await stream_error(http, 2)
    path = "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21"
    request = {"messages": [{"role": "user", "content": FIVE_WORDS}], "stream": True}

    response, body = await streamed(http, path, headers={"api-key": API_KEY}, json=request)

    assert response.status_code == 200
    events = sse_events(body)
    assert "prompt_filter_results" in data_of(events[0])
    assert data_of(events[1])["choices"][0]["delta"]["role"] == "assistant"
    assert data_of(events[2])["error"]["type"] == "server_error"
    assert len(events) == 3 and b"[DONE]" not in body


# --- Anthropic -----------------------------------------------------------------------------------------------

ANTHROPIC_HEADERS = {"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}


def anthropic_messages(**fields: Any) -> dict[str, Any]:
    return {
        "model": "claude-fake-4-5",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": FIVE_WORDS}],
        **fields,
    }


async def test_anthropic_sends_an_overloaded_error_event_and_no_message_stop(http: httpx.AsyncClient) -> None:
    await stream_error(http, 4)

    response, body = await streamed(
        http, "/v1/messages", headers=ANTHROPIC_HEADERS, json=anthropic_messages(stream=True)
    )

    assert response.status_code == 200
    events = sse_events(body)
    assert [name_of(e) for e in events] == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "error",
    ]
    assert data_of(events[-1]) == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }


async def test_anthropics_sdk_raises_on_the_error_event(
    http: httpx.AsyncClient, fake_server: RunningFakeProvider
) -> None:
    await stream_error(http, 4)
    sdk = anthropic.AsyncAnthropic(base_url=fake_server.url, api_key=API_KEY, max_retries=0, timeout=5.0)
    texts: list[str] = []

    with pytest.raises(anthropic.APIStatusError) as caught:
        async for event in await sdk.messages.create(**anthropic_messages(stream=True)):
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                texts.append(event.delta.text)
    await sdk.close()

    assert texts == ["Echo:"]
    assert isinstance(caught.value.body, dict) and caught.value.body["error"]["type"] == "overloaded_error"


async def test_anthropic_without_a_stream_answers_the_529(http: httpx.AsyncClient) -> None:
    await stream_error(http, 4)

    response = await http.post("/v1/messages", headers=ANTHROPIC_HEADERS, json=anthropic_messages())

    assert response.status_code == 529 and response.json()["error"]["type"] == "overloaded_error"


# --- Bedrock -------------------------------------------------------------------------------------------------


def bedrock_converse() -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": [{"text": FIVE_WORDS}]}]}


async def test_bedrock_ends_the_event_stream_with_a_throttling_exception(http: httpx.AsyncClient) -> None:
    await stream_error(http, 2)
    headers = {"authorization": f"Bearer {API_KEY}", "content-type": "application/json"}

    response, body = await streamed(
        http, f"/model/{BEDROCK_MODEL}/converse-stream", headers=headers, json=bedrock_converse()
    )

    assert response.status_code == 200
    buffer = EventStreamBuffer()
    buffer.add_data(body)
    messages = [(dict(m.headers), orjson.loads(m.payload)) for m in buffer]
    assert [h.get(":event-type") for h, _ in messages[:2]] == ["messageStart", "contentBlockDelta"]
    exception_headers, exception = messages[-1]
    assert exception_headers == {
        ":exception-type": "throttlingException",
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    assert exception == {"message": "Too many requests, please wait before trying again."}
    assert len(messages) == 3


async def test_botocore_raises_the_throttling_while_iterating_the_stream(
    http: httpx.AsyncClient, boto_client: Any
) -> None:
    await stream_error(http, 2)
    received: list[str] = []

    def converse_stream() -> None:
        response = boto_client.converse_stream(modelId=BEDROCK_MODEL, **bedrock_converse())
        for event in response["stream"]:
            received.extend(event)

    with pytest.raises(Exception, match=r"throttlingException") as caught:
        await asyncio.to_thread(converse_stream)

    assert type(caught.value).__name__ == "EventStreamError"
    assert received == ["messageStart", "contentBlockDelta"]


# --- Gemini (AI Studio) --------------------------------------------------------------------------------------

GEMINI_STREAM = "/v1beta/models/gemini-2.0-flash:streamGenerateContent"
GEMINI_BODY = {"contents": [{"role": "user", "parts": [{"text": FIVE_WORDS}]}]}
OVERLOADED = {
    "error": {
        "code": 503,
        "message": "The model is overloaded. Please try again later.",
        "status": "UNAVAILABLE",
    }
}


async def test_gemini_sends_the_status_envelope_as_its_last_sse_event(http: httpx.AsyncClient) -> None:
    await stream_error(http, 2)

    response, body = await streamed(
        http, f"{GEMINI_STREAM}?alt=sse", headers={"x-goog-api-key": API_KEY}, json=GEMINI_BODY
    )

    assert response.status_code == 200
    events = sse_events(body, b"\r\n\r\n")
    assert [data_of(e)["candidates"][0]["content"]["parts"][0]["text"] for e in events[:2]] == [
        "Echo:",
        " one",
    ]
    assert data_of(events[2]) == OVERLOADED and len(events) == 3


@pytest.mark.parametrize("after", [0, 2])
async def test_gemini_without_sse_closes_its_array_with_the_error(
    http: httpx.AsyncClient, after: int
) -> None:
    await stream_error(http, after)

    _, body = await streamed(http, GEMINI_STREAM, headers={"x-goog-api-key": API_KEY}, json=GEMINI_BODY)

    pieces = json.loads(body)
    assert len(pieces) == after + 1 and pieces[-1] == OVERLOADED
    assert all("candidates" in piece for piece in pieces[:-1])


# --- Gemini on Vertex AI -------------------------------------------------------------------------------------

VERTEX_STREAM = "/v1/projects/aigw-test/locations/us-central1/publishers/google/models/gemini-2.0-flash:streamGenerateContent"


@pytest.fixture
async def vertex(http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey) -> tuple[httpx.AsyncClient, str]:
    """A client on the fake, and an access token the fake issued."""
    return http, await access_token(http, account_key)


async def test_vertex_sends_its_unavailable_status_as_the_last_sse_event(
    vertex: tuple[httpx.AsyncClient, str],
) -> None:
    client, token = vertex
    await stream_error(client, 1)

    response, body = await streamed(
        client, f"{VERTEX_STREAM}?alt=sse", headers={"authorization": f"Bearer {token}"}, json=GEMINI_BODY
    )

    assert response.status_code == 200
    events = sse_events(body, b"\r\n\r\n")
    assert "candidates" in data_of(events[0])
    assert data_of(events[1]) == {
        "error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}
    }
    assert len(events) == 2


# --- Cohere --------------------------------------------------------------------------------------------------


async def test_cohere_ends_with_a_message_end_whose_finish_reason_is_error(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await stream_error(http, 3)
    request = {
        "model": "command-a-03-2025",
        "messages": [{"role": "user", "content": FIVE_WORDS}],
        "stream": True,
    }

    response, body = await streamed(http, "/v2/chat", headers=auth, json=request)

    assert response.status_code == 200
    events = sse_events(body)
    assert [name_of(e) for e in events] == ["message-start", "content-start", "content-delta", "message-end"]
    assert data_of(events[-1]) == {
        "type": "message-end",
        "delta": {
            "error": "internal server error, this has been reported to our developers",
            "finish_reason": "ERROR",
        },
    }
