"""The Anthropic adapter: OpenAI chat in, Messages out, and back; streams event by event; errors mapped."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from aigw_router.adapters import ADAPTER_TYPES, AdapterServices, ChatCall, ParamPolicy, UpstreamRequest
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.anthropic import AnthropicAdapter
from aigw_runtime.config import ProviderConfig
from aigw_runtime.errors import GatewayError
from stream_checks import until_failure

FIXTURES = Path(__file__).parent / "fixtures"
NOW = 1_750_000_000
KEY = "sk-ant-api03-" + "k" * 20
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
CLOCK_TOOL = {"type": "function", "function": {"name": "get_time"}}


class _FixedClock:
    def now(self) -> float:
        return NOW

    def monotonic(self) -> float:
        return 0.0


def _adapter(base_url: str | None = "https://api.anthropic.com/") -> AnthropicAdapter:
    os.environ["AIGW_TEST_ANTHROPIC_KEY"] = KEY
    provider = ProviderConfig(
        name="claude", type="anthropic", base_url=base_url, api_key="env:AIGW_TEST_ANTHROPIC_KEY"
    )
    client = httpx.AsyncClient()
    return AnthropicAdapter(
        provider, AdapterServices(http=client, images=ImageFetcher(client)), clock=_FixedClock()
    )


def _request(
    streamed: bool = False, policy: ParamPolicy = ParamPolicy.REJECT, **fields: Any
) -> UpstreamRequest:
    """The upstream request for a chat body of `fields`; `streamed` is the call's stream flag."""
    body = {"model": "public-name", "messages": [{"role": "user", "content": "hi"}], **fields}
    call = ChatCall(
        body=orjson.dumps(body), upstream_model="claude-sonnet-4-5", stream=streamed, policy=policy
    )
    return asyncio.run(_adapter().build_chat(call))


def _native(policy: ParamPolicy = ParamPolicy.REJECT, **fields: Any) -> dict[str, Any]:
    sent: dict[str, Any] = orjson.loads(_request(False, policy, **fields).content)
    return sent


def _refusal(**fields: Any) -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        _request(**fields)
    return caught.value


# --- request translation --------------------------------------------------------------


def test_the_anthropic_type_is_registered() -> None:
    assert ADAPTER_TYPES["anthropic"] is AnthropicAdapter


def test_a_request_goes_to_v1_messages_with_the_key_and_the_version_header() -> None:
    request = _request()

    assert request.url == "https://api.anthropic.com/v1/messages"
    assert request.headers["x-api-key"] == KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.headers["content-type"] == "application/json"
    assert "authorization" not in request.headers
    assert orjson.loads(request.content) == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 4096,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
    }


def test_without_a_base_url_the_public_api_is_used() -> None:
    adapter = _adapter(base_url=None)
    call = ChatCall(
        body=b'{"model":"m","messages":[{"role":"user","content":"x"}]}', upstream_model="c", stream=False
    )

    assert asyncio.run(adapter.build_chat(call)).url == "https://api.anthropic.com/v1/messages"


def test_a_stream_asks_for_events() -> None:
    request = _request(streamed=True, stream=True, stream_options={"include_usage": True})

    sent = orjson.loads(request.content)
    assert sent["stream"] is True and "stream_options" not in sent
    assert request.headers["accept"] == "text/event-stream"


def test_system_and_developer_messages_become_the_top_level_system_in_order() -> None:
    sent = _native(
        messages=[
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "hi"},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
            {"role": "user", "content": "again"},
        ]
    )

    assert sent["system"] == [
        {"type": "text", "text": "Be terse."},
        {"type": "text", "text": "Answer in French."},
    ]
    assert sent["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": "again"}]}
    ]


def test_a_tool_round_trip_pairs_tool_use_and_parallel_results_in_one_user_turn() -> None:
    calls = [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
        },
        {"id": "call.b:1", "type": "function", "function": {"name": "get_time", "arguments": ""}},
    ]
    sent = _native(
        messages=[
            {"role": "user", "content": "weather and time?"},
            {"role": "assistant", "content": "Checking.", "tool_calls": calls},
            {"role": "tool", "tool_call_id": "call_a", "content": "sunny"},
            {"role": "tool", "tool_call_id": "call.b:1", "content": [{"type": "text", "text": "noon"}]},
            {"role": "user", "content": "thanks"},
        ],
        tools=[WEATHER, CLOCK_TOOL],
    )

    assert sent["messages"][1] == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "call_a", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "call_b_1", "name": "get_time", "input": {}},
        ],
    }
    assert sent["messages"][2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "call_a", "content": "sunny"},
            {"type": "tool_result", "tool_use_id": "call_b_1", "content": [{"type": "text", "text": "noon"}]},
            {"type": "text", "text": "thanks"},
        ],
    }
    assert len(sent["messages"]) == 3


