"""OpenAI `chat.completion.chunk` payloads → Anthropic's Messages stream, for deployments that are not Claude.

It wraps the adapter's own chat translator (asked for usage) and turns each
chunk into Anthropic's events as it arrives, so text and tool input flow to
the client token by token. Each payload it returns is one whole SSE event,
`event: <type>\\ndata: <json>\\n\\n`: the form the router contract gives stream
chunks of OPERATION_ANTHROPIC_MESSAGES (native Claude streams are relayed
that way too), so the edge only concatenates them.

- `message_start` with the first chunk: `msg_` + the chunk's id, the chunk's
  model (the deployment's), empty content and zero usage, since OpenAI streams
  report usage only at the end.
- Text (and a refusal's text) is a `text` block of `text_delta`s; each tool
  call is a `tool_use` block (its id and name, `input: {}`) whose arguments
  stream as `input_json_delta`s. Blocks follow one another: a new call or text
  after a call closes the open block. A fragment for a call whose block was
  already closed (a provider interleaving parallel calls) cannot be expressed
  in Anthropic's stream and fails the stream. Reasoning deltas are dropped
  (Anthropic's thinking blocks carry a signature only Claude can make).
- The end: the open block is closed at the finish reason; `message_delta`
  (stop reason, and usage with `input_tokens`, which the SDK takes over the
  message_start value) and `message_stop` follow with the usage chunk (usage,
  no choices) that ends the canonical stream, or when the upstream closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from aigw_router.adapters.base import StreamTranslator, TokenUsage
from aigw_router.adapters.openai import usage_from_openai
from aigw_router.frontdoor.anthropic_response import anthropic_usage, message_id, stop_reason, tool_use_id
from aigw_runtime.errors import UpstreamError


def sse_event(event: dict[str, Any]) -> bytes:
    """One Anthropic stream event as a whole SSE event, named by its `type`."""
    return b"event: " + str(event["type"]).encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"


@dataclass(slots=True)
class _OpenBlock:
    index: int
    # The OpenAI tool call index this block streams, or None for a text block.
    call: int | None


def _malformed() -> UpstreamError:
    return UpstreamError("The provider's stream held a chunk that could not be translated.")


class ChatToAnthropicStream(StreamTranslator):
    """Anthropic Messages events from the chunks of an inner `chat.completion.chunk` translator."""

    def __init__(self, inner: StreamTranslator, upstream_model: str) -> None:
        self._inner = inner
        self._model = upstream_model
        self._started = False
        self._next_index = 0
        self._open: _OpenBlock | None = None
        self._calls: set[int] = set()  # the OpenAI indexes of the tool calls seen
        self._finish_reason: str | None = None
        self._refused = False
        self._usage: dict[str, Any] | None = None
        self._ended = False
        self.usage: TokenUsage | None = None

    def read(self, data: bytes, payloads: list[bytes]) -> None:
        payloads.extend(self._translate(self._inner.feed(data)))
        self.usage = self._inner.usage

    def end(self) -> list[bytes]:
        events = self._translate(self._inner.finish())
        self.usage = self._inner.usage
        if not self._ended:
            events.extend(self._end())
        return events

    # --- chunks ------------------------------------------------------------------

    def _translate(self, payloads: list[bytes]) -> list[bytes]:
        events: list[bytes] = []
        for payload in payloads:
            if self._ended:
                break
            try:
                chunk = orjson.loads(payload)
            except orjson.JSONDecodeError:
                raise _malformed() from None
            if not isinstance(chunk, dict):
                raise _malformed()
            events.extend(self._on_chunk(chunk))
        return events

    def _on_chunk(self, chunk: dict[str, Any]) -> list[bytes]:
        events = [] if self._started else [self._message_start(chunk)]
        choices = chunk.get("choices")
        for choice in choices if isinstance(choices, list) else ():
            if isinstance(choice, dict) and choice.get("index", 0) == 0:
                events.extend(self._on_choice(choice))
        if isinstance(chunk.get("usage"), dict):
            self._usage = chunk["usage"]
            # The canonical stream's last chunk: usage and no choices (some servers put running
            # counts on earlier chunks too, so only this one ends the message).
            if not choices and self._finish_reason is not None:
                events.extend(self._end())
        return events

    def _on_choice(self, choice: dict[str, Any]) -> list[bytes]:
        events: list[bytes] = []
        delta = choice.get("delta")
        if isinstance(delta, dict):
            for key in ("content", "refusal"):
                text = delta.get(key)
                if isinstance(text, str) and text:
                    self._refused = self._refused or key == "refusal"
                    events.extend(self._text(text))
            calls = delta.get("tool_calls")
            for call in calls if isinstance(calls, list) else ():
                if not isinstance(call, dict):
                    raise _malformed()
                events.extend(self._tool_call(call))
        finish = choice.get("finish_reason")
        if isinstance(finish, str) and finish and self._finish_reason is None:
            self._finish_reason = finish
            events.extend(self._close())
        return events

    # --- blocks ------------------------------------------------------------------

    def _text(self, text: str) -> list[bytes]:
        events: list[bytes] = []
        if self._open is None or self._open.call is not None:
            events.extend(self._close())
            events.append(self._start_block({"type": "text", "text": ""}, call=None))
        assert self._open is not None
        delta = {"type": "text_delta", "text": text}
        events.append(sse_event({"type": "content_block_delta", "index": self._open.index, "delta": delta}))
        return events

    def _tool_call(self, call: dict[str, Any]) -> list[bytes]:
        position = call.get("index", 0)
        if not isinstance(position, int):
            raise _malformed()
        found = call.get("function")
        function: dict[str, Any] = found if isinstance(found, dict) else {}
        events: list[bytes] = []
        if position not in self._calls:
            name = function.get("name")
            if not isinstance(name, str) or not name:
                raise UpstreamError("The provider streamed a tool call without a function name.")
            events.extend(self._close())
            block = {"type": "tool_use", "id": tool_use_id(call.get("id")), "name": name, "input": {}}
            events.append(self._start_block(block, call=position))
            self._calls.add(position)
        fragment = function.get("arguments")
        if isinstance(fragment, str) and fragment:
            if self._open is None or self._open.call != position:
                raise UpstreamError(
                    "The provider interleaved the arguments of parallel tool calls, which Anthropic's "
                    "stream cannot carry.",
                    code="upstream_stream_untranslatable",
                )
            delta = {"type": "input_json_delta", "partial_json": fragment}
            events.append(
                sse_event({"type": "content_block_delta", "index": self._open.index, "delta": delta})
            )
        return events

    def _start_block(self, block: dict[str, Any], call: int | None) -> bytes:
        self._open = _OpenBlock(index=self._next_index, call=call)
        self._next_index += 1
        return sse_event({"type": "content_block_start", "index": self._open.index, "content_block": block})

    def _close(self) -> list[bytes]:
        if self._open is None:
            return []
        index, self._open = self._open.index, None
        return [sse_event({"type": "content_block_stop", "index": index})]

    # --- the message ----------------------------------------------------------------

    def _message_start(self, chunk: dict[str, Any]) -> bytes:
        self._started = True
        model = chunk.get("model")
        if isinstance(model, str) and model:
            self._model = model
        message: dict[str, Any] = {
            "id": message_id(chunk.get("id")),
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return sse_event({"type": "message_start", "message": message})

    def _end(self) -> list[bytes]:
        self._ended = True
        events = [] if self._started else [self._message_start({})]
        events.extend(self._close())
        reason = stop_reason(self._finish_reason, bool(self._calls), self._refused)
        usage = usage_from_openai(self._usage) if self._usage is not None else self._inner.usage
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": reason, "stop_sequence": None},
            "usage": anthropic_usage(usage or TokenUsage()),
        }
        events.append(sse_event(delta))
        events.append(sse_event({"type": "message_stop"}))
        return events
