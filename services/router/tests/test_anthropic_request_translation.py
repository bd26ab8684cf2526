"""The Anthropic adapter, requests: OpenAI chat in, Messages out, refused where Anthropic cannot follow."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from aigw_router.adapters import ADAPTER_TYPES, ChatCall, ParamPolicy, UpstreamRequest
from aigw_router.adapters.anthropic import AnthropicAdapter
from aigw_runtime.errors import GatewayError
from anthropic_samples import KEY, anthropic_adapter
from chat_samples import PNG_BASE64, WEATHER

CLOCK_TOOL = {"type": "function", "function": {"name": "get_time"}}


def _request(
    streamed: bool = False, policy: ParamPolicy = ParamPolicy.REJECT, **fields: Any
) -> UpstreamRequest:
    """The upstream request for a chat body of `fields`; `streamed` is the call's stream flag."""
    body = {"model": "public-name", "messages": [{"role": "user", "content": "hi"}], **fields}
    call = ChatCall(
        body=orjson.dumps(body), upstream_model="claude-sonnet-4-5", stream=streamed, policy=policy
    )
    return asyncio.run(anthropic_adapter().build_chat(call))


def _native(policy: ParamPolicy = ParamPolicy.REJECT, **fields: Any) -> dict[str, Any]:
    sent: dict[str, Any] = orjson.loads(_request(False, policy, **fields).content)
    return sent


def _refusal(**fields: Any) -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        _request(**fields)
    return caught.value


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
    adapter = anthropic_adapter(base_url=None)
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
                        "image_url": {"url": f"data:image/png;base64,{PNG_BASE64}", "detail": "low"},
                    },
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ]
    )

    assert sent["messages"][0]["content"][1:] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_BASE64}},
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