def test_tool_results_open_their_turn_even_when_a_user_message_came_first() -> None:
    call = {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    sent = _native(
        messages=[
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "tool_calls": [call]},
            {"role": "user", "content": "hurry"},
            {"role": "tool", "tool_call_id": "call_a", "content": "rain"},
        ]
    )

    assert [block["type"] for block in sent["messages"][2]["content"]] == ["tool_result", "text"]


def test_a_blank_tool_result_is_sent_without_content() -> None:
    call = {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    sent = _native(
        messages=[
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_a", "content": " "},
        ]
    )

    assert sent["messages"][2]["content"] == [{"type": "tool_result", "tool_use_id": "call_a"}]


def test_tool_call_arguments_that_are_not_a_json_object_are_refused() -> None:
    call = {"id": "call_a", "type": "function", "function": {"name": "f", "arguments": "[1, 2]"}}
    error = _refusal(messages=[{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [call]}])

    assert error.status == 400 and error.param == "messages[1].tool_calls[0].function.arguments"


def test_images_by_data_url_become_base64_sources_and_web_urls_pass_through() -> None:
    url = "https://example.com/cat.png"
    sent = _native(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "compare"},
                    {
                        "type": "image_url",
                        "image_url": {"url": f"data:image/png;base64,{PNG_B64}", "detail": "low"},
                    },
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ]
    )

    assert sent["messages"][0]["content"][1:] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
        {"type": "image", "source": {"type": "url", "url": url}},
    ]


@pytest.mark.parametrize(
    "url", ["data:image/svg+xml;base64,PHN2Zz4=", "data:image/png;base64,@@@", "ftp://example.com/a.png"]
)
def test_an_image_anthropic_cannot_take_is_a_400_naming_it(url: str) -> None:
    error = _refusal(
        messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}]
    )

    assert error.status == 400 and error.param == "messages[0].content[0].image_url.url"


def test_a_final_assistant_message_is_a_prefill_without_trailing_whitespace() -> None:
    sent = _native(
        messages=[{"role": "user", "content": "count"}, {"role": "assistant", "content": "One, two, \n"}]
    )

    assert sent["messages"][-1] == {"role": "assistant", "content": [{"type": "text", "text": "One, two,"}]}


def test_blank_text_is_left_out_and_a_conversation_without_content_is_refused() -> None:
    sent = _native(
        messages=[
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "  "},
            {"role": "user", "content": "?"},
        ]
    )
    assert sent["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": "?"}]}
    ]

    error = _refusal(messages=[{"role": "system", "content": "only a system prompt"}])
    assert error.status == 400 and error.param == "messages"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, 4096),
        ({"max_tokens": 300}, 300),
        ({"max_completion_tokens": 200, "max_tokens": 300}, 200),
    ],
)
def test_max_tokens_is_always_sent(fields: dict[str, Any], expected: int) -> None:
    assert _native(**fields)["max_tokens"] == expected


def test_sampling_and_stops_map_to_anthropics_names() -> None:
    sent = _native(temperature=0.2, top_p=0.9, stop="END", user="user-42")

    assert (sent["temperature"], sent["top_p"], sent["stop_sequences"]) == (0.2, 0.9, ["END"])
    assert sent["metadata"] == {"user_id": "user-42"}
    assert _native(stop=["a", "b"])["stop_sequences"] == ["a", "b"]


def test_a_temperature_above_anthropics_range_is_refused_not_rescaled() -> None:
    error = _refusal(temperature=1.5)

    assert error.status == 400 and error.param == "temperature" and error.code == "unsupported_value"
    assert _native(temperature=1)["temperature"] == 1


@pytest.mark.parametrize("policy", [ParamPolicy.REJECT, ParamPolicy.DROP])
def test_more_than_one_choice_is_refused_whatever_the_policy(policy: ParamPolicy) -> None:
    with pytest.raises(GatewayError) as caught:
        _request(policy=policy, n=2)

    assert caught.value.status == 400 and caught.value.param == "n"
    assert "n" not in _native(policy=policy, n=1)


