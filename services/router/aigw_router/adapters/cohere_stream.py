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

from typing import Any

from aigw_router.adapters._chunks import (
    ChunkWriter,
    StreamedCalls,
    event_object,
    malformed_event,
    stream_broken,
)
from aigw_router.adapters._errors import upstream_error
from aigw_router.adapters._responses import (
    assistant_message,
    completion_id,
    count_field,
    one_choice_completion,
    usage_object,
)
from aigw_router.adapters._responses import tool_call as openai_tool_call
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


def usage_from_cohere(usage: Any) -> TokenUsage:
    """Cohere's usage as TokenUsage, from billed units where Cohere reports them."""
    if not isinstance(usage, dict):
        return TokenUsage()
    billed, tokens = usage.get("billed_units"), usage.get("tokens")
    source = billed if isinstance(billed, dict) and billed else tokens
    prompt, completion = count_field(source, "input_tokens"), count_field(source, "output_tokens")
    return TokenUsage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
        cached_tokens=min(count_field(usage, "cached_tokens"), prompt),
    )


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
    return completion_id(response_id, "cohere")


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def tool_call(call: Any) -> dict[str, Any]:
    """OpenAI's tool call for Cohere's (arguments `{}` when Cohere sent none)."""
    call = _object(call)
    function = _object(call.get("function"))
    arguments = function.get("arguments")
    return openai_tool_call(
        call.get("id"),
        function.get("name"),
        arguments if isinstance(arguments, str) and arguments else "{}",
    )


def chat_completion(provider: str, response: dict[str, Any], model: str, created: int) -> dict[str, Any]:
    """OpenAI's `chat.completion` for a Cohere v2 chat response."""
    message = response.get("message")
    if not isinstance(message, dict):
        raise UpstreamError(f"Provider {provider} sent a response without a message.")
    reason = finish_reason(provider, response.get("finish_reason"))
    plan = message.get("tool_plan")
    texts = [plan] if isinstance(plan, str) and plan else []
    content = message.get("content")
    for item in content if isinstance(content, list) else ():
        if isinstance(item, dict) and item.get("type") == "text" and isinstance(item.get("text"), str):
            texts.append(item["text"])
    calls = message.get("tool_calls")
    return one_choice_completion(
        chat_completion_id(response.get("id")),
        created,
        model,
        assistant_message(
            "".join(texts) if texts else None,
            [tool_call(call) for call in calls] if isinstance(calls, list) else [],
        ),
        reason,
        usage_object(usage_from_cohere(response.get("usage"))),
    )


def _path(body: dict[str, Any], *keys: str) -> Any:
    """The value at `body[keys[0]][keys[1]]...`, or None where the path breaks."""
    value: Any = body
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


class CohereChatStream(StreamTranslator):
    """Cohere v2 chat stream events in, `chat.completion.chunk` payloads out, one choice.

    Tool calls are numbered in the order they start, whatever index Cohere
    gives them; the first chunk of each carries its id, name and empty
    arguments, and a call whose arguments never streamed gets `{}`.
    """

    def __init__(self, provider: str, include_usage: bool, upstream_model: str, created: int) -> None:
        self._provider = provider
        self._include_usage = include_usage
        self._decoder = SseDecoder()
        # The id is the response's, known at message-start.
        self._out = ChunkWriter(None, created, upstream_model)
        self._text_blocks: set[int] = set()
        self._calls = StreamedCalls()  # by Cohere's index of each call
        self._done = False
        self.usage: TokenUsage | None = None

    def read(self, data: bytes, payloads: list[bytes]) -> None:
        for event in self._decoder.feed(data):
            if self._done or event.data == _DONE:
                continue
            body = event_object(self._provider, event.data)
            name = body.get("type") or event.event
            payloads.extend(self._on_event(str(name), body))

    def end(self) -> list[bytes]:
        if not self._done:
            raise stream_broken(self._provider)
        return []

    def _on_event(self, name: str, body: dict[str, Any]) -> list[bytes]:
        if name == "message-start":
            self._out.id = chat_completion_id(body.get("id"))
            return [self._out.opening()]
        if self._out.id is None:
            raise UpstreamError(f"Provider {self._provider} sent {name} before message-start.")
        if name == "content-start":
            return self._on_content_start(body)
        if name == "content-delta":
            return self._on_content_delta(body)
        if name == "tool-plan-delta":
            return self._out.text(_path(body, "delta", "message", "tool_plan"))
        if name == "tool-call-start":
            return self._on_call_start(body)
        if name == "tool-call-delta":
            return self._on_call_delta(body)
        if name == "tool-call-end":
            return self._on_call_end(body)
        if name == "message-end":
            return self._on_message_end(body)
        return []  # content-end, citations, debug and newer events: nothing a chat client can use

    def _on_content_start(self, body: dict[str, Any]) -> list[bytes]:
        content = _path(body, "delta", "message", "content")
        index = body.get("index")
        if not isinstance(content, dict) or content.get("type") != "text":
            return []  # thinking blocks are left out
        if isinstance(index, int):
            self._text_blocks.add(index)
        return self._out.text(content.get("text"))

    def _on_content_delta(self, body: dict[str, Any]) -> list[bytes]:
        index = body.get("index")
        if isinstance(index, int) and index not in self._text_blocks:
            return []
        return self._out.text(_path(body, "delta", "message", "content", "text"))

    def _call_fields(self, body: dict[str, Any]) -> dict[str, Any]:
        calls = _path(body, "delta", "message", "tool_calls")
        if isinstance(calls, list):  # one call per event, but tolerate it wrapped in a list
            calls = calls[0] if calls else None
        return _object(calls)

    def _on_call_start(self, body: dict[str, Any]) -> list[bytes]:
        index = body.get("index")
        fields = self._call_fields(body)
        function = _object(fields.get("function"))
        if not isinstance(index, int) or not fields.get("id") or not function.get("name"):
            raise malformed_event(self._provider)
        call = self._calls.start(index)
        chunks = [self._out.call_start(call, fields["id"], function["name"])]
        initial = function.get("arguments")
        if isinstance(initial, str) and initial:
            chunks.append(self._out.arguments(call, initial))
        return chunks

    def _on_call_delta(self, body: dict[str, Any]) -> list[bytes]:
        call = self._calls.at(body.get("index"))
        fragment = _path(self._call_fields(body), "function", "arguments")
        if call is None or not isinstance(fragment, str) or not fragment:
            return []
        return [self._out.arguments(call, fragment)]

    def _on_call_end(self, body: dict[str, Any]) -> list[bytes]:
        return self._out.call_end(self._calls.at(body.get("index")))

    def _on_message_end(self, body: dict[str, Any]) -> list[bytes]:
        delta = _object(body.get("delta"))
        usage = delta.get("usage")
        if isinstance(usage, dict):
            self.usage = usage_from_cohere(usage)
        reason = finish_reason(self._provider, delta.get("finish_reason"), delta.get("error"))
        self._done = True
        chunks = [self._out.delta({}, reason)]
        if self._include_usage:
            chunks.append(self._out.usage(self.usage))
        return chunks
