"""The Gemini adapter's answers: a GenerateContentResponse becomes a chat.completion.

Google's errors, in AI Studio's and Vertex's shapes, become gateway errors that keep no key.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from aigw_router.adapters.base import TokenUsage
from aigw_runtime.errors import GatewayError
from gemini_samples import FIXTURES, gemini_adapter


def _parse(fixture: str | dict[str, Any]) -> tuple[dict[str, Any], TokenUsage]:
    content = (FIXTURES / fixture).read_bytes() if isinstance(fixture, str) else orjson.dumps(fixture)
    result = gemini_adapter().parse_chat(content, "gemini-2.5-flash")
    body: dict[str, Any] = orjson.loads(result.body)
    return body, result.usage


def test_a_text_answer_becomes_a_chat_completion_with_cached_and_reasoning_tokens() -> None:
    body, usage = _parse("gemini_generate_text.json")

    assert body["id"] == "chatcmpl-Il0taoSYJ5Cez7" and body["object"] == "chat.completion"
    assert body["created"] == 1_700_000_000 and body["model"] == "gemini-2.5-flash"
    assert body["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello! How can I help?", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ]
    assert body["usage"] == {
        "prompt_tokens": 12,
        "completion_tokens": 27,
        "total_tokens": 39,
        "prompt_tokens_details": {"cached_tokens": 8},
        "completion_tokens_details": {"reasoning_tokens": 20},
    }
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens, usage.reasoning_tokens) == (
        12,
        27,
        8,
        20,
    )


def test_parallel_function_calls_become_tool_calls() -> None:
    body, usage = _parse("gemini_generate_function_calls.json")

    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    calls = choice["message"]["tool_calls"]
    assert [(c["type"], c["function"]["name"], orjson.loads(c["function"]["arguments"])) for c in calls] == [
        ("function", "get_weather", {"city": "Paris"}),
        ("function", "get_time", {"zone": "Europe/Paris"}),
    ]
    assert all(c["id"].startswith("call_") for c in calls) and calls[0]["id"] != calls[1]["id"]
    assert usage.total_tokens == 46


@pytest.mark.parametrize(
    ("native", "expected"),
    [("MAX_TOKENS", "length"), ("SAFETY", "content_filter"), ("RECITATION", "content_filter"),
     ("PROHIBITED_CONTENT", "content_filter"), ("SPII", "content_filter"), ("OTHER", "stop")],
)  # fmt: skip
def test_finish_reasons_are_mapped(native: str, expected: str) -> None:
    answer = {
        "candidates": [{"content": {"parts": [{"text": "x"}], "role": "model"}, "finishReason": native}]
    }
    assert _parse(answer)[0]["choices"][0]["finish_reason"] == expected


def test_a_blocked_prompt_is_an_empty_choice_stopped_by_the_content_filter() -> None:
    answer = {
        "promptFeedback": {"blockReason": "SAFETY"},
        "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 5},
    }

    body, usage = _parse(answer)

    assert body["choices"][0]["message"]["content"] is None
    assert body["choices"][0]["finish_reason"] == "content_filter" and usage.prompt_tokens == 5


def test_several_candidates_become_several_choices_and_thoughts_are_left_out() -> None:
    answer = {
        "candidates": [
            {
                "content": {"parts": [{"text": "plan...", "thought": True}, {"text": "A"}]},
                "finishReason": "STOP",
            },
            {"content": {"parts": [{"text": "B"}]}, "finishReason": "STOP", "index": 1},
        ]
    }
    body, _ = _parse(answer)
    assert [(c["index"], c["message"]["content"]) for c in body["choices"]] == [(0, "A"), (1, "B")]


@pytest.mark.parametrize("content", [b"<html>502</html>", b'{"modelVersion": "x"}', b"[1]"])
def test_an_answer_that_is_not_a_generate_content_response_is_a_502(content: bytes) -> None:
    with pytest.raises(GatewayError) as caught:
        gemini_adapter().parse_chat(content, "gemini-2.0-flash")
    assert caught.value.status == 502


ERRORS = orjson.loads((FIXTURES / "gemini_errors.json").read_bytes())


@pytest.mark.parametrize(
    ("case", "status", "code", "retry_after"),
    [
        ("api_key_invalid", 502, "upstream_auth_failed", None),
        ("unknown_field", 400, "upstream_invalid_request", None),
        ("resource_exhausted", 429, "upstream_rate_limited", 41.0),
        ("unavailable", 503, "upstream_overloaded", None),
        ("internal", 502, "upstream_error", None),
        ("permission_denied", 502, "upstream_auth_failed", None),
        ("not_found", 502, "upstream_not_found", None),
        ("deadline_exceeded", 504, "upstream_timeout", None),
        ("unauthenticated_vertex_list", 502, "upstream_auth_failed", None),
    ],
)
def test_googles_errors_are_mapped(case: str, status: int, code: str, retry_after: float | None) -> None:
    fixture = ERRORS[case]

    error = gemini_adapter().map_error(fixture["status"], {}, orjson.dumps(fixture["body"]))

    assert (error.status, error.code, error.retry_after_s) == (status, code, retry_after)
    assert "AIza" not in error.message


def test_a_client_error_keeps_googles_message() -> None:
    fixture = ERRORS["unknown_field"]
    error = gemini_adapter().map_error(400, {}, orjson.dumps(fixture["body"]))
    assert 'Unknown name "messages"' in error.message
