"""The Cohere adapter, answers: a v2 chat answer back as an OpenAI chat completion, billed tokens metered."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from aigw_runtime.errors import GatewayError
from cohere_samples import CREATED, FIXTURES, cohere_adapter


def _parse(name_or_body: str | dict[str, Any]) -> tuple[dict[str, Any], Any]:
    content = (
        (FIXTURES / name_or_body).read_bytes()
        if isinstance(name_or_body, str)
        else orjson.dumps(name_or_body)
    )
    result = cohere_adapter().parse_chat(content, "command-a-03-2025")
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
        cohere_adapter().parse_chat(b"<html>oops</html>", "m")
    assert raised.value.status == 502
