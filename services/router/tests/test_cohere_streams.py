"""The Cohere adapter, streams: Cohere's events become OpenAI chunks as they arrive; errors raise."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from aigw_router.adapters.cohere_stream import CohereChatStream
from aigw_runtime.errors import GatewayError
from cohere_samples import CREATED, FIXTURES, cohere_adapter
from stream_checks import until_failure


def _stream(include_usage: bool = True) -> CohereChatStream:
    translator = cohere_adapter().chat_stream(include_usage, "command-a-03-2025")
    assert isinstance(translator, CohereChatStream)
    return translator


def _feed_all(raw: bytes, translator: CohereChatStream, size: int = 7) -> list[dict[str, Any]]:
    payloads: list[bytes] = []
    for start in range(0, len(raw), size):
        payloads.extend(translator.feed(raw[start : start + size]))
    payloads.extend(translator.finish())
    return [orjson.loads(payload) for payload in payloads]


def test_a_text_stream_becomes_chunks_with_a_finish_and_a_usage_chunk() -> None:
    translator = _stream()
    chunks = _feed_all((FIXTURES / "cohere_stream_text.sse").read_bytes(), translator)

    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert {chunk["id"] for chunk in chunks} == {"chatcmpl-5b7c1e2a-9d44-4f0e-8a61-2f3c4d5e6f70"}
    assert all(chunk["object"] == "chat.completion.chunk" and chunk["created"] == CREATED for chunk in chunks)
    assert (
        "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
        == "Bonjour le monde"
    )
    assert chunks[-2]["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 7
    assert translator.usage is not None and translator.usage.prompt_tokens == 4


def test_without_include_usage_no_usage_chunk_is_sent_but_usage_is_metered() -> None:
    translator = _stream(include_usage=False)
    chunks = _feed_all((FIXTURES / "cohere_stream_text.sse").read_bytes(), translator)

    assert all("usage" not in chunk for chunk in chunks)
    assert translator.usage is not None and translator.usage.completion_tokens == 3


def test_chunks_go_out_as_events_arrive_before_the_stream_ends() -> None:
    raw = (FIXTURES / "cohere_stream_text.sse").read_bytes()
    first_delta = raw.index(b"event: content-delta")
    second_delta = raw.index(b"event: content-delta", first_delta + 1)

    payloads = _stream().feed(raw[:second_delta])

    assert [orjson.loads(p)["choices"][0]["delta"].get("content") for p in payloads] == ["", "Bonjour"]


def test_a_tool_call_stream_has_the_plan_as_content_and_indexed_calls_with_ids_first() -> None:
    translator = _stream()
    chunks = _feed_all((FIXTURES / "cohere_stream_tool_calls.sse").read_bytes(), translator, size=11)

    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert "".join(d.get("content") or "" for d in deltas) == "I will check both cities."
    calls = [call for d in deltas for call in d.get("tool_calls", [])]
    firsts = [call for call in calls if "id" in call]
    assert firsts == [
        {
            "index": 0,
            "id": "get_weather_k3v9q2m1x7aa",
            "type": "function",
            "function": {"name": "get_weather", "arguments": ""},
        },
        {
            "index": 1,
            "id": "get_weather_p8d4w6n2z0bb",
            "type": "function",
            "function": {"name": "get_weather", "arguments": ""},
        },
    ]
    arguments = [
        "".join(call["function"]["arguments"] for call in calls if call["index"] == i) for i in (0, 1)
    ]
    assert [orjson.loads(text) for text in arguments] == [{"location": "Lyon"}, {"location": "Nice"}]
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert translator.usage is not None
    assert (translator.usage.prompt_tokens, translator.usage.cached_tokens) == (41, 16)


def _events(*bodies: dict[str, Any], named: bool = True) -> bytes:
    frames = []
    for body in bodies:
        data = b"data: " + orjson.dumps(body) + b"\n\n"
        frames.append((b"event: " + body["type"].encode() + b"\n" + data) if named else data)
    return b"".join(frames)


START = {"id": "r1", "type": "message-start", "delta": {"message": {"role": "assistant"}}}
END = {
    "type": "message-end",
    "delta": {
        "finish_reason": "COMPLETE",
        "usage": {"billed_units": {"input_tokens": 1, "output_tokens": 1}},
    },
}


def test_thinking_blocks_are_left_out_of_a_stream() -> None:
    raw = _events(
        START,
        {
            "type": "content-start",
            "index": 0,
            "delta": {"message": {"content": {"type": "thinking", "thinking": ""}}},
        },
        {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"thinking": "hmm"}}}},
        {
            "type": "content-start",
            "index": 1,
            "delta": {"message": {"content": {"type": "text", "text": ""}}},
        },
        {"type": "content-delta", "index": 1, "delta": {"message": {"content": {"text": "Yes."}}}},
        END,
    )

    chunks = _feed_all(raw, _stream(include_usage=False))

    assert [c["choices"][0]["delta"].get("content") for c in chunks] == ["", "Yes.", None]


def test_a_call_whose_arguments_never_stream_gets_an_empty_object_and_data_only_framing_works() -> None:
    call = {"id": "get_time_1", "type": "function", "function": {"name": "get_time", "arguments": ""}}
    raw = _events(
        START,
        {"type": "tool-call-start", "index": 0, "delta": {"message": {"tool_calls": call}}},
        {"type": "tool-call-end", "index": 0},
        {**END, "delta": {**END["delta"], "finish_reason": "TOOL_CALL"}},
        named=False,
    )

    chunks = _feed_all(raw + b"data: [DONE]\n\n", _stream(include_usage=False))

    fragments = [c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] for c in chunks[1:3]]
    assert fragments == ["", "{}"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_a_stream_that_stops_before_message_end_is_broken() -> None:
    raw = (FIXTURES / "cohere_stream_text.sse").read_bytes()
    translator = _stream()
    translator.feed(raw[: raw.index(b"event: message-end")])

    with pytest.raises(GatewayError) as raised:
        translator.finish()
    assert raised.value.code == "upstream_stream_broken" and raised.value.retryable


def test_a_stream_ending_in_error_raises_with_cohere_reason() -> None:
    failed = {"type": "message-end", "delta": {"finish_reason": "ERROR", "error": "model crashed"}}

    delivered, failure = until_failure(_stream(), _events(START, failed))

    assert (failure.status, failure.code) == (502, "upstream_error")
    assert [orjson.loads(chunk)["choices"][0]["delta"]["role"] for chunk in delivered] == ["assistant"]


@pytest.mark.parametrize(
    "raw",
    [b"data: {not json\n\n", _events({"type": "content-delta", "index": 0, "delta": {}})],
    ids=["malformed-json", "before-message-start"],
)
def test_a_malformed_stream_is_a_502(raw: bytes) -> None:
    with pytest.raises(GatewayError) as raised:
        _stream().feed(raw)
    assert raised.value.status == 502
