"""The Cohere adapter: OpenAI chat in, Cohere v2 chat out and back, streams event by event, errors, embeddings."""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from aigw_router.adapters import (
    ADAPTER_TYPES,
    AdapterServices,
    ChatCall,
    EmbeddingsCall,
    ParamPolicy,
    UpstreamAnswer,
    UpstreamRequest,
)
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.cohere import CohereAdapter
from aigw_router.adapters.cohere_stream import CohereChatStream
from aigw_runtime.config import ProviderConfig
from aigw_runtime.errors import GatewayError
from stream_checks import until_failure

FIXTURES = Path(__file__).parent / "fixtures"
KEY_ENV = "AIGW_TEST_COHERE_KEY"
CREATED = 1_760_000_000
PNG = "data:image/png;base64,iVBORw0KGgo="
WEATHER: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "gets the weather",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
        },
    },
}
TIME: dict[str, Any] = {"type": "function", "function": {"name": "get_time"}}
# Every top-level field of Cohere's v2 chat request (the official SDK's `v2.chat`).
COHERE_CHAT_FIELDS = {
    "model", "messages", "tools", "strict_tools", "documents", "citation_options", "response_format",
    "safety_mode", "max_tokens", "stop_sequences", "temperature", "seed", "frequency_penalty",
    "presence_penalty", "k", "p", "logprobs", "tool_choice", "thinking", "stream",
}  # fmt: skip


class _FixedClock:
    def now(self) -> float:
        return CREATED

    def monotonic(self) -> float:
        return 0.0


def _no_fetch(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"the Cohere adapter must not fetch {request.url}: Cohere fetches image URLs itself")


def _adapter(base_url: str | None = "https://api.cohere.com/") -> CohereAdapter:
    os.environ[KEY_ENV] = "co-upstream-secret"
    provider = ProviderConfig(name="co", type="cohere", base_url=base_url, api_key=f"env:{KEY_ENV}")
    client = httpx.AsyncClient(transport=httpx.MockTransport(_no_fetch))
    return CohereAdapter(
        provider, AdapterServices(http=client, images=ImageFetcher(client)), clock=_FixedClock()
    )


def _build(stream: bool = False, policy: ParamPolicy = ParamPolicy.REJECT, **fields: Any) -> UpstreamRequest:
    body = orjson.dumps({"model": "public", "messages": [{"role": "user", "content": "hi"}], **fields})
    call = ChatCall(body=body, upstream_model="command-a-03-2025", stream=stream, policy=policy)
    return asyncio.run(_adapter().build_chat(call))


def _sent(stream: bool = False, policy: ParamPolicy = ParamPolicy.REJECT, **fields: Any) -> dict[str, Any]:
    sent: dict[str, Any] = orjson.loads(_build(stream, policy, **fields).content)
    assert set(sent) <= COHERE_CHAT_FIELDS
    return sent


def _refused(**fields: Any) -> GatewayError:
    with pytest.raises(GatewayError) as raised:
        _build(**fields)
    assert raised.value.status == 400
    return raised.value


# --- requests --------------------------------------------------------------------


def test_the_adapter_is_registered_as_type_cohere() -> None:
    assert ADAPTER_TYPES["cohere"] is CohereAdapter


def test_a_request_goes_to_v2_chat_with_the_bearer_key_and_the_deployments_model() -> None:
    request = _build()

    assert request.url == "https://api.cohere.com/v2/chat"
    assert request.headers["authorization"] == "Bearer co-upstream-secret"
    assert request.headers["accept"] == "application/json"
    assert orjson.loads(request.content) == {
        "model": "command-a-03-2025",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": False,
    }


def test_the_default_base_url_is_cohere_and_a_stream_asks_for_events() -> None:
    os.environ[KEY_ENV] = "co-upstream-secret"
    provider = ProviderConfig(name="co", type="cohere", api_key=f"env:{KEY_ENV}")
    client = httpx.AsyncClient()
    adapter = CohereAdapter(provider, AdapterServices(http=client, images=ImageFetcher(client)))
    body = orjson.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True})

    request = asyncio.run(adapter.build_chat(ChatCall(body=body, upstream_model="command-r", stream=True)))

    assert request.url == "https://api.cohere.com/v2/chat"
    assert request.headers["accept"] == "text/event-stream"
    assert orjson.loads(request.content)["stream"] is True


