"""Anthropic's Messages stream: translated into chat.completion.chunk payloads, or relayed as it is.

Anthropic streams one message as SSE events: `message_start` (id, model,
input usage), then per content block `content_block_start`,
`content_block_delta` (`text_delta`, `input_json_delta`, ...) and
`content_block_stop`, then `message_delta` (stop reason, cumulative usage) and
`message_stop`; `ping` may come at any time and `error` reports a failure
after the 200. Both translators here react to each event as it arrives.

This module also holds the vocabulary both directions share (usage, stop
reasons, the error envelope), so `anthropic.py` and the stream agree.
"""

from __future__ import annotations

from typing import Any

import orjson

from aigw_router.adapters._chunks import (
    ChunkWriter,
    StreamedCalls,
    event_object,
    malformed_event,
    stream_broken,
)
from aigw_router.adapters._errors import upstream_error
from aigw_router.adapters._responses import completion_id
from aigw_router.adapters.base import StreamTranslator, TokenUsage
from aigw_runtime.errors import GatewayError, UpstreamError
from aigw_runtime.sse import SseDecoder

# Anthropic's stop reasons as OpenAI finish reasons; an unknown one is a plain stop.
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

# The HTTP status each error type of Anthropic's envelope stands for (its errors documentation),
# used for errors that arrive inside a stream, after the 200.
_STATUS_BY_ERROR_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def finish_reason(stop_reason: Any) -> str:
    return FINISH_REASONS.get(stop_reason, "stop") if isinstance(stop_reason, str) else "stop"


def _count(usage: dict[str, Any], name: str) -> int:
    value = usage.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def usage_from_anthropic(usage: Any) -> TokenUsage:
    """Anthropic's usage as TokenUsage: every input token (cached or not) is a prompt token.

    `input_tokens` excludes the tokens read from or written to the prompt cache,
    so the prompt is their sum; the cache reads are OpenAI's `cached_tokens`.
    """
    if not isinstance(usage, dict):
        return TokenUsage()
    cache_read = _count(usage, "cache_read_input_tokens")
    prompt = _count(usage, "input_tokens") + cache_read + _count(usage, "cache_creation_input_tokens")
    completion = _count(usage, "output_tokens")
    details = usage.get("output_tokens_details")
    return TokenUsage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
        cached_tokens=cache_read,
        reasoning_tokens=_count(details, "thinking_tokens") if isinstance(details, dict) else 0,
    )


class _StreamUsage:
    """A stream's usage: message_start's counts, then message_delta's, which are cumulative.

    The latest value of each field wins.
    """

    def __init__(self) -> None:
        self._raw: dict[str, Any] = {}
        self.total: TokenUsage | None = None

    def add(self, usage: Any) -> TokenUsage | None:
        """The usage so far, with this event's counts (if it carried any)."""
        if isinstance(usage, dict):
            self._raw.update({key: value for key, value in usage.items() if value is not None})
            self.total = usage_from_anthropic(self._raw)
        return self.total


def error_details(body: Any) -> tuple[str | None, str | None]:
    """The (type, message) of Anthropic's `{"type": "error", "error": {"type", "message"}}`."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None
    kind, message = error.get("type"), error.get("message")
    return (kind if isinstance(kind, str) else None, message if isinstance(message, str) else None)


def stream_error(provider: str, body: Any) -> GatewayError:
    """The gateway error for an `error` event inside a stream."""
    kind, message = error_details(body)
    status = _STATUS_BY_ERROR_TYPE.get(kind or "", 500)
    detail = f"in-stream {kind or 'error'}: {message}" if message else None
    return upstream_error(provider, status, detail, overloaded=kind == "overloaded_error")


def chat_completion_id(message_id: Any) -> str:
    """OpenAI's id for an Anthropic message: the message id, prefixed."""
    return completion_id(message_id, "msg_unknown")


