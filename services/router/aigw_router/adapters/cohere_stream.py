"""Cohere v2 chat answers, streamed and not, as OpenAI `chat.completion` and `chat.completion.chunk`.

Cohere streams one message as SSE events, each named in its `event:` line
and again in the JSON's `type`: `message-start` (the id), per text block
`content-start`, `content-delta` and `content-end`, `tool-plan-delta` (the
model's plan before it calls tools), per tool call `tool-call-start` (id and
name), `tool-call-delta` (argument fragments) and `tool-call-end`, citation
events, and `message-end` (finish reason and usage). The translator reacts to
each event as it arrives.

Choices where the APIs differ:

- The tool plan is text the model wrote for the user ("I will look up the
  weather"), so it is the assistant's `content`, before any text block, in
  answers and streams alike; sent back in a history it returns to
  `tool_plan` (see `cohere_request.py`).
- `thinking` content and citations have no place in a chat completion and
  are left out.
- Finish reasons: COMPLETE and STOP_SEQUENCE are `stop`, MAX_TOKENS `length`,
  TOOL_CALL `tool_calls`. ERROR and TIMEOUT mean the generation failed: the
  answer is a gateway error (502, 504) rather than a partial completion, so
  the router may retry elsewhere.
- Usage: `billed_units`, the tokens Cohere charges (its `tokens` also count
  the prompt Cohere adds itself), else `tokens`; `cached_tokens` when
  reported. Reasoning tokens are not reported.
- A stream that closes before `message-end` is broken (a gateway error).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from aigw_router.adapters._errors import upstream_error
from aigw_router.adapters.base import StreamTranslator, TokenUsage
from aigw_runtime.errors import UpstreamError
from aigw_runtime.sse import SseDecoder

FINISH_REASONS = {
    "COMPLETE": "stop",
    "STOP_SEQUENCE": "stop",
    "MAX_TOKENS": "length",
    "TOOL_CALL": "tool_calls",
}
_FAILURE_STATUS = {"ERROR": 500, "TIMEOUT": 504}
_DONE = b"[DONE]"


def _count(values: Any, name: str) -> int:
    value = values.get(name) if isinstance(values, dict) else None
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def usage_from_cohere(usage: Any) -> TokenUsage:
    """Cohere's usage as TokenUsage, from billed units where Cohere reports them."""
    if not isinstance(usage, dict):
        return TokenUsage()
    billed, tokens = usage.get("billed_units"), usage.get("tokens")
    source = billed if isinstance(billed, dict) and billed else tokens
    prompt, completion = _count(source, "input_tokens"), _count(source, "output_tokens")
    return TokenUsage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
        cached_tokens=min(_count(usage, "cached_tokens"), prompt),
    )


def openai_usage(usage: TokenUsage) -> dict[str, Any]:
    """TokenUsage as OpenAI's `usage` object."""
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def error_message(body: Any) -> str | None:
    """The message of Cohere's error envelope `{"id"?, "message"}`."""
    message = body.get("message") if isinstance(body, dict) else None
    return message if isinstance(message, str) and message else None


def finish_reason(provider: str, reason: Any, detail: Any = None) -> str:
    """OpenAI's finish reason for Cohere's; raises for a generation that failed (ERROR, TIMEOUT)."""
    status = _FAILURE_STATUS.get(reason) if isinstance(reason, str) else None
    if status is not None:
        text = detail if isinstance(detail, str) and detail else f"finish_reason {reason}"
        raise upstream_error(provider, status, f"generation failed: {text}")
    return FINISH_REASONS.get(reason, "stop") if isinstance(reason, str) else "stop"


