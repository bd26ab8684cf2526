"""The Anthropic adapter, streams: Messages events become OpenAI chunks one by one; errors raise."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from openai.types.chat import ChatCompletionChunk

from aigw_runtime.errors import GatewayError
from anthropic_samples import FIXTURES, NOW, anthropic_adapter, sse_events


def _stream(raw: bytes, include_usage: bool = True, step: int = 5) -> tuple[list[dict[str, Any]], Any]:
    translator = anthropic_adapter().chat_stream(include_usage, "claude-sonnet-4-5")
    payloads = [p for i in range(0, len(raw), step) for p in translator.feed(raw[i : i + step])]
    payloads += translator.finish()
    return [orjson.loads(p) for p in payloads], translator.usage


def test_a_text_stream_becomes_chunks_then_finish_then_usage() -> None:
    chunks, usage = _stream((FIXTURES / "anthropic_stream_text.sse").read_bytes())

    assert {c["id"] for c in chunks} == {"chatcmpl-msg_01TextStreamCacheRead00001"}
    assert {(c["object"], c["created"], c["model"]) for c in chunks} == {
        ("chat.completion.chunk", NOW, "claude-sonnet-4-5-20250929")
    }
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    deltas = [c["choices"][0]["delta"].get("content") for c in chunks[1:-2]]
    assert deltas == ["Bonjour", " à", " tous !"]
    assert chunks[-2]["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 132,
        "completion_tokens": 9,
        "total_tokens": 141,
        "prompt_tokens_details": {"cached_tokens": 100},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens) == (132, 9, 100)
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)


def test_each_event_is_translated_as_soon_as_it_arrives() -> None:
    translator = anthropic_adapter().chat_stream(False, "claude-sonnet-4-5")
    events = sse_events((FIXTURES / "anthropic_stream_text.sse").read_bytes())

    produced = [len(translator.feed(event)) for event in events]

    # message_start, block start, ping, three deltas, block stop, message_delta, message_stop
    assert produced == [1, 0, 0, 1, 1, 1, 0, 1, 0]
    assert translator.finish() == []


def test_without_include_usage_no_usage_chunk_is_sent_but_usage_is_still_known() -> None:
    chunks, usage = _stream((FIXTURES / "anthropic_stream_text.sse").read_bytes(), include_usage=False)

    assert all("usage" not in c for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert usage.total_tokens == 141


def test_streamed_tool_calls_have_their_own_index_an_id_first_and_arguments_that_parse() -> None:
    chunks, usage = _stream((FIXTURES / "anthropic_stream_tools.sse").read_bytes(), step=11)

    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Let me check both."
    calls: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        for delta in chunk["choices"][0]["delta"].get("tool_calls", []) if chunk["choices"] else []:
            slot = calls.setdefault(delta["index"], {"deltas": 0, "arguments": ""})
            if slot["deltas"] == 0:
                assert delta["id"] and delta["type"] == "function" and delta["function"]["name"]
                slot.update(id=delta["id"], name=delta["function"]["name"])
            else:
                assert "id" not in delta and "name" not in delta["function"]
            slot["deltas"] += 1
            slot["arguments"] += delta["function"]["arguments"]

    assert sorted(calls) == [0, 1]
    assert (calls[0]["id"], calls[0]["name"]) == ("toolu_01WeatherCallAaaaaaaaaaaa", "get_weather")
    assert orjson.loads(calls[0]["arguments"]) == {"city": "Paris", "days": 3}
    assert (calls[1]["name"], orjson.loads(calls[1]["arguments"])) == ("get_time", {})
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert [reason for reason in finishes if reason] == ["tool_calls"]
    assert (usage.prompt_tokens, usage.completion_tokens) == (410, 88)


def test_a_stream_cut_by_max_tokens_inside_tool_input_finishes_with_length() -> None:
    raw = b"".join(sse_events((FIXTURES / "anthropic_stream_tools.sse").read_bytes())[:9])
    raw += (
        b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"max_tokens",'
        b'"stop_sequence":null},"usage":{"output_tokens":20}}\n\n'
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    )

    chunks, _ = _stream(raw)

    assert chunks[-2]["choices"][0]["finish_reason"] == "length"


def test_a_refusal_stream_finishes_with_content_filter() -> None:
    raw = b"".join(sse_events((FIXTURES / "anthropic_stream_text.sse").read_bytes())[:2])
    raw += (
        b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
        b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"refusal",'
        b'"stop_sequence":null,"stop_details":{"type":"refusal"}},"usage":{"output_tokens":0}}\n\n'
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    )

    chunks, _ = _stream(raw)

    assert chunks[-2]["choices"][0]["finish_reason"] == "content_filter"


@pytest.mark.parametrize(
    ("error_type", "status", "code"),
    [
        ("overloaded_error", 503, "upstream_overloaded"),
        ("api_error", 502, "upstream_error"),
        ("rate_limit_error", 429, "upstream_rate_limited"),
        ("invalid_request_error", 400, "upstream_invalid_request"),
    ],
)
def test_an_error_event_raises_instead_of_ending_cleanly(error_type: str, status: int, code: str) -> None:
    raw = (
        (FIXTURES / "anthropic_stream_overloaded.sse")
        .read_bytes()
        .replace(b"overloaded_error", error_type.encode())
    )
    translator = anthropic_adapter().chat_stream(True, "claude-sonnet-4-5")
    events = sse_events(raw)
    sent = [p for event in events[:-1] for p in translator.feed(event)]

    with pytest.raises(GatewayError) as caught:
        translator.feed(events[-1])
    assert len(sent) == 2  # the role chunk and "Once upon" reached the client before the error
    assert (caught.value.status, caught.value.code) == (status, code)


def test_a_stream_that_ends_before_message_stop_is_broken() -> None:
    raw = b"".join(sse_events((FIXTURES / "anthropic_stream_text.sse").read_bytes())[:-1])
    translator = anthropic_adapter().chat_stream(True, "claude-sonnet-4-5")
    translator.feed(raw)

    with pytest.raises(GatewayError) as caught:
        translator.finish()
    assert caught.value.status == 502 and caught.value.code == "upstream_stream_broken"


@pytest.mark.parametrize(
    "raw",
    [
        b"event: message_start\ndata: {not json\n\n",
        b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}\n\n',
    ],
)
def test_a_malformed_or_out_of_order_event_is_a_502(raw: bytes) -> None:
    with pytest.raises(GatewayError) as caught:
        anthropic_adapter().chat_stream(True, "claude-sonnet-4-5").feed(raw)
    assert caught.value.status == 502
