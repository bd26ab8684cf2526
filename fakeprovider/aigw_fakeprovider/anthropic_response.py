"""Anthropic's message bodies, stream events and error envelope, built from protocol-neutral answers.

Shapes follow recorded exchanges: a message carries `id`, `type`, `role`,
`model`, `content` (text and tool_use blocks), `stop_reason`,
`stop_sequence` and `usage`. A stream sends `message_start` (empty content,
input usage), a `ping` after the first block starts, each block as
`content_block_start`, deltas (`text_delta` per token; `input_json_delta`
starting with an empty fragment, then argument fragments) and
`content_block_stop`, then `message_delta` (stop reason, cumulative usage)
and `message_stop`. There is no `[DONE]`. A stream that fails after it started
ends with an `error` event carrying the error envelope's `type` and `error`
(docs.claude.com, streaming, "Error events"; the SDK raises on it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson

from aigw_fakeprovider.answers import Answer, Completion, StopReason, ToolCall, split_tokens
from aigw_fakeprovider.delivery import Frame
from aigw_fakeprovider.errors import ProviderError

STOP_REASONS = {
    StopReason.END: "end_turn",
    StopReason.STOP_SEQUENCE: "stop_sequence",
    StopReason.MAX_TOKENS: "max_tokens",
    StopReason.TOOL_USE: "tool_use",
}


@dataclass(frozen=True, slots=True)
class MessageEnvelope:
    """What identifies one message: its id and the model that wrote it."""

    id: str
    model: str


def error_body(error: ProviderError, request_id: str) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": error.error_type, "message": error.message},
        "request_id": request_id,
    }


def error_event(error: ProviderError) -> bytes:
    """The `error` event that ends a stream which failed after it started."""
    body = {"type": "error", "error": {"type": error.error_type, "message": error.message}}
    return _event("error", body).data


def tool_use_id(call: ToolCall) -> str:
    """Anthropic's id for a neutral tool call (`toolu_` instead of OpenAI's `call_`)."""
    return "toolu_" + call.id.removeprefix("call_")


def _usage(answer: Answer, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": answer.prompt_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output_tokens,
    }


def _blocks(completion: Completion) -> list[dict[str, Any]]:
    if completion.text is not None:
        return [{"type": "text", "text": completion.text}] if completion.text else []
    return [
        {"type": "tool_use", "id": tool_use_id(call), "name": call.name, "input": json.loads(call.arguments)}
        for call in completion.tool_calls
    ]


def message_body(answer: Answer, envelope: MessageEnvelope) -> dict[str, Any]:
    """A `message` object (Anthropic answers with one choice)."""
    completion = answer.completions[0]
    return {
        "id": envelope.id,
        "type": "message",
        "role": "assistant",
        "model": envelope.model,
        "content": _blocks(completion),
        "stop_reason": STOP_REASONS[completion.stop_reason],
        "stop_sequence": completion.stop_sequence,
        "usage": {**_usage(answer, completion.tokens), "service_tier": "standard"},
    }


def _event(name: str, body: dict[str, Any], *, token: bool = False) -> Frame:
    return Frame(b"event: " + name.encode() + b"\ndata: " + orjson.dumps(body) + b"\n\n", token)


_PING = _event("ping", {"type": "ping"})


def _block_events(index: int, completion: Completion) -> list[list[Frame]]:
    """Each content block's events, from content_block_start to content_block_stop."""
    blocks: list[list[Frame]] = []
    if completion.text:
        deltas = [{"type": "text_delta", "text": token} for token in split_tokens(completion.text)]
        opening = _start(index, {"type": "text", "text": ""})
        blocks.append([opening, *(_delta(index, d) for d in deltas), _stop(index)])
    for call in completion.tool_calls:
        at = index + len(blocks)
        header = {"type": "tool_use", "id": tool_use_id(call), "name": call.name, "input": {}}
        fragments = ["", *split_tokens(call.arguments)]
        deltas = [{"type": "input_json_delta", "partial_json": fragment} for fragment in fragments]
        blocks.append([_start(at, header), *(_delta(at, d) for d in deltas), _stop(at)])
    return blocks


def _start(index: int, block: dict[str, Any]) -> Frame:
    return _event(
        "content_block_start", {"type": "content_block_start", "index": index, "content_block": block}
    )


def _delta(index: int, delta: dict[str, Any]) -> Frame:
    body = {"type": "content_block_delta", "index": index, "delta": delta}
    return _event("content_block_delta", body, token=bool(delta.get("text") or delta.get("partial_json")))


def _stop(index: int) -> Frame:
    return _event("content_block_stop", {"type": "content_block_stop", "index": index})


def stream_frames(answer: Answer, envelope: MessageEnvelope) -> list[Frame]:
    """The events of a streamed message, from message_start to message_stop."""
    completion = answer.completions[0]
    opening: dict[str, Any] = {
        "id": envelope.id,
        "type": "message",
        "role": "assistant",
        "model": envelope.model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**_usage(answer, 1), "service_tier": "standard"},
    }
    frames = [_event("message_start", {"type": "message_start", "message": opening})]
    blocks = _block_events(0, completion)
    if not blocks:
        frames.append(_PING)
    for number, events in enumerate(blocks):
        frames.append(events[0])
        if number == 0:
            frames.append(_PING)
        frames.extend(events[1:])
    closing = {
        "type": "message_delta",
        "delta": {
            "stop_reason": STOP_REASONS[completion.stop_reason],
            "stop_sequence": completion.stop_sequence,
        },
        "usage": _usage(answer, completion.tokens),
    }
    frames.append(_event("message_delta", closing))
    frames.append(_event("message_stop", {"type": "message_stop"}))
    return frames