def chat_completion_id(response_id: Any) -> str:
    """OpenAI's id for a Cohere response: its id, prefixed."""
    text = response_id if isinstance(response_id, str) and response_id else "cohere"
    return text if text.startswith("chatcmpl-") else f"chatcmpl-{text}"


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def tool_call(call: Any) -> dict[str, Any]:
    """OpenAI's tool call for Cohere's (arguments `{}` when Cohere sent none)."""
    call = _object(call)
    function = _object(call.get("function"))
    arguments = function.get("arguments")
    return {
        "id": call.get("id"),
        "type": "function",
        "function": {
            "name": function.get("name"),
            "arguments": arguments if isinstance(arguments, str) and arguments else "{}",
        },
    }


def chat_completion(provider: str, response: dict[str, Any], model: str, created: int) -> dict[str, Any]:
    """OpenAI's `chat.completion` for a Cohere v2 chat response."""
    message = response.get("message")
    if not isinstance(message, dict):
        raise UpstreamError(f"Provider {provider} sent a response without a message.")
    reason = finish_reason(provider, response.get("finish_reason"))
    plan = message.get("tool_plan")
    texts = [plan] if isinstance(plan, str) and plan else []
    for item in message.get("content") or ():
        if isinstance(item, dict) and item.get("type") == "text" and isinstance(item.get("text"), str):
            texts.append(item["text"])
    reply: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None}
    calls = message.get("tool_calls")
    if isinstance(calls, list) and calls:
        reply["tool_calls"] = [tool_call(call) for call in calls]
    reply["refusal"] = None
    return {
        "id": chat_completion_id(response.get("id")),
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": reply, "logprobs": None, "finish_reason": reason}],
        "usage": openai_usage(usage_from_cohere(response.get("usage"))),
    }


def _malformed(provider: str) -> UpstreamError:
    return UpstreamError(f"Provider {provider} sent a malformed stream event.")


def _path(body: dict[str, Any], *keys: str) -> Any:
    """The value at `body[keys[0]][keys[1]]...`, or None where the path breaks."""
    value: Any = body
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


@dataclass(slots=True)
class _Call:
    """A tool call being streamed: its place among the tool calls, and whether it had arguments."""

    index: int
    has_arguments: bool = False


