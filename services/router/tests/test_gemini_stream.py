"""The Gemini adapter's streams: streamGenerateContent's SSE events become chat.completion.chunks.

Each chunk leaves as its event arrives; an error inside the stream or a stream
that ends before its finish reason fails it.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from aigw_router.adapters.base import TokenUsage
from aigw_runtime.errors import GatewayError
from gemini_samples import FIXTURES, gemini_adapter
from stream_checks import until_failure


def _stream(raw: bytes, include_usage: bool, step: int = 9) -> tuple[list[dict[str, Any]], TokenUsage | None]:
    translator = gemini_adapter().chat_stream(include_usage, "gemini-2.0-flash")
    payloads = [p for i in range(0, len(raw), step) for p in translator.feed(raw[i : i + step])]
    payloads += translator.finish()
    return [orjson.loads(p) for p in payloads], translator.usage


def test_a_text_stream_becomes_chunks_as_events_arrive_then_a_usage_chunk() -> None:
    chunks, usage = _stream((FIXTURES / "gemini_stream_text.sse").read_bytes(), include_usage=True)

    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "Hello"}
    assert (
        "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
        == "Hello! How can I help?"
    )
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    assert {c["id"] for c in chunks} == {"chatcmpl-s7r3am"} and chunks[0]["object"] == "chat.completion.chunk"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 15
    assert chunks[-1]["usage"]["prompt_tokens_details"] == {"cached_tokens": 2}
    assert usage is not None and usage.completion_tokens == 7


def test_a_stream_without_include_usage_sends_no_usage_but_still_counts_it() -> None:
    chunks, usage = _stream((FIXTURES / "gemini_stream_text.sse").read_bytes(), include_usage=False)

    assert all("usage" not in c for c in chunks)
    assert usage is not None and usage.total_tokens == 15


def test_function_calls_stream_as_complete_tool_call_deltas() -> None:
    chunks, usage = _stream(
        (FIXTURES / "gemini_stream_function_calls.sse").read_bytes(), include_usage=True, step=5
    )

    deltas = [call for c in chunks if c["choices"] for call in c["choices"][0]["delta"].get("tool_calls", [])]
    assert [d["index"] for d in deltas] == [0, 1]
    assert all(d["id"].startswith("call_") and d["type"] == "function" for d in deltas)
    assert [(d["function"]["name"], orjson.loads(d["function"]["arguments"])) for d in deltas] == [
        ("get_weather", {"city": "Paris", "units": ["C"]}),
        ("get_time", {}),
    ]
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "tool_calls"
    assert usage is not None and (usage.completion_tokens, usage.reasoning_tokens) == (52, 40)


def test_a_stream_that_ends_before_its_finish_reason_is_broken() -> None:
    raw = (FIXTURES / "gemini_stream_text.sse").read_bytes()
    cut = raw[: raw.rindex(b"data:")]
    translator = gemini_adapter().chat_stream(True, "gemini-2.0-flash")

    delivered, failure = until_failure(translator, cut)

    assert delivered
    assert failure.status == 502 and failure.code == "upstream_stream_broken"


def test_an_error_inside_a_stream_raises_with_its_meaning() -> None:
    translator = gemini_adapter().chat_stream(True, "gemini-2.0-flash")
    translator.feed(b'data: {"candidates": [{"content": {"parts": [{"text": "Hi"}]}}]}\r\n\r\n')

    with pytest.raises(GatewayError) as caught:
        translator.feed(
            b'data: {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}\r\n\r\n'
        )
    assert caught.value.status == 503


def test_a_blocked_prompt_streams_as_a_content_filter_finish() -> None:
    raw = b'data: {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": {"promptTokenCount": 3}}\r\n\r\n'
    chunks, _ = _stream(raw, include_usage=False)
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None, "content_filter"]
