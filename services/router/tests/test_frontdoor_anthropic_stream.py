"""The Anthropic front door's streams: OpenAI chat.completion.chunk in, Anthropic stream events out.

Each event leaves as soon as its chunk arrives, is one the SDK's event types
accept, and the SDK accumulates the whole stream into the message.
"""

from __future__ import annotations

from typing import Any

import anthropic
import httpx2
import orjson
import pytest

from aigw_router.adapters import TokenUsage
from aigw_router.adapters.openai import OpenAIStreamTranslator
from aigw_router.frontdoor.anthropic_stream import ChatToAnthropicStream
from aigw_runtime.errors import UpstreamError
from frontdoor_samples import USAGE, anthropic_events, chat_chunk, sse
from stream_checks import until_failure


def _translator() -> ChatToAnthropicStream:
    return ChatToAnthropicStream(OpenAIStreamTranslator("gpt", include_usage=True), "gpt-4o-deployment")


def _run(
    raw: bytes, translator: ChatToAnthropicStream | None = None
) -> tuple[list[dict[str, Any]], ChatToAnthropicStream]:
    translator = translator or _translator()
    frames = translator.feed(raw) + translator.finish()
    return anthropic_events(frames), translator


def test_text_streams_as_a_text_block_then_the_stop_reason_and_usage() -> None:
    raw = sse(
        chat_chunk({"role": "assistant", "content": ""}),
        chat_chunk({"content": "Hel"}),
        chat_chunk({"content": "lo"}),
        chat_chunk({}, "stop"),
        chat_chunk(None, usage=USAGE),
    )

    events, translator = _run(raw)

    assert [e["type"] for e in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start = events[0]["message"]
    assert start["id"] == "msg_s1" and start["model"] == "gpt-4o" and start["content"] == []
    assert [e["delta"]["text"] for e in events[2:4]] == ["Hel", "lo"]
    assert events[5]["delta"]["stop_reason"] == "end_turn"
    assert events[5]["usage"]["input_tokens"] == 12 and events[5]["usage"]["output_tokens"] == 5
    assert translator.usage == TokenUsage(prompt_tokens=12, completion_tokens=5, total_tokens=17)


def test_each_event_leaves_as_soon_as_its_chunk_arrives() -> None:
    translator = _translator()

    first = translator.feed(sse(chat_chunk({"role": "assistant", "content": "Hi"}), done=False))
    second = translator.feed(sse(chat_chunk({"content": " there"}), done=False))

    assert [e["type"] for e in anthropic_events(first)] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
    ]
    assert [e["delta"]["text"] for e in anthropic_events(second)] == [" there"]


def test_parallel_tool_calls_stream_as_tool_use_blocks_with_their_ids_and_partial_json() -> None:
    raw = sse(
        chat_chunk({"role": "assistant", "content": "Checking both."}),
        chat_chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ]
            }
        ),
        chat_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"ci'}}]}),
        chat_chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ty": "Paris"}'}}]}),
        chat_chunk(
            {
                "tool_calls": [
                    {
                        "index": 1,
                        "id": "call_b",
                        "type": "function",
                        "function": {"name": "get_time", "arguments": "{}"},
                    }
                ]
            }
        ),
        chat_chunk({}, "tool_calls"),
        chat_chunk(None, usage=USAGE),
    )

    events, _ = _run(raw)

    starts = [e for e in events if e["type"] == "content_block_start"]
    assert [s["index"] for s in starts] == [0, 1, 2]
    assert starts[1]["content_block"] == {
        "type": "tool_use",
        "id": "call_a",
        "name": "get_weather",
        "input": {},
    }
    assert starts[2]["content_block"]["id"] == "call_b"
    fragments = [
        e["delta"]["partial_json"] for e in events if e["type"] == "content_block_delta" and e["index"] == 1
    ]
    assert orjson.loads("".join(fragments)) == {"city": "Paris"}
    stops = [e["index"] for e in events if e["type"] == "content_block_stop"]
    assert stops == [0, 1, 2]
    assert events[-2]["delta"]["stop_reason"] == "tool_use" and events[-1]["type"] == "message_stop"


def test_the_sdk_accumulates_the_translated_stream_into_the_message() -> None:
    raw = sse(
        chat_chunk({"role": "assistant", "content": "On it."}),
        chat_chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'},
                    }
                ]
            }
        ),
        chat_chunk({}, "tool_calls"),
        chat_chunk(None, usage=USAGE),
    )
    translator = _translator()
    frames = translator.feed(raw) + translator.finish()

    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=b"".join(frames), headers={"content-type": "text/event-stream"})

    # The SDK's own HTTP stack (httpx2) reads the stream, as it would read the gateway's.
    client = anthropic.Anthropic(
        base_url="http://gateway.test",
        api_key="k",
        http_client=httpx2.Client(transport=httpx2.MockTransport(answer)),
    )
    with client.messages.stream(
        model="gpt", max_tokens=10, messages=[{"role": "user", "content": "go"}]
    ) as stream:
        message = stream.get_final_message()

    assert message.stop_reason == "tool_use"
    assert message.content[0].type == "text" and message.content[0].text == "On it."
    assert message.content[1].type == "tool_use" and message.content[1].input == {"city": "Rome"}
    assert (message.usage.input_tokens, message.usage.output_tokens) == (12, 5)


def test_a_refusal_streams_as_text_with_the_refusal_stop_reason() -> None:
    raw = sse(
        chat_chunk({"role": "assistant", "content": None, "refusal": ""}),
        chat_chunk({"refusal": "I can't"}),
        chat_chunk({}, "stop"),
        chat_chunk(None, usage=USAGE),
    )

    events, _ = _run(raw)

    assert events[2]["delta"] == {"type": "text_delta", "text": "I can't"}
    assert events[-2]["delta"]["stop_reason"] == "refusal"


def test_usage_on_the_finishing_chunk_ends_the_message_when_the_upstream_closes() -> None:
    raw = sse(
        chat_chunk({"role": "assistant", "content": "Bonjour"}),
        chat_chunk({"content": " !"}, "stop", usage=USAGE),
    )
    translator = _translator()

    before_close = anthropic_events(translator.feed(raw))
    at_close = anthropic_events(translator.finish())

    assert "message_stop" not in [e["type"] for e in before_close]
    assert [e["type"] for e in at_close] == ["message_delta", "message_stop"]
    assert at_close[0]["usage"]["output_tokens"] == 5


def test_a_stream_that_breaks_before_its_end_raises_instead_of_ending_cleanly() -> None:
    delivered, broken = until_failure(
        _translator(), sse(chat_chunk({"role": "assistant", "content": "Hel"}), done=False)
    )

    assert delivered and broken.status == 502


def test_interleaved_tool_arguments_cannot_be_carried_and_fail_the_stream() -> None:
    raw = sse(
        chat_chunk(
            {
                "tool_calls": [
                    {"index": 0, "id": "a", "type": "function", "function": {"name": "f", "arguments": "{"}}
                ]
            }
        ),
        chat_chunk(
            {
                "tool_calls": [
                    {"index": 1, "id": "b", "type": "function", "function": {"name": "g", "arguments": "{"}}
                ]
            }
        ),
        chat_chunk({"tool_calls": [{"index": 0, "function": {"arguments": "}"}}]}),
        done=False,
    )

    with pytest.raises(UpstreamError) as failed:
        _translator().feed(raw)

    assert failed.value.code == "upstream_stream_untranslatable"