def test_a_multi_turn_conversation_with_an_image_and_a_tool_round_trip_translates() -> None:
    messages = [
        {"role": "system", "content": "You are terse."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Weather in Toronto?"},
                {"type": "image_url", "image_url": {"url": PNG, "detail": "high"}},
            ],
        },
        {
            "role": "assistant",
            "content": "I will call get_weather.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"location":"Toronto"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"temperature": 20}'},
    ]

    sent = _sent(messages=messages, tools=[WEATHER], max_tokens=300, temperature=0.3, top_p=0.9, stop="END")

    assert sent == {
        "model": "command-a-03-2025",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Weather in Toronto?"},
                    {"type": "image_url", "image_url": {"url": PNG, "detail": "high"}},
                ],
            },
            {
                "role": "assistant",
                "tool_plan": "I will call get_weather.",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"location":"Toronto"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": '{"temperature": 20}'},
        ],
        "tools": [WEATHER],
        "max_tokens": 300,
        "stop_sequences": ["END"],
        "temperature": 0.3,
        "p": 0.9,
        "stream": False,
    }


def test_parallel_tool_results_stay_one_tool_message_each_in_order() -> None:
    calls = [
        {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": ""}},
        {"id": "call_b", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
    ]
    messages = [
        {"role": "user", "content": "weather and time?"},
        {"role": "assistant", "content": None, "tool_calls": calls},
        {"role": "tool", "tool_call_id": "call_a", "content": [{"type": "text", "text": "sunny"}]},
        {"role": "tool", "tool_call_id": "call_b", "content": "noon"},
    ]

    sent = _sent(messages=messages, tools=[WEATHER, TIME])

    assistant, first, second = sent["messages"][1:]
    assert "tool_plan" not in assistant and "content" not in assistant
    assert [call["function"]["arguments"] for call in assistant["tool_calls"]] == ["{}", "{}"]
    assert first == {"role": "tool", "tool_call_id": "call_a", "content": [{"type": "text", "text": "sunny"}]}
    assert second == {"role": "tool", "tool_call_id": "call_b", "content": "noon"}
    assert sent["tools"][1] == {
        "type": "function",
        "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
    }


def test_developer_messages_are_system_messages_where_they_stood_and_empty_turns_are_left_out() -> None:
    messages = [
        {"role": "user", "content": "one"},
        {"role": "developer", "content": [{"type": "text", "text": "be formal"}]},
        {"role": "assistant", "content": ""},
        {"role": "system", "content": "  "},
        {"role": "user", "content": "two"},
    ]

    sent = _sent(messages=messages)

    assert sent["messages"] == [
        {"role": "user", "content": "one"},
        {"role": "system", "content": [{"type": "text", "text": "be formal"}]},
        {"role": "user", "content": "two"},
    ]


def test_a_web_image_url_passes_for_cohere_to_fetch() -> None:
    image = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    sent = _sent(messages=[{"role": "user", "content": [image]}])
    assert sent["messages"][0]["content"] == [image]


@pytest.mark.parametrize(
    ("part", "param"),
    [
        ({"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}, "messages[0].content[0]"),
        ({"type": "file", "file": {"file_id": "file-1"}}, "messages[0].content[0]"),
        (
            {"type": "image_url", "image_url": {"url": "ftp://example.com/a.png"}},
            "messages[0].content[0].image_url.url",
        ),
        (
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,!!"}},
            "messages[0].content[0].image_url.url",
        ),
    ],
)
def test_content_cohere_cannot_take_is_a_400_naming_the_part(part: dict[str, Any], param: str) -> None:
    assert _refused(messages=[{"role": "user", "content": [part]}]).param == param


@pytest.mark.parametrize(
    ("tool_choice", "expected_choice", "expected_tools"),
    [
        ("auto", None, ["get_weather", "get_time"]),
        ("none", "NONE", ["get_weather", "get_time"]),
        ("required", "REQUIRED", ["get_weather", "get_time"]),
        ({"type": "function", "function": {"name": "get_time"}}, "REQUIRED", ["get_time"]),
        (
            {
                "type": "allowed_tools",
                "allowed_tools": {
                    "mode": "auto",
                    "tools": [{"type": "function", "function": {"name": "get_weather"}}],
                },
            },
            None,
            ["get_weather"],
        ),
        (
            {
                "type": "allowed_tools",
                "allowed_tools": {
                    "mode": "required",
                    "tools": [{"type": "function", "function": {"name": "get_weather"}}],
                },
            },
            "REQUIRED",
            ["get_weather"],
        ),
    ],
)
def test_tool_choice_becomes_cohere_required_or_none_narrowing_tools_for_a_named_function(
    tool_choice: Any, expected_choice: str | None, expected_tools: list[str]
) -> None:
    sent = _sent(tools=[WEATHER, TIME], tool_choice=tool_choice)

    assert sent.get("tool_choice") == expected_choice
    assert [tool["function"]["name"] for tool in sent["tools"]] == expected_tools


def test_a_named_tool_that_is_not_offered_or_a_custom_tool_is_refused() -> None:
    missing = _refused(tools=[WEATHER], tool_choice={"type": "function", "function": {"name": "nope"}})
    custom = _refused(tools=[{"type": "custom", "custom": {"name": "grammar"}}])

    assert missing.param == "tool_choice"
    assert custom.param == "tools[0]"


def test_a_strict_function_turns_on_cohere_strict_tools_and_strict_is_not_sent_per_tool() -> None:
    strict_weather = {**WEATHER, "function": {**WEATHER["function"], "strict": True}}

    sent = _sent(tools=[strict_weather, TIME])

    assert sent["strict_tools"] is True
    assert all("strict" not in tool["function"] for tool in sent["tools"])


@pytest.mark.parametrize(
    ("response_format", "expected"),
    [
        ({"type": "text"}, None),
        ({"type": "json_object"}, {"type": "json_object"}),
        (
            {
                "type": "json_schema",
                "json_schema": {
                    "name": "city",
                    "schema": {"type": "object", "properties": {"name": {"type": "string"}}},
                },
            },
            {
                "type": "json_object",
                "json_schema": {"type": "object", "properties": {"name": {"type": "string"}}},
            },
        ),
    ],
)
def test_response_format_becomes_cohere_json_object_with_its_schema(
    response_format: dict[str, Any], expected: dict[str, Any] | None
) -> None:
    assert _sent(response_format=response_format).get("response_format") == expected


@pytest.mark.parametrize(("top_p", "p"), [(1.0, 0.99), (0.0, 0.01), (0.5, 0.5)])
def test_top_p_is_p_moved_into_cohere_range(top_p: float, p: float) -> None:
    assert _sent(top_p=top_p)["p"] == p


def test_penalties_in_cohere_range_pass_and_zero_is_not_sent() -> None:
    sent = _sent(frequency_penalty=0.5, presence_penalty=0, seed=7, max_completion_tokens=20, max_tokens=99)

    assert sent["frequency_penalty"] == 0.5 and "presence_penalty" not in sent
    assert sent["seed"] == 7 and sent["max_tokens"] == 20


@pytest.mark.parametrize("value", [-0.5, 1.5])
def test_a_penalty_outside_cohere_range_is_a_400(value: float) -> None:
    assert _refused(presence_penalty=value).param == "presence_penalty"


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"n": 2}, "n"),
        ({"logprobs": True}, "logprobs"),
        ({"parallel_tool_calls": False, "tools": [WEATHER]}, "parallel_tool_calls"),
        ({"logit_bias": {"1": 5}}, "logit_bias"),
        ({"vendor_extra": 1}, "vendor_extra"),
    ],
)
def test_what_cohere_cannot_do_is_refused_by_default_and_dropped_on_request(
    fields: dict[str, Any], param: str
) -> None:
    assert _refused(**fields).param == param

    sent = _sent(policy=ParamPolicy.DROP, **fields)
    assert param not in sent and "n" not in sent


