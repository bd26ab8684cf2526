"""The Anthropic adapter behind /v1/messages: native requests, answers and streams pass through."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from aigw_runtime.errors import GatewayError
from anthropic_samples import FIXTURES, KEY, anthropic_adapter, sse_events
from stream_checks import until_failure


def test_a_native_request_passes_through_with_the_deployments_model() -> None:
    body = orjson.dumps(
        {"model": "public", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}], "top_k": 3}
    )

    plain = asyncio.run(anthropic_adapter().build_messages(body, "claude-haiku-4-5", stream=False))
    streamed = asyncio.run(anthropic_adapter().build_messages(body, "claude-haiku-4-5", stream=True))

    assert plain.url == "https://api.anthropic.com/v1/messages" and plain.headers["x-api-key"] == KEY
    assert orjson.loads(plain.content) == {**orjson.loads(body), "model": "claude-haiku-4-5"}
    assert orjson.loads(streamed.content)["stream"] is True
    assert streamed.headers["accept"] == "text/event-stream"


def test_a_native_answer_is_unchanged_and_its_usage_read() -> None:
    content = (FIXTURES / "anthropic_message_tool_use.json").read_bytes()

    result = anthropic_adapter().parse_messages(content)

    assert result.body == content and result.usage.prompt_tokens == 3731


def test_a_native_stream_is_relayed_event_by_event() -> None:
    relay = anthropic_adapter().messages_stream()
    events = sse_events((FIXTURES / "anthropic_stream_tools.sse").read_bytes())

    frames = [frame for event in events for frame in relay.feed(event)]
    frames += relay.finish()

    assert len(frames) == len(events)
    assert frames[0].startswith(b"event: message_start\ndata: {") and frames[-1].endswith(b"\n\n")
    assert relay.usage is not None and relay.usage.completion_tokens == 88


def test_a_native_stream_error_or_break_raises() -> None:
    delivered, failure = until_failure(
        anthropic_adapter().messages_stream(), (FIXTURES / "anthropic_stream_overloaded.sse").read_bytes()
    )
    assert failure.status == 503
    assert delivered and not any(frame.startswith(b"event: error") for frame in delivered)

    broken = anthropic_adapter().messages_stream()
    broken.feed(b"".join(sse_events((FIXTURES / "anthropic_stream_text.sse").read_bytes())[:-1]))
    with pytest.raises(GatewayError):
        broken.finish()


def test_count_tokens_passes_through_and_meters_nothing() -> None:
    body = b'{"model":"public","messages":[{"role":"user","content":"x"}]}'
    request = asyncio.run(anthropic_adapter().build_count_tokens(body, "claude-haiku-4-5"))

    assert request.url == "https://api.anthropic.com/v1/messages/count_tokens"
    assert orjson.loads(request.content)["model"] == "claude-haiku-4-5"
    result = anthropic_adapter().parse_count_tokens(b'{"input_tokens": 12}')
    assert result.body == b'{"input_tokens": 12}' and result.usage.total_tokens == 0