@pytest.mark.parametrize(
    ("name", "value"),
    [("seed", 7), ("presence_penalty", 0.5), ("logprobs", True), ("logit_bias", {"1": 2}), ("top_k", 5)],
)
def test_parameters_without_an_anthropic_equivalent_follow_the_policy(name: str, value: Any) -> None:
    error = _refusal(**{name: value})
    assert error.status == 400 and error.param == name and error.code == "unsupported_parameter"

    assert name not in _native(policy=ParamPolicy.DROP, **{name: value})


def test_neutral_values_and_openai_bookkeeping_are_left_out_silently() -> None:
    sent = _native(logprobs=False, presence_penalty=0, frequency_penalty=0, store=True, metadata={"k": "v"})

    assert set(sent) == {"model", "max_tokens", "messages"}


def test_tools_and_each_tool_choice_map_to_anthropics_shapes() -> None:
    sent = _native(tools=[WEATHER, CLOCK_TOOL])
    assert sent["tools"] == [
        {
            "name": "get_weather",
            "description": "Weather in a city",
            "input_schema": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
        {"name": "get_time", "input_schema": {"type": "object", "properties": {}}},
    ]
    assert "tool_choice" not in sent

    named = {"type": "function", "function": {"name": "get_time"}}
    choices = [
        ("none", {"type": "none"}),
        ("required", {"type": "any"}),
        (named, {"type": "tool", "name": "get_time"}),
    ]
    for choice, expected in choices:
        assert _native(tools=[WEATHER, CLOCK_TOOL], tool_choice=choice)["tool_choice"] == expected


def test_parallel_tool_calls_off_disables_parallel_tool_use() -> None:
    assert _native(tools=[WEATHER], parallel_tool_calls=False)["tool_choice"] == {
        "type": "auto",
        "disable_parallel_tool_use": True,
    }
    assert _native(tools=[WEATHER], tool_choice="required", parallel_tool_calls=False)["tool_choice"] == {
        "type": "any",
        "disable_parallel_tool_use": True,
    }


def test_a_json_schema_response_format_becomes_structured_output() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "integer"}},
        "required": ["a"],
        "additionalProperties": False,
    }
    sent = _native(
        response_format={"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}
    )

    assert sent["output_config"] == {"format": {"type": "json_schema", "schema": schema}}


def test_json_mode_without_a_schema_is_refused_clearly() -> None:
    error = _refusal(response_format={"type": "json_object"})

    assert error.status == 400 and error.param == "response_format" and "schema" in error.message


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "input_audio", "input_audio": {"data": "AA==", "format": "wav"}}
                        ],
                    }
                ]
            },
            "messages[0].content[0]",
        ),
        ({"messages": [{"role": "function", "name": "f", "content": "x"}]}, "messages[0].role"),
        ({"tools": [{"type": "custom", "custom": {"name": "grammar"}}]}, "tools[0]"),
    ],
)
def test_what_anthropic_cannot_express_is_a_400_naming_it(fields: dict[str, Any], param: str) -> None:
    error = _refusal(**fields)
    assert error.status == 400 and error.param == param


# --- response translation -------------------------------------------------------------


def _message(**changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "id": "msg_01Abc",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "text", "text": "Hello!"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 3},
    }
    return {**message, **changes}


def _completion(message: dict[str, Any] | bytes) -> dict[str, Any]:
    content = message if isinstance(message, bytes) else orjson.dumps(message)
    answer: dict[str, Any] = orjson.loads(_adapter().parse_chat(content, "claude-sonnet-4-5").body)
    return answer


