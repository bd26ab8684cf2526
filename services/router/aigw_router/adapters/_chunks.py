"""What the translating stream translators share: chunk payloads, tool-call numbering, stream errors.

A translated stream opens with the assistant's role, then text deltas and
tool-call deltas (the first of each call with its index, id, name and empty
arguments, then argument fragments), one finish chunk, and the usage chunk
(no choices) when the client asked for it. A provider numbers its tool calls
its own way (content blocks, its own index); the chunks number them 0, 1, ...
in the order they start, and a call whose arguments never streamed gets `{}`,
so every call's fragments join to JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from aigw_router.adapters._responses import tool_call, usage_object
from aigw_router.adapters.base import TokenUsage
from aigw_runtime.errors import UpstreamError


def malformed_event(provider: str) -> UpstreamError:
    """The error for a stream event that is not what the provider's protocol defines."""
    return UpstreamError(f"Provider {provider} sent a malformed stream event.")


def stream_broken(provider: str) -> UpstreamError:
    """The error for a stream that ended before its terminal event."""
    return UpstreamError(
        f"Provider {provider} ended the stream before it was complete.", code="upstream_stream_broken"
    )


def event_object(provider: str, data: bytes) -> dict[str, Any]:
    """A stream event's JSON payload, which must be an object."""
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise malformed_event(provider) from None
    if not isinstance(body, dict):
        raise malformed_event(provider)
    return body


@dataclass(slots=True)
class StreamedCall:
    """A tool call being streamed: its index among the answer's tool calls, and whether it had arguments."""

    index: int
    has_arguments: bool = False


class StreamedCalls:
    """The tool calls of one streamed answer, by the provider's key for each (a block index, its index)."""

    def __init__(self) -> None:
        self._by_key: dict[int, StreamedCall] = {}

    def start(self, key: int) -> StreamedCall:
        """The call the provider starts under `key`, numbered after the calls started before it."""
        call = self._by_key[key] = StreamedCall(index=len(self._by_key))
        return call

    def at(self, key: Any) -> StreamedCall | None:
        """The call started under `key`, if any."""
        return self._by_key.get(key) if isinstance(key, int) else None


class ChunkWriter:
    """The `chat.completion.chunk` payloads of one streamed answer, all under one envelope.

    `id` and `model` may be set once the provider has named them (before the
    first chunk).
    """

    __slots__ = ("created", "id", "model")

    def __init__(self, completion_id: str | None, created: int, model: str) -> None:
        self.id = completion_id
        self.created = created
        self.model = model

    def chunk(self, choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> bytes:
        """A chunk of these choices (and this OpenAI usage object, if any)."""
        body: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        }
        if usage is not None:
            body["usage"] = usage
        return orjson.dumps(body)

    def delta(self, delta: dict[str, Any], finish: str | None = None, index: int = 0) -> bytes:
        """A chunk of one choice's delta (and its finish reason, at the end)."""
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        return self.chunk([choice])

    def opening(self) -> bytes:
        """The first chunk: the assistant's role, no text yet."""
        return self.delta({"role": "assistant", "content": ""})

    def text(self, text: Any) -> list[bytes]:
        """A text delta, or nothing when `text` is not a non-empty string."""
        return [self.delta({"content": text})] if isinstance(text, str) and text else []

    def call_start(self, call: StreamedCall, call_id: Any, name: Any) -> bytes:
        """The first delta of a tool call: its index, id and name, no arguments yet."""
        return self.delta({"tool_calls": [{"index": call.index, **tool_call(call_id, name, "")}]})

    def arguments(self, call: StreamedCall, fragment: str) -> bytes:
        """A fragment of a tool call's arguments."""
        call.has_arguments = True
        return self.delta({"tool_calls": [{"index": call.index, "function": {"arguments": fragment}}]})

    def call_end(self, call: StreamedCall | None) -> list[bytes]:
        """`{}` as the arguments of a call that ended without any; nothing for another."""
        return [self.arguments(call, "{}")] if call is not None and not call.has_arguments else []

    def usage(self, usage: TokenUsage | None) -> bytes:
        """The last chunk: no choices, the answer's usage (zero when the provider reported none)."""
        return self.chunk([], usage_object(usage or TokenUsage()))
