"""The Anthropic front door's requests: a Messages request for a non-Claude deployment becomes OpenAI chat.

The chat request is the canonical one every adapter reads; what only Claude
can do is refused with a 400 naming the field, and count_tokens bodies become
the same input with no limit and no sampling.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from aigw_router.frontdoor.anthropic_request import TOOL_ERROR_PREFIX, messages_to_chat
from aigw_runtime.anthropic_messages import decode_count_tokens_request, decode_messages_request
from aigw_runtime.errors import InvalidRequestError
from aigw_runtime.openai_chat import decode_chat_request
from frontdoor_samples import WEATHER


def _chat(stream: bool = False, **fields: Any) -> dict[str, Any]:
    body = {"model": "public", "max_tokens": 100, **fields}
    raw = orjson.loads(orjson.dumps(body))
    return messages_to_chat(decode_messages_request(orjson.dumps(body)), raw, stream=stream)


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