class AnthropicChatStream(StreamTranslator):
    """Anthropic stream events in, `chat.completion.chunk` payloads out, one choice.

    Tool calls are numbered in the order their blocks start (the Nth tool_use
    block is call N, whatever its block index); a call whose input never
    streamed gets `{}` as its arguments, so they always parse as JSON.
    """

    def __init__(self, provider: str, include_usage: bool, upstream_model: str, created: int) -> None:
        self._provider = provider
        self._include_usage = include_usage
        self._decoder = SseDecoder()
        # The id is the message's, known at message_start.
        self._out = ChunkWriter(None, created, upstream_model)
        self._tools = StreamedCalls()  # by content block index
        self._usage = _StreamUsage()
        self._finished = False
        self._done = False
        self.usage: TokenUsage | None = None

    def read(self, data: bytes, payloads: list[bytes]) -> None:
        for event in self._decoder.feed(data):
            if self._done:
                continue
            body = event_object(self._provider, event.data)
            payloads.extend(self._on_event(event.event or str(body.get("type")), body))

    def end(self) -> list[bytes]:
        if not self._done:
            raise stream_broken(self._provider)
        return []

    def _on_event(self, name: str, body: dict[str, Any]) -> list[bytes]:
        if name == "error":
            raise stream_error(self._provider, body)
        if name == "ping":
            return []
        if name == "message_start":
            return self._on_message_start(body)
        if self._out.id is None:
            raise UpstreamError(f"Provider {self._provider} sent {name} before message_start.")
        if name == "content_block_start":
            return self._on_block_start(body)
        if name == "content_block_delta":
            return self._on_block_delta(body)
        if name == "content_block_stop":
            return self._on_block_stop(body)
        if name == "message_delta":
            return self._on_message_delta(body)
        if name == "message_stop":
            return self._on_message_stop()
        return []  # an event type newer than this translator: nothing a chat client can use

    def _on_message_start(self, body: dict[str, Any]) -> list[bytes]:
        message = body.get("message")
        if not isinstance(message, dict):
            raise malformed_event(self._provider)
        self._out.id = chat_completion_id(message.get("id"))
        if isinstance(message.get("model"), str) and message["model"]:
            self._out.model = message["model"]
        self.usage = self._usage.add(message.get("usage"))
        return [self._out.opening()]

    def _on_block_start(self, body: dict[str, Any]) -> list[bytes]:
        block = body.get("content_block")
        index = body.get("index")
        if not isinstance(block, dict) or not isinstance(index, int):
            raise malformed_event(self._provider)
        if block.get("type") == "text":
            return self._out.text(block.get("text"))
        if block.get("type") != "tool_use":
            return []  # thinking and server-tool blocks have no place in a chat completion
        tool = self._tools.start(index)
        chunks = [self._out.call_start(tool, block.get("id"), block.get("name"))]
        initial = block.get("input")
        if isinstance(initial, dict) and initial:
            chunks.append(self._out.arguments(tool, orjson.dumps(initial).decode()))
        return chunks

    def _on_block_delta(self, body: dict[str, Any]) -> list[bytes]:
        delta = body.get("delta")
        if not isinstance(delta, dict):
            raise malformed_event(self._provider)
        kind = delta.get("type")
        if kind == "text_delta":
            return self._out.text(delta.get("text"))
        if kind == "input_json_delta":
            tool = self._tools.at(body.get("index"))
            fragment = delta.get("partial_json")
            if tool is not None and isinstance(fragment, str) and fragment:
                return [self._out.arguments(tool, fragment)]
        return []

    def _on_block_stop(self, body: dict[str, Any]) -> list[bytes]:
        return self._out.call_end(self._tools.at(body.get("index")))

    def _on_message_delta(self, body: dict[str, Any]) -> list[bytes]:
        self.usage = self._usage.add(body.get("usage"))
        delta = body.get("delta")
        stop_reason = delta.get("stop_reason") if isinstance(delta, dict) else None
        if stop_reason is None or self._finished:
            return []
        self._finished = True
        return [self._out.delta({}, finish_reason(stop_reason))]

    def _on_message_stop(self) -> list[bytes]:
        self._done = True
        chunks = [] if self._finished else [self._out.delta({}, "stop")]
        if self._include_usage:
            chunks.append(self._out.usage(self.usage))
        return chunks


class AnthropicMessagesRelay(StreamTranslator):
    """Relays a native Messages stream to the /v1/messages front door, one whole SSE event at a time.

    Each upstream event goes out as `event: <name>\\ndata: <json>\\n\\n` with its
    JSON untouched; usage is read from message_start and message_delta, an
    `error` event raises, and a stream without message_stop is broken.
    """

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._decoder = SseDecoder()
        self._usage = _StreamUsage()
        self._done = False
        self.usage: TokenUsage | None = None

    def read(self, data: bytes, frames: list[bytes]) -> None:
        for event in self._decoder.feed(data):
            name = event.event
            if name is None or name in ("message_start", "message_delta", "error"):
                body = event_object(self._provider, event.data)
                name = name or str(body.get("type"))
                self._inspect(name, body)
            if name == "message_stop":
                self._done = True
            frames.append(b"event: " + name.encode() + b"\ndata: " + event.data + b"\n\n")

    def _inspect(self, name: str, body: dict[str, Any]) -> None:
        if name == "error":
            raise stream_error(self._provider, body)
        message = body.get("message")
        usage = message.get("usage") if name == "message_start" and isinstance(message, dict) else None
        if name == "message_delta":
            usage = body.get("usage")
        self.usage = self._usage.add(usage)

    def end(self) -> list[bytes]:
        if not self._done:
            raise stream_broken(self._provider)
        return []
