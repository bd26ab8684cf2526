"""The Anthropic Messages front door in the router: translation to and from chat, streams, count_tokens.

Requests to Claude pass through; to any other deployment they become OpenAI
chat requests, and the answers (streamed or not) come back as Anthropic
messages that the official SDK's types accept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic
import httpx
import httpx2
import orjson
import pydantic
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from aigw_router.adapters import AdapterServices, TokenUsage
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.openai import OpenAIStreamTranslator
from aigw_router.catalog import Catalog
from aigw_router.frontdoor.anthropic_request import TOOL_ERROR_PREFIX, messages_to_chat
from aigw_router.frontdoor.anthropic_response import chat_to_message
from aigw_router.frontdoor.anthropic_stream import ChatToAnthropicStream
from aigw_router.operations import CallOptions, Operation
from aigw_router.routing import Router, StreamFinished, StreamStarted
from aigw_router.upstream import UpstreamCaller
from aigw_runtime.anthropic_messages import decode_count_tokens_request, decode_messages_request
from aigw_runtime.config import parse_config
from aigw_runtime.errors import GatewayError, InvalidRequestError, UpstreamError
from aigw_runtime.openai_chat import decode_chat_request
from aigw_runtime.sse import SseDecoder

WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
STREAM_EVENT: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(anthropic.types.RawMessageStreamEvent)


def _chat(stream: bool = False, **fields: Any) -> dict[str, Any]:
    body = {"model": "public", "max_tokens": 100, **fields}
    raw = orjson.loads(orjson.dumps(body))
    return messages_to_chat(decode_messages_request(orjson.dumps(body)), raw, stream=stream)


# --- request: Anthropic in, OpenAI chat out ------------------------------------------


def test_a_tool_round_trip_becomes_openai_messages_in_the_order_openai_requires() -> None:
    chat = _chat(
        system=[{"type": "text", "text": "Be brief."}],
        tools=[WEATHER],
        messages=[
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
                    {"type": "text", "text": "And tomorrow?"},
                ],
            },
        ],
    )

    assert chat["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {
                    "id": "toolu_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "toolu_1", "content": "sunny"},
        {"role": "user", "content": "And tomorrow?"},
    ]
    assert chat["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": WEATHER["input_schema"],
                "description": "The weather in a city",
            },
        }
    ]
    assert chat["max_tokens"] == 100 and "stream" not in chat
    decode_chat_request(orjson.dumps(chat))  # the canonical schema every adapter reads


def test_images_become_image_parts_and_a_failed_tool_says_so() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}}
    failed = {"type": "tool_result", "tool_use_id": "toolu_2", "content": "no such city", "is_error": True}
    chat = _chat(
        messages=[
            {"role": "user", "content": "go"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_2", "name": "f", "input": {}}],
            },
            {"role": "user", "content": [failed, {"type": "text", "text": "look"}, image]},
        ]
    )

    assert chat["messages"][2] == {
        "role": "tool",
        "tool_call_id": "toolu_2",
        "content": TOOL_ERROR_PREFIX + "no such city",
    }
    assert chat["messages"][3]["content"] == [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}},
    ]


@pytest.mark.parametrize(
    ("tool_choice", "expected"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "any"}, "required"),
        ({"type": "none"}, "none"),
        ({"type": "tool", "name": "get_weather"}, {"type": "function", "function": {"name": "get_weather"}}),
    ],
)
def test_tool_choice_maps_to_openais(tool_choice: dict[str, Any], expected: object) -> None:
    chat = _chat(tools=[WEATHER], tool_choice=tool_choice, messages=[{"role": "user", "content": "hi"}])

    assert chat["tool_choice"] == expected


def test_disabling_parallel_tool_use_turns_parallel_tool_calls_off() -> None:
    chat = _chat(
        tools=[WEATHER],
        tool_choice={"type": "auto", "disable_parallel_tool_use": True},
        messages=[{"role": "user", "content": "hi"}],
    )

    assert chat["parallel_tool_calls"] is False


def test_a_streamed_call_asks_for_usage_whatever_the_body_says() -> None:
    chat = _chat(stream=True, messages=[{"role": "user", "content": "hi"}])

    assert chat["stream"] is True and chat["stream_options"] == {"include_usage": True}


def test_claude_only_hints_are_dropped_and_sampling_passes() -> None:
    chat = _chat(
        messages=[{"role": "user", "content": "hi"}],
        metadata={"user_id": "user_abc_session_123"},
        top_k=5,
        temperature=0.5,
        top_p=0.9,
        stop_sequences=["END"],
        thinking={"type": "enabled", "budget_tokens": 2048},
        service_tier="auto",
    )

    assert chat == {
        "model": "public",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 100,
        "stop": ["END"],
        "temperature": 0.5,
        "top_p": 0.9,
    }


def test_a_count_tokens_body_becomes_the_same_input_with_no_limit_and_no_sampling() -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    body = {
        "model": "public",
        "system": "be brief",
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [WEATHER],
        "tool_choice": {"type": "any"},
        "output_config": {"format": {"type": "json_schema", "schema": schema}},
        # Not count_tokens fields: a count of the input must not turn them into parameters.
        "temperature": 0.5,
        "stop_sequences": ["END"],
    }

    chat = messages_to_chat(decode_count_tokens_request(orjson.dumps(body)), body, stream=False)

    assert chat == {
        "model": "public",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "parameters": WEATHER["input_schema"],
                    "description": WEATHER["description"],
                },
            }
        ],
        "tool_choice": "required",
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "output", "schema": schema, "strict": True},
        },
    }


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"tools": [{"type": "web_search_20250305", "name": "web_search"}]}, "tools[0].type"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"mcp_servers": [{"type": "url", "url": "https://mcp.test", "name": "m"}]}, "mcp_servers"),
    ],
)
def test_what_only_claude_can_do_is_a_400_naming_the_field(fields: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        _chat(messages=[{"role": "user", "content": "hi"}], **fields)

    assert refused.value.status == 400 and refused.value.param == param


# --- answer: OpenAI chat.completion in, Anthropic message out ----------------------------


def _completion(message: dict[str, Any], finish: str, usage: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-abc",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": usage or {"prompt_tokens": 40, "completion_tokens": 9, "total_tokens": 49},
    }


def test_text_and_tool_calls_become_blocks_with_anthropics_usage() -> None:
    completion = _completion(
        {
            "role": "assistant",
            "content": "Let me check.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        "tool_calls",
        {
            "prompt_tokens": 40,
            "completion_tokens": 9,
            "total_tokens": 49,
            "prompt_tokens_details": {"cached_tokens": 32},
        },
    )

    message = chat_to_message(completion, "gpt-4o")

    parsed = anthropic.types.Message.model_validate(message)
    assert parsed.id == "msg_abc" and parsed.model == "gpt-4o" and parsed.stop_reason == "tool_use"
    assert [block.type for block in parsed.content] == ["text", "tool_use"]
    tool = parsed.content[1]
    assert isinstance(tool, anthropic.types.ToolUseBlock)
    assert (tool.id, tool.name, tool.input) == ("call_1", "get_weather", {"city": "Paris"})
    assert (parsed.usage.input_tokens, parsed.usage.cache_read_input_tokens, parsed.usage.output_tokens) == (
        8,
        32,
        9,
    )


@pytest.mark.parametrize(
    ("message", "finish", "stop_reason"),
    [
        ({"role": "assistant", "content": "cut"}, "length", "max_tokens"),
        ({"role": "assistant", "content": "done"}, "stop", "end_turn"),
        ({"role": "assistant", "content": None, "refusal": "I can't help with that."}, "stop", "refusal"),
        ({"role": "assistant", "content": "hidden"}, "content_filter", "refusal"),
    ],
)
def test_finish_reasons_become_stop_reasons(message: dict[str, Any], finish: str, stop_reason: str) -> None:
    answer = chat_to_message(_completion(message, finish), "gpt-4o")

    assert answer["stop_reason"] == stop_reason and answer["content"][0]["type"] == "text"


def test_tool_arguments_that_are_not_an_object_are_the_providers_fault() -> None:
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": "[1, 2"}}
    completion = _completion({"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls")

    with pytest.raises(UpstreamError) as failed:
        chat_to_message(completion, "gpt-4o")

    assert failed.value.status == 502


# --- streams: chat.completion.chunk in, Anthropic events out -------------------------------


def _chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> bytes:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return orjson.dumps(
        {
            "id": "chatcmpl-s1",
            "object": "chat.completion.chunk",
            "model": "gpt-4o",
            "choices": choices,
            **extra,
        }
    )


def _sse(*payloads: bytes, done: bool = True) -> bytes:
    return b"".join(b"data: " + p + b"\n\n" for p in payloads) + (b"data: [DONE]\n\n" if done else b"")


USAGE = {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}


def _translator() -> ChatToAnthropicStream:
    return ChatToAnthropicStream(OpenAIStreamTranslator("gpt", include_usage=True), "gpt-4o-deployment")


def _events(frames: list[bytes]) -> list[dict[str, Any]]:
    """Parses whole SSE events, checking that each `event:` name matches its JSON `type`."""
    decoder = SseDecoder()
    events = []
    for frame in frames:
        parsed = decoder.feed(frame)
        assert len(parsed) == 1, "each payload is exactly one SSE event"
        body = orjson.loads(parsed[0].data)
        assert parsed[0].event == body["type"]
        STREAM_EVENT.validate_python(body)  # the SDK's own event types accept it
        events.append(body)
    return events


def _run(
    raw: bytes, translator: ChatToAnthropicStream | None = None
) -> tuple[list[dict[str, Any]], ChatToAnthropicStream]:
    translator = translator or _translator()
    frames = translator.feed(raw) + translator.finish()
    return _events(frames), translator


def test_text_streams_as_a_text_block_then_the_stop_reason_and_usage() -> None:
    raw = _sse(
        _chunk({"role": "assistant", "content": ""}),
        _chunk({"content": "Hel"}),
        _chunk({"content": "lo"}),
        _chunk({}, "stop"),
        _chunk(None, usage=USAGE),
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

    first = translator.feed(_sse(_chunk({"role": "assistant", "content": "Hi"}), done=False))
    second = translator.feed(_sse(_chunk({"content": " there"}), done=False))

    assert [e["type"] for e in _events(first)] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
    ]
    assert [e["delta"]["text"] for e in _events(second)] == [" there"]


def test_parallel_tool_calls_stream_as_tool_use_blocks_with_their_ids_and_partial_json() -> None:
    raw = _sse(
        _chunk({"role": "assistant", "content": "Checking both."}),
        _chunk(
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
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"ci'}}]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ty": "Paris"}'}}]}),
        _chunk(
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
        _chunk({}, "tool_calls"),
        _chunk(None, usage=USAGE),
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
    raw = _sse(
        _chunk({"role": "assistant", "content": "On it."}),
        _chunk(
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
        _chunk({}, "tool_calls"),
        _chunk(None, usage=USAGE),
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
    raw = _sse(
        _chunk({"role": "assistant", "content": None, "refusal": ""}),
        _chunk({"refusal": "I can't"}),
        _chunk({}, "stop"),
        _chunk(None, usage=USAGE),
    )

    events, _ = _run(raw)

    assert events[2]["delta"] == {"type": "text_delta", "text": "I can't"}
    assert events[-2]["delta"]["stop_reason"] == "refusal"


def test_usage_on_the_finishing_chunk_ends_the_message_when_the_upstream_closes() -> None:
    raw = _sse(
        _chunk({"role": "assistant", "content": "Bonjour"}), _chunk({"content": " !"}, "stop", usage=USAGE)
    )
    translator = _translator()

    before_close = _events(translator.feed(raw))
    at_close = _events(translator.finish())

    assert "message_stop" not in [e["type"] for e in before_close]
    assert [e["type"] for e in at_close] == ["message_delta", "message_stop"]
    assert at_close[0]["usage"]["output_tokens"] == 5


def test_a_stream_that_breaks_before_its_end_raises_instead_of_ending_cleanly() -> None:
    translator = _translator()
    translator.feed(_sse(_chunk({"role": "assistant", "content": "Hel"}), done=False))

    with pytest.raises(GatewayError) as broken:
        translator.finish()

    assert broken.value.status == 502


def test_interleaved_tool_arguments_cannot_be_carried_and_fail_the_stream() -> None:
    raw = _sse(
        _chunk(
            {
                "tool_calls": [
                    {"index": 0, "id": "a", "type": "function", "function": {"name": "f", "arguments": "{"}}
                ]
            }
        ),
        _chunk(
            {
                "tool_calls": [
                    {"index": 1, "id": "b", "type": "function", "function": {"name": "g", "arguments": "{"}}
                ]
            }
        ),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": "}"}}]}),
        done=False,
    )

    with pytest.raises(UpstreamError) as failed:
        _translator().feed(raw)

    assert failed.value.code == "upstream_stream_untranslatable"


# --- through the router: native pass-through, translation, count_tokens -------------------------

CONFIG = """\
providers:
  - {name: claude, type: anthropic, base_url: "http://claude.test", api_key: "env:CLAUDE_KEY"}
  - {name: gpt, type: openai, base_url: "http://gpt.test/v1", api_key: "env:GPT_KEY"}