def test_neutral_values_and_bookkeeping_fields_are_not_refused_nor_sent() -> None:
    sent = _sent(n=1, logprobs=False, parallel_tool_calls=True, user="u-1", store=False, metadata={"a": "b"})
    assert set(sent) == {"model", "messages", "stream"}


def test_cohere_native_extras_pass_with_top_k_under_cohere_name() -> None:
    sent = _sent(top_k=40, safety_mode="STRICT", thinking={"type": "enabled", "token_budget": 500})
    assert (sent["k"], sent["safety_mode"], sent["thinking"]) == (
        40,
        "STRICT",
        {"type": "enabled", "token_budget": 500},
    )


def test_legacy_function_messages_and_calls_are_refused() -> None:
    function_message = _refused(messages=[{"role": "function", "name": "f", "content": "x"}])
    function_call = _refused(
        messages=[
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": None, "function_call": {"name": "f", "arguments": "{}"}},
        ]
    )

    assert function_message.param == "messages[0].role"
    assert function_call.param == "messages[1].function_call"


# --- answers ---------------------------------------------------------------------


def _parse(name_or_body: str | dict[str, Any]) -> tuple[dict[str, Any], Any]:
    content = (
        (FIXTURES / name_or_body).read_bytes()
        if isinstance(name_or_body, str)
        else orjson.dumps(name_or_body)
    )
    result = _adapter().parse_chat(content, "command-a-03-2025")
    return orjson.loads(result.body), result.usage


