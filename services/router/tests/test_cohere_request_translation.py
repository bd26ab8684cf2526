"""The Cohere adapter, requests: OpenAI chat in, Cohere v2 chat out, refused where Cohere cannot follow."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import httpx
import orjson
import pytest

from aigw_router.adapters import ADAPTER_TYPES, AdapterServices, ChatCall, ParamPolicy, UpstreamRequest
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.cohere import CohereAdapter
from aigw_runtime.config import ProviderConfig
from aigw_runtime.errors import GatewayError
from chat_samples import PNG_DATA_URL, WEATHER
from cohere_samples import KEY_ENV, cohere_adapter

TIME: dict[str, Any] = {"type": "function", "function": {"name": "get_time"}}
# Every top-level field of Cohere's v2 chat request (the official SDK's `v2.chat`).
COHERE_CHAT_FIELDS = {
    "model", "messages", "tools", "strict_tools", "documents", "citation_options", "response_format",
    "safety_mode", "max_tokens", "stop_sequences", "temperature", "seed", "frequency_penalty",
    "presence_penalty", "k", "p", "logprobs", "tool_choice", "thinking", "stream",
}  # fmt: skip


def _build(stream: bool = False, policy: ParamPolicy = ParamPolicy.REJECT, **fields: Any) -> UpstreamRequest:
    body = orjson.dumps({"model": "public", "messages": [{"role": "user", "content": "hi"}], **fields})
    call = ChatCall(body=body, upstream_model="command-a-03-2025", stream=stream, policy=policy)
    return asyncio.run(cohere_adapter().build_chat(call))


def _sent(stream: bool = False, policy: ParamPolicy = ParamPolicy.REJECT, **fields: Any) -> dict[str, Any]:
    sent: dict[str, Any] = orjson.loads(_build(stream, policy, **fields).content)
    assert set(sent) <= COHERE_CHAT_FIELDS
    return sent


def _refused(**fields: Any) -> GatewayError:
    with pytest.raises(GatewayError) as raised:
        _build(**fields)
    assert raised.value.status == 400
    return raised.value


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
                {"type": "image_url", "image_url": {"url": PNG_DATA_URL, "detail": "high"}},
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
                    {"type": "image_url", "image_url": {"url": PNG_DATA_URL, "detail": "high"}},
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
