"""The Anthropic front door's answers: an OpenAI chat.completion becomes an Anthropic message.

The message is one the official SDK's types accept, with Anthropic's stop
reasons and usage (cached input counted apart).
"""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from aigw_router.frontdoor.anthropic_response import chat_to_message
from aigw_runtime.errors import UpstreamError
from frontdoor_samples import chat_completion


def test_text_and_tool_calls_become_blocks_with_anthropics_usage() -> None:
    completion = chat_completion(
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
    answer = chat_to_message(chat_completion(message, finish), "gpt-4o")

    assert answer["stop_reason"] == stop_reason and answer["content"][0]["type"] == "text"


def test_tool_arguments_that_are_not_an_object_are_the_providers_fault() -> None:
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": "[1, 2"}}
    completion = chat_completion({"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls")

    with pytest.raises(UpstreamError) as failed:
        chat_to_message(completion, "gpt-4o")

    assert failed.value.status == 502
