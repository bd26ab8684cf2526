"""OpenAI's answer shapes as every translating adapter writes them, and the check of a JSON answer.

A translated answer is one `chat.completion` with one choice: the assistant's
message (its text, its tool calls, `refusal` null), the finish reason, and
OpenAI's usage object. The stream translators build their chunks from the
same pieces (see `_chunks.py`).
"""

from __future__ import annotations

from typing import Any

import orjson

from aigw_router.adapters.base import TokenUsage
from aigw_runtime.errors import UpstreamError


def json_object(provider: str, content: bytes, what: str = "a JSON object") -> dict[str, Any]:
    """A provider's successful answer as a JSON object; a 502 when it is not JSON, or not `what`."""
    try:
        answer = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise UpstreamError(f"Provider {provider} sent a response that is not JSON.") from None
    if not isinstance(answer, dict):
        raise UpstreamError(f"Provider {provider} sent a response that is not {what}.")
    return answer


def count_field(values: Any, name: str) -> int:
    """The number under `name` in a provider's JSON object (a float truncated), or 0 when there is none."""
    value = values.get(name) if isinstance(values, dict) else None
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def counted_tokens(provider: str, content: bytes, name: str, *, absent: int | None = None) -> int:
    """The count under `name` in a provider's answer to a token-counting request; a 502 when it has none.

    `absent` is what an answer without the field means (Google's proto3 JSON leaves a zero out).
    """
    value = json_object(provider, content, "a token count").get(name, absent)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UpstreamError(f"Provider {provider} sent a response that is not a token count.")
    return value


def completion_id(native_id: Any, fallback: str) -> str:
    """OpenAI's id for a provider's answer: its id (or `fallback`), prefixed `chatcmpl-` unless it is."""
    text = native_id if isinstance(native_id, str) and native_id else fallback
    return text if text.startswith("chatcmpl-") else f"chatcmpl-{text}"


def tool_call(call_id: Any, name: Any, arguments: str) -> dict[str, Any]:
    """One OpenAI function tool call (`arguments` is its JSON text)."""
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def assistant_message(content: str | None, calls: list[dict[str, Any]]) -> dict[str, Any]:
    """The assistant's message of a completion: its text, its tool calls if any, no refusal."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = calls
    message["refusal"] = None
    return message


def usage_object(usage: TokenUsage) -> dict[str, Any]:
    """TokenUsage as OpenAI's `usage` object, with its cached and reasoning token details."""
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def one_choice_completion(
    completion_id: str,
    created: int,
    model: str,
    message: dict[str, Any],
    finish_reason: str,
    usage: dict[str, Any],
) -> dict[str, Any]:
    """OpenAI's `chat.completion` of one choice (`usage` is OpenAI's usage object)."""
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "usage": usage,
    }