class CohereChatStream(StreamTranslator):
    """Cohere v2 chat stream events in, `chat.completion.chunk` payloads out, one choice.

    Tool calls are numbered in the order they start, whatever index Cohere
    gives them; the first chunk of each carries its id, name and empty
    arguments, and a call whose arguments never streamed gets `{}`.
    """

    def __init__(self, provider: str, include_usage: bool, upstream_model: str, created: int) -> None:
        self._provider = provider
        self._include_usage = include_usage
        self._model = upstream_model
        self._created = created
        self._decoder = SseDecoder()
        self._id: str | None = None
        self._text_blocks: set[int] = set()
        self._calls: dict[int, _Call] = {}
        self._done = False
        self.usage: TokenUsage | None = None

    def feed(self, data: bytes) -> list[bytes]:
        payloads: list[bytes] = []
        for event in self._decoder.feed(data):
            if self._done or event.data == _DONE:
                continue
            try:
                body = orjson.loads(event.data)
            except orjson.JSONDecodeError:
                raise _malformed(self._provider) from None
            if not isinstance(body, dict):
                raise _malformed(self._provider)
            name = body.get("type") or event.event
            payloads.extend(self._on_event(str(name), body))
        return payloads

    def finish(self) -> list[bytes]:
        if not self._done:
            raise UpstreamError(
                f"Provider {self._provider} ended the stream before it was complete.",
                code="upstream_stream_broken",
            )
        return []

    def _on_event(self, name: str, body: dict[str, Any]) -> list[bytes]:
        if name == "message-start":
            self._id = chat_completion_id(body.get("id"))
            return [self._chunk({"role": "assistant", "content": ""})]
        if self._id is None:
            raise UpstreamError(f"Provider {self._provider} sent {name} before message-start.")
        if name == "content-start":
            return self._on_content_start(body)
        if name == "content-delta":
            return self._on_content_delta(body)
        if name == "tool-plan-delta":
            return self._text(_path(body, "delta", "message", "tool_plan"))
        if name == "tool-call-start":
            return self._on_call_start(body)
        if name == "tool-call-delta":
            return self._on_call_delta(body)
        if name == "tool-call-end":
            return self._on_call_end(body)
        if name == "message-end":
            return self._on_message_end(body)
        return []  # content-end, citations, debug and newer events: nothing a chat client can use

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return orjson.dumps(
            {
                "id": self._id,
                "object": "chat.completion.chunk",
                "created": self._created,
                "model": self._model,
                "choices": [choice],
            }
        )

    def _text(self, text: Any) -> list[bytes]:
        return [self._chunk({"content": text})] if isinstance(text, str) and text else []

    def _on_content_start(self, body: dict[str, Any]) -> list[bytes]:
        content = _path(body, "delta", "message", "content")
        index = body.get("index")
        if not isinstance(content, dict) or content.get("type") != "text":
            return []  # thinking blocks are left out
        if isinstance(index, int):
            self._text_blocks.add(index)
        return self._text(content.get("text"))

    def _on_content_delta(self, body: dict[str, Any]) -> list[bytes]:
        index = body.get("index")
        if isinstance(index, int) and index not in self._text_blocks:
            return []
        return self._text(_path(body, "delta", "message", "content", "text"))

    def _call_fields(self, body: dict[str, Any]) -> dict[str, Any]:
        calls = _path(body, "delta", "message", "tool_calls")
        if isinstance(calls, list):  # one call per event, but tolerate it wrapped in a list
            calls = calls[0] if calls else None
        return _object(calls)

    def _arguments(self, call: _Call, fragment: str) -> bytes:
        call.has_arguments = True
        return self._chunk({"tool_calls": [{"index": call.index, "function": {"arguments": fragment}}]})

    def _on_call_start(self, body: dict[str, Any]) -> list[bytes]:
        index = body.get("index")
        fields = self._call_fields(body)
        function = _object(fields.get("function"))
        if not isinstance(index, int) or not fields.get("id") or not function.get("name"):
            raise _malformed(self._provider)
        call = self._calls[index] = _Call(index=len(self._calls))
        header = {
            "index": call.index,
            "id": fields["id"],
            "type": "function",
            "function": {"name": function["name"], "arguments": ""},
        }
        chunks = [self._chunk({"tool_calls": [header]})]
        initial = function.get("arguments")
        if isinstance(initial, str) and initial:
            chunks.append(self._arguments(call, initial))
        return chunks

    def _call_at(self, body: dict[str, Any]) -> _Call | None:
        index = body.get("index")
        return self._calls.get(index) if isinstance(index, int) else None

    def _on_call_delta(self, body: dict[str, Any]) -> list[bytes]:
        call = self._call_at(body)
        fragment = _path(self._call_fields(body), "function", "arguments")
        if call is None or not isinstance(fragment, str) or not fragment:
            return []
        return [self._arguments(call, fragment)]

    def _on_call_end(self, body: dict[str, Any]) -> list[bytes]:
        call = self._call_at(body)
        return [self._arguments(call, "{}")] if call is not None and not call.has_arguments else []

    def _on_message_end(self, body: dict[str, Any]) -> list[bytes]:
        delta = _object(body.get("delta"))
        usage = delta.get("usage")
        if isinstance(usage, dict):
            self.usage = usage_from_cohere(usage)
        reason = finish_reason(self._provider, delta.get("finish_reason"), delta.get("error"))
        self._done = True
        chunks = [self._chunk({}, reason)]
        if self._include_usage:
            usage_chunk: dict[str, Any] = {
                "id": self._id,
                "object": "chat.completion.chunk",
                "created": self._created,
                "model": self._model,
                "choices": [],
                "usage": openai_usage(self.usage or TokenUsage()),
            }
            chunks.append(orjson.dumps(usage_chunk))
        return chunks