models:
  - name: claude
    deployments: [{provider: claude, model: claude-upstream}]
  - name: gpt
    deployments: [{provider: gpt, model: gpt-upstream}]
"""
MESSAGES = Operation.ANTHROPIC_MESSAGES
COUNT = Operation.ANTHROPIC_COUNT_TOKENS
NATIVE_MESSAGE = {
    "id": "msg_native",
    "type": "message",
    "role": "assistant",
    "model": "claude-upstream",
    "content": [{"type": "text", "text": "Hi!"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 10, "output_tokens": 3, "cache_read_input_tokens": 4},
}
NATIVE_STREAM = (
    b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_n","type":"message",'
    b'"role":"assistant","model":"claude-upstream","content":[],"stop_reason":null,"stop_sequence":null,'
    b'"usage":{"input_tokens":10,"output_tokens":1}}}\n\n'
    b'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
    b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\n'
    b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
    b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}\n\n'
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)


def _router(handler: Callable[[httpx.Request], httpx.Response], monkeypatch: pytest.MonkeyPatch) -> Router:
    monkeypatch.setenv("CLAUDE_KEY", "sk-ant-upstream")
    monkeypatch.setenv("GPT_KEY", "sk-gpt-upstream")
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    services = AdapterServices(http=client, images=ImageFetcher(client))
    return Router(Catalog.from_config(parse_config(CONFIG), services), UpstreamCaller(client, tracing=False))


def _body(model: str, **fields: Any) -> bytes:
    return orjson.dumps(
        {
            "model": model,
            "max_tokens": 64,
            "messages": [{"role": "user", "content": "hi"}],
            "top_k": 3,
            **fields,
        }
    )


async def test_a_claude_deployment_gets_the_body_as_sent_with_its_own_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=NATIVE_MESSAGE)

    result, route = await _router(handler, monkeypatch).complete(MESSAGES, "claude", _body("claude"))

    sent = orjson.loads(seen[0].content)
    assert str(seen[0].url) == "http://claude.test/v1/messages"
    assert sent == {**orjson.loads(_body("claude")), "model": "claude-upstream"}
    assert orjson.loads(result.body) == NATIVE_MESSAGE
    assert (result.usage.prompt_tokens, result.usage.completion_tokens, result.usage.cached_tokens) == (
        14,
        3,
        4,
    )
    assert route.provider == "claude"


async def test_another_deployment_gets_a_chat_request_and_the_client_an_anthropic_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=_completion({"role": "assistant", "content": "Hi!"}, "stop"))

    result, _ = await _router(handler, monkeypatch).complete(MESSAGES, "gpt", _body("gpt"))

    sent = orjson.loads(seen[0].content)
    assert str(seen[0].url) == "http://gpt.test/v1/chat/completions"
    assert sent == {
        "model": "gpt-upstream",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 64,
    }
    message = anthropic.types.Message.model_validate(orjson.loads(result.body))
    assert message.content[0].type == "text" and message.content[0].text == "Hi!"
    assert message.model == "gpt-4o" and message.stop_reason == "end_turn"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (40, 9)


async def test_beta_features_go_to_claude_in_its_header_and_nowhere_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if "claude" in str(request.url):
            return httpx.Response(200, json=NATIVE_MESSAGE)
        return httpx.Response(200, json=_completion({"role": "assistant", "content": "Hi!"}, "stop"))

    router = _router(handler, monkeypatch)
    options = CallOptions(anthropic_beta=("context-management-2025-06-27", "prompt-caching-2024-07-31"))
    await router.complete(MESSAGES, "claude", _body("claude"), options)
    await router.complete(MESSAGES, "gpt", _body("gpt"), options)
    await router.complete(MESSAGES, "claude", _body("claude"))

    assert seen[0].headers["anthropic-beta"] == "context-management-2025-06-27,prompt-caching-2024-07-31"
    assert "anthropic-beta" not in seen[1].headers
    assert "anthropic-beta" not in seen[2].headers


async def _collect(router: Router, model: str, body: bytes) -> tuple[list[bytes], TokenUsage]:
    frames: list[bytes] = []
    usage = TokenUsage()
    async for event in router.stream(MESSAGES, model, body, include_usage=True):
        if isinstance(event, list):
            frames.extend(event)
        elif isinstance(event, StreamFinished):
            usage = event.usage
        else:
            assert isinstance(event, StreamStarted)
    return frames, usage


async def test_a_claude_stream_is_relayed_event_by_event(monkeypatch: pytest.MonkeyPatch) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert orjson.loads(request.content)["stream"] is True
        return httpx.Response(200, content=NATIVE_STREAM, headers={"content-type": "text/event-stream"})

    frames, usage = await _collect(_router(handler, monkeypatch), "claude", _body("claude", stream=True))

    assert b"".join(frames) == NATIVE_STREAM
    assert (usage.prompt_tokens, usage.completion_tokens) == (10, 2)


async def test_another_deployments_stream_is_translated_and_asked_for_usage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        sent = orjson.loads(request.content)
        assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
        raw = _sse(
            _chunk({"role": "assistant", "content": "Hi"}), _chunk({}, "stop"), _chunk(None, usage=USAGE)
        )
        return httpx.Response(200, content=raw, headers={"content-type": "text/event-stream"})

    frames, usage = await _collect(_router(handler, monkeypatch), "gpt", _body("gpt", stream=True))

    events = _events(frames)
    assert events[0]["type"] == "message_start" and events[-1]["type"] == "message_stop"
    assert (usage.prompt_tokens, usage.completion_tokens) == (12, 5)


async def test_claude_counts_tokens_through_the_pass_through(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"input_tokens": 42})

    body = orjson.dumps({"model": "claude", "messages": [{"role": "user", "content": "hi"}]})
    result, _ = await _router(handler, monkeypatch).complete(COUNT, "claude", body)

    assert str(seen[0].url) == "http://claude.test/v1/messages/count_tokens"
    assert orjson.loads(seen[0].content)["model"] == "claude-upstream"
    assert orjson.loads(result.body) == {"input_tokens": 42}


async def test_an_openai_deployment_cannot_count_tokens_and_says_so_without_calling_upstream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no upstream call is made")

    body = orjson.dumps({"model": "gpt", "messages": [{"role": "user", "content": "hi"}]})
    with pytest.raises(InvalidRequestError) as refused:
        await _router(handler, monkeypatch).complete(COUNT, "gpt", body)

    assert refused.value.status == 400 and refused.value.code == "unsupported_operation"
    assert "gpt (openai) cannot count tokens" in refused.value.message


COUNTING_CONFIG = """\
providers:
  - {name: gemini, type: gemini, base_url: "http://gemini.test", api_key: "env:GEMINI_KEY"}
  - name: vertex
    type: vertex
    base_url: "http://vertex.test"
    project: p
    region: us-central1
    service_account: "env:VERTEX_SA"
    token_url: "http://oauth.test/token"
  - name: bedrock
    type: bedrock
    base_url: "http://bedrock.test"
    region: eu-west-3
    aws_access_key_id: "env:AWS_KEY_ID"
    aws_secret_access_key: "env:AWS_SECRET"
