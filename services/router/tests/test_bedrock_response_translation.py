"""The Bedrock adapter, answers: Converse back as an OpenAI chat completion, cached tokens counted."""

from __future__ import annotations

import orjson
import pytest

from aigw_runtime.errors import GatewayError
from bedrock_samples import CLAUDE, FIXTURES, bedrock_adapter


def test_a_text_answer_becomes_a_chat_completion_with_cached_tokens_counted() -> None:
    result = bedrock_adapter().parse_chat((FIXTURES / "bedrock_converse_text.json").read_bytes(), CLAUDE)

    answer = orjson.loads(result.body)
    assert answer["object"] == "chat.completion" and answer["id"].startswith("chatcmpl-")
    assert answer["model"] == CLAUDE
    assert answer["choices"][0]["message"]["content"] == "It is sunny in Paris."
    assert answer["choices"][0]["finish_reason"] == "stop"
    assert answer["usage"]["prompt_tokens"] == 1230 and answer["usage"]["completion_tokens"] == 6
    assert answer["usage"]["prompt_tokens_details"] == {"cached_tokens": 1000}
    assert (result.usage.prompt_tokens, result.usage.cached_tokens, result.usage.total_tokens) == (
        1230,
        1000,
        1236,
    )


def test_tool_use_blocks_become_tool_calls_and_reasoning_is_left_out() -> None:
    result = bedrock_adapter().parse_chat((FIXTURES / "bedrock_converse_tool_use.json").read_bytes(), CLAUDE)

    choice = orjson.loads(result.body)["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Let me look that up."
    calls = choice["message"]["tool_calls"]
    assert [call["id"] for call in calls] == ["tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "tooluse_2nd"]
    assert [orjson.loads(call["function"]["arguments"]) for call in calls] == [{"location": "Paris"}, {}]


@pytest.mark.parametrize(
    ("stop_reason", "finish_reason"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("guardrail_intervened", "content_filter"),
        ("content_filtered", "content_filter"),
    ],
)
def test_stop_reasons_map_to_finish_reasons(stop_reason: str, finish_reason: str) -> None:
    answer = {
        "output": {"message": {"role": "assistant", "content": [{"text": "x"}]}},
        "stopReason": stop_reason,
        "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
    }

    result = bedrock_adapter().parse_chat(orjson.dumps(answer), CLAUDE)

    assert orjson.loads(result.body)["choices"][0]["finish_reason"] == finish_reason


def test_malformed_model_output_is_a_failed_answer() -> None:
    answer = {
        "output": {"message": {"role": "assistant", "content": []}},
        "stopReason": "malformed_tool_use",
        "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
    }

    with pytest.raises(GatewayError) as failed:
        bedrock_adapter().parse_chat(orjson.dumps(answer), CLAUDE)
    assert failed.value.status == 502 and failed.value.retryable
