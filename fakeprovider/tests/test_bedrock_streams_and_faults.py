"""The fake's ConverseStream: AWS event-stream frames as botocore encodes them, and faults in Bedrock's shapes."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from aigw_fakeprovider.bedrock_eventstream import (
    HeaderType,
    TypedHeader,
    encode_message,
    event_frame,
    exception_frame,
)
from fake_bedrock import MODEL, TOOL, aws_error, converse, model_path, post
from fake_credentials import API_KEY

EVENT_STREAM = "application/vnd.amazon.eventstream"


def _events(data: bytes) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return [(dict(message.headers), orjson.loads(message.payload)) for message in buffer]


# --- the event-stream encoding --------------------------------------------------------

# botocore's own event-stream test vectors (tests/unit/test_eventstream.py).
VECTORS = [
    ({}, b"", "000000100000000005c248eb7d98c8ff"),
    ({}, b"{'foo':'bar'}", "0000001d00000000fd528c5a7b27666f6f273a27626172277dc3653936"),
    (
        {"content-type": "application/json"},
        b"{'foo':'bar'}",
        "0000003d0000002007fd83960c636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e7b27666f6f273a27626172277d8d9c08b1",
    ),
    ({"byte": TypedHeader(HeaderType.BYTE, -1)}, b"", "000000170000000729860158046279746502ffc2f869dc"),
    (
        {"long": TypedHeader(HeaderType.LONG, -1)},
        b"",
        "0000001e0000000e5d4adb8d046c6f6e6705ffffffffffffffff4bc232da",
    ),
]


@pytest.mark.parametrize(("headers", "payload", "expected"), VECTORS)
def test_the_encoder_reproduces_botocores_test_vectors(headers: Any, payload: bytes, expected: str) -> None:
    assert encode_message(headers, payload).hex() == expected


def test_converse_stream_events_decode_with_botocore_and_are_padded() -> None:
    frames = event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}})
    frames += exception_frame("throttlingException", "Too many requests")

    (event_headers, event), (exception_headers, exception) = _events(frames)

    assert event_headers == {
        ":event-type": "contentBlockDelta",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    assert event["delta"] == {"text": "Hi"} and isinstance(event["p"], str)
    assert exception_headers[":message-type"] == "exception"
    assert exception_headers[":exception-type"] == "throttlingException"
    assert exception == {"message": "Too many requests"}


def test_a_corrupted_frame_fails_botocores_crc_check() -> None:
    frame = bytearray(event_frame("messageStart", {"role": "assistant"}))
    frame[20] ^= 0xFF

    with pytest.raises(ChecksumMismatch):
        _events(bytes(frame))


# --- ConverseStream ---------------------------------------------------------------------


async def test_a_stream_is_an_event_stream_from_message_start_to_metadata(http: httpx.AsyncClient) -> None:
    response = await post(
        http, converse(toolConfig={"tools": [TOOL]}), path=model_path(action="converse-stream")
    )

    assert response.status_code == 200 and response.headers["content-type"] == EVENT_STREAM
    events = _events(response.content)
    kinds = [headers[":event-type"] for headers, _ in events]
    assert kinds[0] == "messageStart" and kinds[-2:] == ["messageStop", "metadata"]
    start = next(payload for headers, payload in events if headers[":event-type"] == "contentBlockStart")
    assert start["start"]["toolUse"]["name"] == "get_weather" and start["contentBlockIndex"] == 0
    fragments = [
        payload["delta"]["toolUse"]["input"]
        for headers, payload in events
        if headers[":event-type"] == "contentBlockDelta"
    ]
    assert set(orjson.loads("".join(fragments))) == {"city"}
    assert events[-2][1]["stopReason"] == "tool_use"
    assert set(events[-1][1]["usage"]) == {"inputTokens", "outputTokens", "totalTokens"}


async def test_a_dropped_stream_stops_after_the_configured_frames(http: httpx.AsyncClient) -> None:
    await http.put("/_fake/knobs", json={"fault": "drop", "drop_after_chunks": 2, "model": MODEL})

    with pytest.raises(httpx.RemoteProtocolError):
        await post(http, converse(), path=model_path(action="converse-stream"))


@pytest.mark.parametrize(
    ("fault", "status", "kind"),
    [
        ("429", 429, "ThrottlingException"),
        ("500", 500, "InternalServerException"),
        ("503", 503, "ServiceUnavailableException"),
    ],
)
async def test_error_faults_are_bedrock_exceptions(
    http: httpx.AsyncClient, fault: str, status: int, kind: str
) -> None:
    await http.put("/_fake/knobs", json={"fault": fault, "retry_after": 4, "model": MODEL})

    response = await post(http, converse(), path=model_path(action="converse-stream"))

    aws_error(response, status, kind)
    assert response.headers.get("retry-after") == ("4" if fault == "429" else None)


async def test_a_hanging_request_never_answers(http: httpx.AsyncClient) -> None:
    await http.put("/_fake/knobs", json={"fault": "hang", "model": MODEL})

    headers = {"content-type": "application/json", "authorization": f"Bearer {API_KEY}"}

    with pytest.raises(httpx.ReadTimeout):
        await http.post(model_path(), content=orjson.dumps(converse()), headers=headers, timeout=0.5)
