"""The Bedrock adapter, streams: event-stream frames become OpenAI chunks; bad frames and breaks raise.

Stream fixtures (`fixtures/bedrock_stream_*.eventstream`) are real
`application/vnd.amazon.eventstream` bytes: the documented ConverseStream event
sequences, framed by the fake provider's encoder, which reproduces botocore's
own event-stream test vectors byte for byte (see fakeprovider/tests).
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from aigw_runtime.errors import GatewayError
from bedrock_samples import CLAUDE, FIXTURES, bedrock_adapter
from stream_checks import until_failure


def _translate(data: bytes, *, include_usage: bool = True, piece: int | None = None) -> list[dict[str, Any]]:
    translator = bedrock_adapter().chat_stream(include_usage, CLAUDE)
    pieces = [data] if piece is None else [data[i : i + piece] for i in range(0, len(data), piece)]
    chunks = [chunk for part in pieces for chunk in translator.feed(part)]
    chunks += translator.finish()
    return [orjson.loads(chunk) for chunk in chunks]


def _arguments(chunks: list[dict[str, Any]], index: int) -> str:
    return "".join(
        call["function"].get("arguments", "")
        for chunk in chunks
        for choice in chunk["choices"]
        for call in choice["delta"].get("tool_calls", [])
        if call["index"] == index
    )


def test_a_stream_of_text_then_a_tool_call_is_translated_event_by_event() -> None:
    chunks = _translate((FIXTURES / "bedrock_stream_text_then_tool.eventstream").read_bytes())

    deltas = [chunk["choices"][0]["delta"] for chunk in chunks if chunk["choices"]]
    assert deltas[0] == {"role": "assistant", "content": ""}
    assert "".join(delta.get("content", "") for delta in deltas) == "It is sunny."
    header = next(delta["tool_calls"][0] for delta in deltas if "tool_calls" in delta)
    assert header == {
        "index": 0,
        "id": "tooluse_abc",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    assert orjson.loads(_arguments(chunks, 0)) == {"location": "Paris"}
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 60
    assert len({chunk["id"] for chunk in chunks}) == 1 and chunks[0]["object"] == "chat.completion.chunk"


def test_frames_split_anywhere_give_the_same_chunks() -> None:
    data = (FIXTURES / "bedrock_stream_text_then_tool.eventstream").read_bytes()

    whole = _translate(data)
    by_seven = _translate(data, piece=7)

    strip = [{**chunk, "id": None, "created": None} for chunk in whole]
    assert strip == [{**chunk, "id": None, "created": None} for chunk in by_seven]


def test_each_event_is_translated_as_soon_as_its_frame_is_complete() -> None:
    data = (FIXTURES / "bedrock_stream_text_then_tool.eventstream").read_bytes()
    translator = bedrock_adapter().chat_stream(True, CLAUDE)
    first_frame_length = int.from_bytes(data[:4], "big")

    assert translator.feed(data[: first_frame_length - 1]) == []
    assert len(translator.feed(data[first_frame_length - 1 : first_frame_length])) == 1


def test_parallel_tool_calls_keep_their_index_and_a_call_without_input_gets_an_empty_object() -> None:
    chunks = _translate((FIXTURES / "bedrock_stream_parallel_tools.eventstream").read_bytes())

    headers = [
        call
        for chunk in chunks
        for choice in chunk["choices"]
        for call in choice["delta"].get("tool_calls", [])
        if "id" in call
    ]
    assert [(h["index"], h["id"], h["function"]["name"]) for h in headers] == [
        (0, "tooluse_weather01", "get_weather"),
        (1, "tooluse_clock0002", "get_time"),
    ]
    assert orjson.loads(_arguments(chunks, 0)) == {"city": "Paris"}
    assert orjson.loads(_arguments(chunks, 1)) == {}
    assert chunks[-1]["usage"]["prompt_tokens"] == 1012
    assert chunks[-1]["usage"]["prompt_tokens_details"] == {"cached_tokens": 1000}


def test_without_include_usage_no_usage_chunk_is_sent_but_usage_is_known() -> None:
    translator = bedrock_adapter().chat_stream(False, CLAUDE)

    chunks = translator.feed((FIXTURES / "bedrock_stream_text_then_tool.eventstream").read_bytes())

    assert all(orjson.loads(chunk)["choices"] for chunk in chunks)
    assert translator.finish() == []
    assert translator.usage is not None and translator.usage.total_tokens == 60


@pytest.mark.parametrize("position", ["prelude", "headers", "payload", "message_crc"])
def test_a_frame_with_a_wrong_crc_is_refused(position: str) -> None:
    data = bytearray((FIXTURES / "bedrock_stream_text_then_tool.eventstream").read_bytes())
    total = int.from_bytes(data[:4], "big")
    offset = {"prelude": 9, "headers": 14, "payload": total - 10, "message_crc": total - 1}[position]
    data[offset] ^= 0x01

    with pytest.raises(GatewayError) as broken:
        bedrock_adapter().chat_stream(True, CLAUDE).feed(bytes(data))
    assert broken.value.code == "upstream_stream_broken" and broken.value.status == 502


@pytest.mark.parametrize(
    ("fixture", "status", "code"),
    [
        ("bedrock_stream_throttled.eventstream", 429, "upstream_rate_limited"),
        ("bedrock_stream_model_error.eventstream", 502, "upstream_error"),
    ],
)
def test_an_in_stream_exception_is_raised_as_a_gateway_error(fixture: str, status: int, code: str) -> None:
    translator = bedrock_adapter().chat_stream(True, CLAUDE)

    delivered, failure = until_failure(translator, (FIXTURES / fixture).read_bytes())

    assert failure.status == status and failure.code == code
    # What the stream said before the exception still reaches the client.
    assert delivered and b'"role":"assistant"' in delivered[0]


def _frames(data: bytes) -> list[bytes]:
    """The event-stream messages in `data`, each cut at its own total length."""
    frames, offset = [], 0
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        frames.append(data[offset : offset + length])
        offset += length
    return frames


@pytest.mark.parametrize("kept", [2, 9])
def test_a_stream_that_ends_before_its_metadata_is_broken(kept: int) -> None:
    frames = _frames((FIXTURES / "bedrock_stream_text_then_tool.eventstream").read_bytes())
    translator = bedrock_adapter().chat_stream(True, CLAUDE)

    translator.feed(b"".join(frames[:kept]))

    with pytest.raises(GatewayError) as broken:
        translator.finish()
    assert broken.value.code == "upstream_stream_broken"
