"""OpenAI `chat.completion` → Anthropic `Message`, for answers from deployments that are not Claude.

- Content: the text (and a refusal's text) as one `text` block, then each tool
  call as a `tool_use` block with its id, name and parsed `input`. Arguments
  that are not a JSON object are the provider's fault, not the client's: a 502
  (`UpstreamError`), since handing the client a tool_use it cannot run would
  only move the failure. Empty arguments mean `{}`.
- `stop_reason`: stop → end_turn (OpenAI does not say whether a stop sequence
  ended the text, so `stop_sequence` is always null), length → max_tokens,
  tool_calls → tool_use (also when a provider says "stop" but called tools),
  content_filter or a refusal → refusal.
- `usage`: Anthropic counts cache reads apart from `input_tokens` (total input
  = input + cache creation + cache read), OpenAI inside `prompt_tokens`; so
  input_tokens = prompt_tokens - cached_tokens and cache_read_input_tokens =
  cached_tokens.
- `model` is the model that answered (the deployment's, as for chat
  completions and native Claude answers); `id` is `msg_` + the provider's id.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from aigw_router.adapters.base import TokenUsage
from aigw_router.adapters.openai import usage_from_openai
from aigw_runtime.errors import UpstreamError

_STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def message_id(chat_id: object) -> str:
    """`msg_` + the provider's answer id (without OpenAI's `chatcmpl-`), or a fresh one."""
    if isinstance(chat_id, str) and chat_id:
        return "msg_" + chat_id.removeprefix("chatcmpl-")
    return "msg_" + uuid.uuid4().hex


def tool_use_id(call_id: object) -> str:
    """The tool call's own id (the client sends it back as `tool_use_id`), or a fresh one."""
    return call_id if isinstance(call_id, str) and call_id else "toolu_" + uuid.uuid4().hex


def stop_reason(finish_reason: object, called_tools: bool, refused: bool) -> str:
    """Anthropic's stop_reason for an OpenAI finish_reason."""
    if refused:
        return "refusal"
    if called_tools and finish_reason in (None, "stop", "tool_calls", "function_call"):
        return "tool_use"
    return _STOP_REASONS.get(finish_reason if isinstance(finish_reason, str) else "stop", "end_turn")


def anthropic_usage(usage: TokenUsage) -> dict[str, int]:
    """Anthropic's usage counts for OpenAI's (cache reads moved out of input_tokens)."""
    return {
        "input_tokens": max(usage.prompt_tokens - usage.cached_tokens, 0),
        "output_tokens": usage.completion_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": usage.cached_tokens,
    }


def tool_input(arguments: object, name: str) -> dict[str, Any]:
    """A tool call's `arguments` string as the JSON object Anthropic's `input` must be."""
    if arguments is None or (isinstance(arguments, str) and not arguments.strip()):
        return {}
    try:
        parsed = orjson.loads(arguments) if isinstance(arguments, str) else arguments
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise UpstreamError(
            f"The model called tool '{name}' with arguments that are not a JSON object.",
            code="upstream_invalid_tool_arguments",
        )
    return parsed


def _choice(chat_completion: dict[str, Any]) -> dict[str, Any]:
    choices = chat_completion.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise UpstreamError("The provider's answer holds no choice to translate.")
    choice: dict[str, Any] = choices[0]
    if not isinstance(choice.get("message"), dict):
        raise UpstreamError("The provider's answer holds no message to translate.")
    return choice


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # some servers answer with parts
        return "".join(
            part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def _tool_use(call: object) -> dict[str, Any]:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(call, dict) or not isinstance(function, dict) or not function.get("name"):
        raise UpstreamError("The provider's answer holds a tool call without a function name.")
    name = str(function["name"])
    return {
        "type": "tool_use",
        "id": tool_use_id(call.get("id")),
        "name": name,
        "input": tool_input(function.get("arguments"), name),
    }


def chat_to_message(chat_completion: dict[str, Any], model: str) -> dict[str, Any]:
    """Anthropic's Message JSON for an OpenAI chat completion; `model` is the one that answered."""
    choice = _choice(chat_completion)
    message = choice["message"]
    refusal = message.get("refusal")
    text = _text(message.get("content")) or (refusal if isinstance(refusal, str) else "")
    calls = message.get("tool_calls") if isinstance(message.get("tool_calls"), list) else []
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    content.extend(_tool_use(call) for call in calls)
    return {
        "id": message_id(chat_completion.get("id")),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason(choice.get("finish_reason"), bool(calls), bool(refusal)),
        "stop_sequence": None,
        "usage": anthropic_usage(usage_from_openai(chat_completion.get("usage"))),
    }
