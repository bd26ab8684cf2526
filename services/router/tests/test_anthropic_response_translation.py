"""The Anthropic adapter, answers: a Messages answer back as an OpenAI chat completion, usage counted."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from openai.types.chat import ChatCompletion

from aigw_runtime.errors import GatewayError
from anthropic_samples import FIXTURES, NOW, anthropic_adapter


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
    answer: dict[str, Any] = orjson.loads(anthropic_adapter().parse_chat(content, "claude-sonnet-4-5").body)
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

    result = anthropic_adapter().parse_chat(content, "claude-haiku-4-5")
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
        anthropic_adapter().parse_chat(content, "claude-sonnet-4-5")
    assert caught.value.status == 502


def test_answers_parse_through_the_openai_sdks_types_with_every_required_field() -> None:
    for message in (_message(), orjson.loads((FIXTURES / "anthropic_message_tool_use.json").read_bytes())):
        completion = ChatCompletion.model_validate(_completion(message))
        assert completion.choices[0].message.role == "assistant"
        assert completion.usage is not None and completion.usage.prompt_tokens_details is not None