models:
  - name: gemini
    deployments: [{provider: gemini, model: gemini-2.0-flash}]
  - name: vertex
    deployments: [{provider: vertex, model: gemini-2.5-flash}]
  - name: bedrock
    deployments: [{provider: bedrock, model: "anthropic.claude-3-haiku-20240307-v1:0"}]
"""
COUNT_BODY = orjson.dumps(
    {
        "model": "any",
        "system": "be brief",
        "messages": [{"role": "user", "content": "what is the weather in Paris"}],
        "tools": [WEATHER],
        "thinking": {"type": "enabled", "budget_tokens": 2048},
    }
)


@pytest.fixture(scope="module")
def service_account() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return orjson.dumps(
        {"type": "service_account", "client_email": "gw@p.iam.gserviceaccount.com", "private_key": pem}
    ).decode()


def _counting_router(
    handler: Callable[[httpx.Request], httpx.Response], monkeypatch: pytest.MonkeyPatch, service_account: str
) -> Router:
    for name, value in {
        "GEMINI_KEY": "AIza-upstream",
        "VERTEX_SA": service_account,
        "AWS_KEY_ID": "AKIDCOUNTING00000001",
        "AWS_SECRET": "counting-secret",
    }.items():
        monkeypatch.setenv(name, value)

    def with_tokens(request: httpx.Request) -> httpx.Response:
        if request.url.host == "oauth.test":
            return httpx.Response(200, json={"access_token": "ya29.counting", "expires_in": 3600})
        return handler(request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(with_tokens))
    services = AdapterServices(http=client, images=ImageFetcher(client))
    config = parse_config(COUNTING_CONFIG)
    return Router(Catalog.from_config(config, services), UpstreamCaller(client, tracing=False))


@pytest.mark.parametrize(
    ("model", "url", "answer", "count", "fields"),
    [
        (
            "gemini",
            "http://gemini.test/v1beta/models/gemini-2.0-flash:countTokens",
            {"totalTokens": 21, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 21}]},
            21,
            {"generateContentRequest": {"model", "contents", "systemInstruction", "tools", "toolConfig"}},
        ),
        (
            "vertex",
            "http://vertex.test/v1/projects/p/locations/us-central1/publishers/google/models/"
            "gemini-2.5-flash:countTokens",
            {"totalTokens": 22, "totalBillableCharacters": 60},
            22,
            {"contents", "systemInstruction", "tools"},
        ),
        (
            "bedrock",
            "http://bedrock.test/model/anthropic.claude-3-haiku-20240307-v1:0/count-tokens",
            {"inputTokens": 23},
            23,
            {"input": {"converse": {"messages", "system", "toolConfig"}}},
        ),
    ],
)
async def test_gemini_vertex_and_bedrock_count_the_translated_request_with_their_own_api(
    monkeypatch: pytest.MonkeyPatch,
    service_account: str,
    model: str,
    url: str,
    answer: dict[str, Any],
    count: int,
    fields: Any,
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=answer)

    router = _counting_router(handler, monkeypatch, service_account)
    result, route = await router.complete(COUNT, model, COUNT_BODY)

    (sent,) = seen
    assert str(sent.url) == url
    request = orjson.loads(sent.content)
    # Only the input goes: no max_tokens or sampling was invented (no generation or inference config).
    assert _shape(request) == fields
    assert all(text in sent.content.decode() for text in ("be brief", "weather in Paris", "get_weather"))
    assert orjson.loads(result.body) == {"input_tokens": count}
    assert result.usage == TokenUsage() and route.provider == model


def _shape(value: dict[str, Any]) -> Any:
    """The keys of a request, nested only where the request is a wrapper of one member."""
    if len(value) == 1:
        ((name, inner),) = value.items()
        return {name: _shape(inner)}
    return set(value)


async def test_a_providers_refusal_to_count_is_mapped_like_any_of_its_errors(
    monkeypatch: pytest.MonkeyPatch, service_account: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400,
            json={
                "error": {
                    "code": 400,
                    "message": "* GenerateContentRequest.contents: bad",
                    "status": "INVALID_ARGUMENT",
                }
            },
        )

    with pytest.raises(GatewayError) as refused:
        await _counting_router(handler, monkeypatch, service_account).complete(COUNT, "gemini", COUNT_BODY)

    assert (refused.value.status, refused.value.code) == (400, "upstream_invalid_request")
    assert "GenerateContentRequest.contents: bad" in refused.value.message


async def test_a_request_only_claude_can_serve_is_refused_before_any_upstream_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no upstream call is made")

    body = _body("gpt", tools=[{"type": "web_search_20250305", "name": "web_search"}])
    with pytest.raises(InvalidRequestError) as refused:
        await _router(handler, monkeypatch).complete(MESSAGES, "gpt", body)

    assert refused.value.param == "tools[0].type"