def test_a_text_answer_leaves_thinking_out_and_meters_billed_tokens() -> None:
    completion, usage = _parse("cohere_chat_text.json")

    assert completion == {
        "id": "chatcmpl-c2f9b8a1-7d6e-4c3b-a5f4-e3d2c1b0a998",
        "object": "chat.completion",
        "created": CREATED,
        "model": "command-a-03-2025",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Il fait 20 degrés à Lyon.", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 5,
            "completion_tokens": 8,
            "total_tokens": 13,
            "prompt_tokens_details": {"cached_tokens": 2},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens) == (5, 8, 2)


def test_a_tool_call_answer_has_the_plan_as_content_and_openai_tool_calls() -> None:
    completion, usage = _parse("cohere_chat_tool_calls.json")

    choice = completion["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "I will look up the weather in Lyon."
    assert choice["message"]["tool_calls"] == [
        {
            "id": "get_weather_q1w2e3r4t5yy",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"location":"Lyon"}'},
        }
    ]
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (37, 20, 57)


@pytest.mark.parametrize(
    ("reason", "expected"),
    [("COMPLETE", "stop"), ("STOP_SEQUENCE", "stop"), ("MAX_TOKENS", "length"), ("TOOL_CALL", "tool_calls")],
)
def test_finish_reasons_map_to_openai(reason: str, expected: str) -> None:
    completion, _ = _parse(
        {"id": "x", "finish_reason": reason, "message": {"role": "assistant", "content": []}}
    )
    assert completion["choices"][0]["finish_reason"] == expected
    assert completion["choices"][0]["message"]["content"] is None


@pytest.mark.parametrize(("reason", "status"), [("ERROR", 502), ("TIMEOUT", 504)])
def test_a_failed_generation_is_a_gateway_error_not_an_answer(reason: str, status: int) -> None:
    with pytest.raises(GatewayError) as raised:
        _parse({"id": "x", "finish_reason": reason, "message": {"role": "assistant", "content": []}})
    assert raised.value.status == status and raised.value.retryable


def test_usage_falls_back_to_processed_tokens_without_billed_units() -> None:
    answer = {
        "id": "x",
        "finish_reason": "COMPLETE",
        "message": {"content": []},
        "usage": {"tokens": {"input_tokens": 70, "output_tokens": 2}},
    }
    _, usage = _parse(answer)
    assert (usage.prompt_tokens, usage.completion_tokens) == (70, 2)


def test_an_answer_that_is_not_a_chat_response_is_a_502() -> None:
    with pytest.raises(GatewayError) as raised:
        _adapter().parse_chat(b"<html>oops</html>", "m")
    assert raised.value.status == 502