def test_a_text_message_becomes_a_chat_completion() -> None:
    answer = _completion(_message())

    assert answer == {
        "id": "chatcmpl-msg_01Abc",
        "object": "chat.completion",
        "created": NOW,
        "model": "claude-sonnet-4-5-20250929",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello!", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": 3,
            "total_tokens": 13,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


def test_tool_use_blocks_become_tool_calls_and_cache_tokens_count_as_prompt_tokens() -> None:
    content = (FIXTURES / "anthropic_message_tool_use.json").read_bytes()

    result = _adapter().parse_chat(content, "claude-haiku-4-5")
    answer = orjson.loads(result.body)

    choice = answer["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Checking the weather and the time."
    calls = choice["message"]["tool_calls"]
    assert [(c["id"], c["type"], c["function"]["name"]) for c in calls] == [
        ("toolu_01WeatherCallCcccccccccccc", "function", "get_weather"),
        ("toolu_01ClockCallDddddddddddddd", "function", "get_time"),
    ]
    assert [orjson.loads(c["function"]["arguments"]) for c in calls] == [{"city": "Paris", "units": "c"}, {}]
    # input_tokens excludes the cache: the prompt is 659 + 1024 written + 2048 read.
    assert answer["usage"]["prompt_tokens"] == 3731
    assert answer["usage"]["prompt_tokens_details"] == {"cached_tokens": 2048}
    assert answer["usage"]["total_tokens"] == 3731 + 74
    usage = result.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens) == (3731, 74, 2048)


@pytest.mark.parametrize(
    ("stop_reason", "finish_reason"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("pause_turn", "stop"),
        ("some_future_reason", "stop"),
    ],
)
def test_stop_reasons_map_to_finish_reasons(stop_reason: str, finish_reason: str) -> None:
    assert _completion(_message(stop_reason=stop_reason))["choices"][0]["finish_reason"] == finish_reason


def test_thinking_is_left_out_but_its_tokens_are_reasoning_tokens() -> None:
    answer = _completion(
        _message(
            content=[
                {"type": "thinking", "thinking": "Let me think.", "signature": "sig"},
                {"type": "text", "text": "42"},
            ],
            usage={"input_tokens": 5, "output_tokens": 30, "output_tokens_details": {"thinking_tokens": 20}},
        )
    )

    assert answer["choices"][0]["message"]["content"] == "42"
    assert answer["usage"]["completion_tokens_details"] == {"reasoning_tokens": 20}


def test_an_empty_answer_has_null_content() -> None:
    message = _completion(_message(content=[], stop_reason="max_tokens"))["choices"][0]["message"]
    assert message["content"] is None and "tool_calls" not in message


@pytest.mark.parametrize("content", [b"<html>502</html>", b'{"type": "error"}', b"[]"])
def test_an_answer_that_is_not_a_message_is_a_502(content: bytes) -> None:
    with pytest.raises(GatewayError) as caught:
        _adapter().parse_chat(content, "claude-sonnet-4-5")
    assert caught.value.status == 502


def test_answers_parse_through_the_openai_sdks_types_with_every_required_field() -> None:
    for message in (_message(), orjson.loads((FIXTURES / "anthropic_message_tool_use.json").read_bytes())):
        completion = ChatCompletion.model_validate(_completion(message))
        assert completion.choices[0].message.role == "assistant"
        assert completion.usage is not None and completion.usage.prompt_tokens_details is not None


# --- streams --------------------------------------------------------------------------


def _events(raw: bytes) -> list[bytes]:
    return [event + b"\n\n" for event in raw.split(b"\n\n") if event.strip()]


def _stream(raw: bytes, include_usage: bool = True, step: int = 5) -> tuple[list[dict[str, Any]], Any]:
    translator = _adapter().chat_stream(include_usage, "claude-sonnet-4-5")
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
    translator = _adapter().chat_stream(False, "claude-sonnet-4-5")
    events = _events((FIXTURES / "anthropic_stream_text.sse").read_bytes())

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
    raw = b"".join(_events((FIXTURES / "anthropic_stream_tools.sse").read_bytes())[:9])
    raw += (
        b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"max_tokens",'
        b'"stop_sequence":null},"usage":{"output_tokens":20}}\n\n'
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    )

    chunks, _ = _stream(raw)

    assert chunks[-2]["choices"][0]["finish_reason"] == "length"


def test_a_refusal_stream_finishes_with_content_filter() -> None:
    raw = b"".join(_events((FIXTURES / "anthropic_stream_text.sse").read_bytes())[:2])
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
    translator = _adapter().chat_stream(True, "claude-sonnet-4-5")
    events = _events(raw)
    sent = [p for event in events[:-1] for p in translator.feed(event)]

    with pytest.raises(GatewayError) as caught:
        translator.feed(events[-1])
    assert len(sent) == 2  # the role chunk and "Once upon" reached the client before the error
    assert (caught.value.status, caught.value.code) == (status, code)


def test_a_stream_that_ends_before_message_stop_is_broken() -> None:
    raw = b"".join(_events((FIXTURES / "anthropic_stream_text.sse").read_bytes())[:-1])
    translator = _adapter().chat_stream(True, "claude-sonnet-4-5")
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
        _adapter().chat_stream(True, "claude-sonnet-4-5").feed(raw)
    assert caught.value.status == 502


# --- errors ---------------------------------------------------------------------------


def _error(kind: str, message: str) -> bytes:
    return orjson.dumps({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_1"})


@pytest.mark.parametrize(
    ("status", "body", "expected_status", "expected_code"),
    [
        (400, _error("invalid_request_error", "max_tokens: Field required"), 400, "upstream_invalid_request"),
        (401, _error("authentication_error", "invalid x-api-key"), 502, "upstream_auth_failed"),
        (403, _error("permission_error", "not allowed"), 502, "upstream_auth_failed"),
        (404, _error("not_found_error", "model: claude-x"), 502, "upstream_not_found"),
        (
            413,
            _error("request_too_large", "Request exceeds the maximum size"),
            413,
            "upstream_invalid_request",
        ),
        (500, _error("api_error", "Internal server error"), 502, "upstream_error"),
        (529, _error("overloaded_error", "Overloaded"), 503, "upstream_overloaded"),
        (503, b"<html>unavailable</html>", 503, "upstream_overloaded"),
    ],
)
def test_provider_errors_are_mapped(
    status: int, body: bytes, expected_status: int, expected_code: str
) -> None:
    error = _adapter().map_error(status, {}, body)

    assert (error.status, error.code) == (expected_status, expected_code)


def test_a_client_fault_keeps_anthropics_message() -> None:
    error = _adapter().map_error(400, {}, _error("invalid_request_error", "max_tokens: Field required"))
    assert error.message == "max_tokens: Field required"


def test_a_rate_limit_keeps_its_retry_after() -> None:
    error = _adapter().map_error(429, {"retry-after": "17"}, _error("rate_limit_error", "slow down"))

    assert (error.status, error.retry_after_s, error.retryable) == (429, 17.0, True)


def test_an_error_never_carries_a_credential() -> None:
    error = _adapter().map_error(400, {}, _error("invalid_request_error", f"bad key {KEY} in header"))

    assert KEY not in error.message and "[redacted]" in error.message


# --- Anthropic Messages, natively (the /v1/messages front door) ------------------------


def test_a_native_request_passes_through_with_the_deployments_model() -> None:
    body = orjson.dumps(
        {"model": "public", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}], "top_k": 3}
    )

    plain = asyncio.run(_adapter().build_messages(body, "claude-haiku-4-5", stream=False))
    streamed = asyncio.run(_adapter().build_messages(body, "claude-haiku-4-5", stream=True))

    assert plain.url == "https://api.anthropic.com/v1/messages" and plain.headers["x-api-key"] == KEY
    assert orjson.loads(plain.content) == {**orjson.loads(body), "model": "claude-haiku-4-5"}
    assert orjson.loads(streamed.content)["stream"] is True
    assert streamed.headers["accept"] == "text/event-stream"


def test_a_native_answer_is_unchanged_and_its_usage_read() -> None:
    content = (FIXTURES / "anthropic_message_tool_use.json").read_bytes()

    result = _adapter().parse_messages(content)

    assert result.body == content and result.usage.prompt_tokens == 3731


def test_a_native_stream_is_relayed_event_by_event() -> None:
    relay = _adapter().messages_stream()
    events = _events((FIXTURES / "anthropic_stream_tools.sse").read_bytes())

    frames = [frame for event in events for frame in relay.feed(event)]
    frames += relay.finish()

    assert len(frames) == len(events)
    assert frames[0].startswith(b"event: message_start\ndata: {") and frames[-1].endswith(b"\n\n")
    assert relay.usage is not None and relay.usage.completion_tokens == 88


def test_a_native_stream_error_or_break_raises() -> None:
    delivered, failure = until_failure(
        _adapter().messages_stream(), (FIXTURES / "anthropic_stream_overloaded.sse").read_bytes()
    )
    assert failure.status == 503
    assert delivered and not any(frame.startswith(b"event: error") for frame in delivered)

    broken = _adapter().messages_stream()
    broken.feed(b"".join(_events((FIXTURES / "anthropic_stream_text.sse").read_bytes())[:-1]))
    with pytest.raises(GatewayError):
        broken.finish()


def test_count_tokens_passes_through_and_meters_nothing() -> None:
    body = b'{"model":"public","messages":[{"role":"user","content":"x"}]}'
    request = asyncio.run(_adapter().build_count_tokens(body, "claude-haiku-4-5"))

    assert request.url == "https://api.anthropic.com/v1/messages/count_tokens"
    assert orjson.loads(request.content)["model"] == "claude-haiku-4-5"
    result = _adapter().parse_count_tokens(b'{"input_tokens": 12}')
    assert result.body == b'{"input_tokens": 12}' and result.usage.total_tokens == 0
