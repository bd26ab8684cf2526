"""Gemini's `GenerateContentResponse`, whole or streamed, built from protocol-neutral answers.

A response holds one candidate per choice (`content` with role `model`,
`finishReason`, `index`), `usageMetadata`, `modelVersion` and `responseId`
(Vertex AI adds `createTime`). Text is a text part; tool calls are
`functionCall` parts with `args` objects. Finish reasons: STOP (also after a
stop sequence or a call), MAX_TOKENS.

"Thinking" models (Gemini 2.5 and 3) report `thoughtsTokenCount`, as many
as the tokens they answer with, counted in `totalTokenCount`; Gemini 3 signs
its first function call of a turn with a `thoughtSignature`.

Streams (`streamGenerateContent`) send one response per token, then the
candidate's last piece with its `finishReason` and the full usage. With
`alt=sse` each is an SSE `data:` event (CRLF-framed); without it the stream
is one JSON array sent piece by piece (`[`, then elements separated by
`,\r\n`, then `]`).

A stream that fails after it started carries the `google.rpc.Status`
envelope `{"error": {code, message, status}}` where the next response would
have been, and ends: with `alt=sse` as a `data:` event (as reported from the
live API, e.g. `{"error": {"code": 503, ..., "status": "UNAVAILABLE"}}` after
some chunks, github.com/diegosouzapw/OmniRoute/issues/4177); without it as
the array's last element, the array then closed (no capture of that case was
found: it is the SSE behaviour in the array's framing).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from aigw_fakeprovider.answers import Answer, Completion, StopReason, split_tokens
from aigw_fakeprovider.delivery import Frame

FINISH_REASONS = {
    StopReason.END: "STOP",
    StopReason.STOP_SEQUENCE: "STOP",
    StopReason.TOOL_USE: "STOP",
    StopReason.MAX_TOKENS: "MAX_TOKENS",
}
ARRAY_TERMINATOR = b"]"
"""What ends a stream sent without `alt=sse` (an SSE stream just ends)."""


def thinks(model: str) -> bool:
    """Whether `model` is a thinking model (it reports thought tokens)."""
    return model.startswith(("gemini-2.5", "gemini-3"))


def signs_calls(model: str) -> bool:
    """Whether `model` returns (and then requires) thought signatures on function calls."""
    return model.startswith("gemini-3")


@dataclass(frozen=True, slots=True)
class Envelope:
    """What identifies one response: its id, the model, and Vertex's creation time (None on AI Studio)."""

    response_id: str
    model: str
    create_time: str | None = None


def _signature(envelope: Envelope, index: int) -> str:
    digest = hashlib.sha256(f"{envelope.response_id}:{index}".encode()).digest()
    return base64.b64encode(digest).decode("ascii")


def _call_parts(completion: Completion, envelope: Envelope, index: int) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [
        {"functionCall": {"name": call.name, "args": orjson.loads(call.arguments)}}
        for call in completion.tool_calls
    ]
    if parts and signs_calls(envelope.model):
        parts[0]["thoughtSignature"] = _signature(envelope, index)
    return parts


def _candidate(index: int, parts: list[dict[str, Any]], finish: str | None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
    if finish is not None:
        candidate["finishReason"] = finish
    candidate["index"] = index
    return candidate


def _usage(answer: Answer, model: str, *, final: bool) -> dict[str, Any]:
    usage: dict[str, Any] = {"promptTokenCount": answer.prompt_tokens}
    total = answer.prompt_tokens
    if final:
        usage["candidatesTokenCount"] = answer.completion_tokens
        total += answer.completion_tokens
        if thinks(model):
            usage["thoughtsTokenCount"] = answer.completion_tokens
            total += answer.completion_tokens
    usage["totalTokenCount"] = total
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": answer.prompt_tokens}]
    return usage


def _response(candidates: list[dict[str, Any]], usage: dict[str, Any], envelope: Envelope) -> dict[str, Any]:
    body: dict[str, Any] = {"candidates": candidates, "usageMetadata": usage, "modelVersion": envelope.model}
    if envelope.create_time is not None:
        body["createTime"] = envelope.create_time
    body["responseId"] = envelope.response_id
    return body


def response_body(answer: Answer, envelope: Envelope) -> dict[str, Any]:
    """A whole GenerateContentResponse, one candidate per choice."""
    candidates = []
    for index, completion in enumerate(answer.completions):
        if completion.text is not None:
            parts: list[dict[str, Any]] = [{"text": completion.text}]
        else:
            parts = _call_parts(completion, envelope, index)
        candidates.append(_candidate(index, parts, FINISH_REASONS[completion.stop_reason]))
    return _response(candidates, _usage(answer, envelope.model, final=True), envelope)


def _pieces(answer: Answer, envelope: Envelope) -> Iterable[tuple[dict[str, Any], bool]]:
    """Each streamed response and whether it carries a token (for pacing)."""
    partial = _usage(answer, envelope.model, final=False)
    last_choice = len(answer.completions) - 1
    for index, completion in enumerate(answer.completions):
        finish = FINISH_REASONS[completion.stop_reason]
        final = index == last_choice
        if completion.text is None:
            usage = _usage(answer, envelope.model, final=final)
            candidate = _candidate(index, _call_parts(completion, envelope, index), finish)
            yield _response([candidate], usage, envelope), True
            continue
        tokens = split_tokens(completion.text) or [""]
        for position, token in enumerate(tokens):
            done = position == len(tokens) - 1
            usage = _usage(answer, envelope.model, final=final) if done and final else partial
            candidate = _candidate(index, [{"text": token}], finish if done else None)
            yield _response([candidate], usage, envelope), True


def error_piece(status: dict[str, Any], sent: int, *, sse: bool) -> bytes:
    """The end of a stream that failed after `sent` pieces: the error envelope `status`, framed."""
    payload = orjson.dumps(status)
    if sse:
        return b"data: " + payload + b"\r\n\r\n"
    return (b"[" if sent == 0 else b",\r\n") + payload + ARRAY_TERMINATOR


def stream_frames(answer: Answer, envelope: Envelope, *, sse: bool) -> list[Frame]:
    """The stream's frames: SSE events, or the pieces of one JSON array."""
    frame: Callable[[bytes, int], bytes]
    if sse:

        def frame(payload: bytes, position: int) -> bytes:
            return b"data: " + payload + b"\r\n\r\n"

    else:

        def frame(payload: bytes, position: int) -> bytes:
            return (b"[" if position == 0 else b",\r\n") + payload

    return [
        Frame(frame(orjson.dumps(piece), position), token=token)
        for position, (piece, token) in enumerate(_pieces(answer, envelope))
    ]