# --- streams ---------------------------------------------------------------------


def _stream(include_usage: bool = True) -> CohereChatStream:
    translator = _adapter().chat_stream(include_usage, "command-a-03-2025")
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


# --- errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "expected_status", "code"),
    [
        (
            400,
            {"id": "b1", "message": "invalid request: message must be at least 1 token long"},
            400,
            "upstream_invalid_request",
        ),
        (
            422,
            {"message": "unknown field: parameter 'strict' is not a valid field."},
            400,
            "upstream_invalid_request",
        ),
        (401, {"id": "a1", "message": "invalid api token"}, 502, "upstream_auth_failed"),
        (498, {"message": "invalid token"}, 502, "upstream_auth_failed"),
        (402, {"message": "Please add a payment method"}, 502, "upstream_error"),
        (404, {"message": "model 'x' not found"}, 502, "upstream_not_found"),
        (499, {"message": "request cancelled"}, 502, "upstream_error"),
        (500, {"id": "d1", "message": "internal server error"}, 502, "upstream_error"),
        (503, {"message": "service unavailable"}, 503, "upstream_overloaded"),
        (504, {"message": "timed out"}, 504, "upstream_timeout"),
    ],
)
def test_cohere_errors_map_to_gateway_errors(
    status: int, body: dict[str, Any], expected_status: int, code: str
) -> None:
    error = _adapter().map_error(status, {}, orjson.dumps(body))

    assert (error.status, error.code) == (expected_status, code)
    if expected_status == 400:
        assert error.message == body["message"]


def test_a_429_keeps_retry_after_and_no_credential_leaks() -> None:
    body = {"id": "c1", "message": "Trial key limit; sent Bearer co-upstream-secret"}

    limited = _adapter().map_error(429, {"retry-after": "7"}, orjson.dumps(body))
    echoed = _adapter().map_error(400, {}, orjson.dumps(body))

    assert (limited.status, limited.retry_after_s) == (429, 7.0)
    assert "co-upstream-secret" not in limited.message and "co-upstream-secret" not in echoed.message


def test_an_error_body_that_is_not_json_still_maps_by_status() -> None:
    assert _adapter().map_error(500, {}, b"<html>bad gateway</html>").status == 502


# --- embeddings ------------------------------------------------------------------


def _embed_call(
    policy: ParamPolicy = ParamPolicy.REJECT, model: str = "embed-v4.0", **fields: Any
) -> EmbeddingsCall:
    body = orjson.dumps({"model": "public-embed", "input": ["bonjour", "le monde"], **fields})
    return EmbeddingsCall(body=body, upstream_model=model, policy=policy)


def _embed_sent(call: EmbeddingsCall) -> tuple[UpstreamRequest, dict[str, Any]]:
    request = asyncio.run(_adapter().build_embeddings(call))
    return request, orjson.loads(request.content)


def _embed_answer(vectors: list[list[float]], input_tokens: int) -> UpstreamAnswer:
    body = {
        "id": "e",
        "embeddings": {"float": vectors},
        "meta": {"billed_units": {"input_tokens": input_tokens}},
    }
    return UpstreamAnswer(orjson.dumps(body), {})


def test_an_embeddings_request_goes_to_v2_embed_as_float_texts_for_documents() -> None:
    request, sent = _embed_sent(_embed_call(dimensions=512, user="u-1"))

    assert request.url == "https://api.cohere.com/v2/embed"
    assert request.headers["authorization"] == "Bearer co-upstream-secret"
    assert sent == {
        "model": "embed-v4.0",
        "texts": ["bonjour", "le monde"],
        "input_type": "search_document",
        "embedding_types": ["float"],
        "output_dimension": 512,
    }


def test_input_type_and_truncate_can_be_chosen_as_extras() -> None:
    _, sent = _embed_sent(_embed_call(input="where is lyon?", input_type="search_query", truncate="END"))
    assert (sent["texts"], sent["input_type"], sent["truncate"]) == (
        ["where is lyon?"],
        "search_query",
        "END",
    )


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"input_type": "document"}, "input_type"),
        ({"input": [[1, 2, 3]]}, "input"),
        ({"vendor_extra": True}, "vendor_extra"),
    ],
)
def test_an_embeddings_request_cohere_cannot_take_is_a_400(fields: dict[str, Any], param: str) -> None:
    with pytest.raises(GatewayError) as raised:
        _embed_sent(_embed_call(**fields))
    assert (raised.value.status, raised.value.param) == (400, param)


def test_a_batch_larger_than_96_texts_is_cut_into_requests_of_96_in_order() -> None:
    texts = [f"text {n}" for n in range(200)]
    adapter = _adapter()

    parts = adapter.split_embeddings(_embed_call(input=texts, dimensions=256))
    sent = [orjson.loads(asyncio.run(adapter.build_embeddings(part)).content) for part in parts]

    assert [body["texts"] for body in sent] == [texts[:96], texts[96:192], texts[192:]]
    assert {body["output_dimension"] for body in sent} == {256}


def test_a_batch_of_96_texts_or_fewer_is_sent_as_it_came() -> None:
    call = _embed_call(input=["x"] * 96)
    assert _adapter().split_embeddings(call) == [call]


def test_more_than_2048_inputs_are_a_400_naming_input() -> None:
    with pytest.raises(GatewayError) as raised:
        _adapter().split_embeddings(_embed_call(input=["x"] * 2049))
    assert (raised.value.status, raised.value.param) == (400, "input")


def test_the_answers_to_a_cut_batch_become_one_list_in_order_with_usage_summed() -> None:
    texts = [f"t{n}" for n in range(100)]
    answers = [
        _embed_answer([[float(n)] for n in range(96)], input_tokens=96),
        _embed_answer([[float(n)] for n in range(96, 100)], input_tokens=7),
    ]

    result = _adapter().parse_embeddings(answers, _embed_call(input=texts))

    body = orjson.loads(result.body)
    assert [item["index"] for item in body["data"]] == list(range(100))
    assert [item["embedding"] for item in body["data"]] == [[float(n)] for n in range(100)]
    assert body["usage"] == {"prompt_tokens": 103, "total_tokens": 103}
    assert result.usage.total_tokens == 103


def test_dimensions_on_a_fixed_size_model_are_refused_or_dropped_per_policy() -> None:
    with pytest.raises(GatewayError) as raised:
        _embed_sent(_embed_call(model="embed-english-v3.0", dimensions=256))
    _, sent = _embed_sent(_embed_call(ParamPolicy.DROP, model="embed-english-v3.0", dimensions=256))

    assert raised.value.param == "dimensions"
    assert "output_dimension" not in sent


def test_embeddings_come_back_in_order_as_floats_or_base64_with_billed_usage() -> None:
    answer = UpstreamAnswer((FIXTURES / "cohere_embed.json").read_bytes(), {})
    adapter = _adapter()

    floats = adapter.parse_embeddings([answer], _embed_call())
    encoded = adapter.parse_embeddings([answer], _embed_call(encoding_format="base64"))

    as_floats = orjson.loads(floats.body)
    assert [item["index"] for item in as_floats["data"]] == [0, 1]
    assert [item["embedding"] for item in as_floats["data"]] == [[0.25, -0.5, 0.125], [1.0, 0.0, -0.75]]
    assert as_floats["model"] == "embed-v4.0" and as_floats["usage"] == {
        "prompt_tokens": 3,
        "total_tokens": 3,
    }
    decoded = [
        list(struct.unpack("<3f", base64.b64decode(item["embedding"])))
        for item in orjson.loads(encoded.body)["data"]
    ]
    assert decoded == [[0.25, -0.5, 0.125], [1.0, 0.0, -0.75]]
    assert floats.usage.prompt_tokens == 3


def test_an_embed_answer_with_the_wrong_number_of_vectors_is_a_502() -> None:
    answer = _embed_answer([[0.1]], input_tokens=1)
    with pytest.raises(GatewayError) as raised:
        _adapter().parse_embeddings([answer], _embed_call())
    assert raised.value.status == 502
