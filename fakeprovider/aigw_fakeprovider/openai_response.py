"""OpenAI's response bodies and stream chunks, built from protocol-neutral answers.

Shapes follow real captures: a completion carries `id`, `object`, `created`,
`model`, `choices` (index, message with `refusal: null`, `logprobs: null`,
`finish_reason`), `usage` and `system_fingerprint`. A stream opens each choice
with a role delta, sends one chunk per token (tool-call arguments in
fragments that concatenate to the JSON), closes with an empty delta carrying
`finish_reason`, and with `include_usage` adds `"usage": null` to every chunk
and a final chunk with `choices: []` and the usage.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from aigw_fakeprovider.answers import Answer, Completion, StopReason, ToolCall, split_tokens
from aigw_fakeprovider.delivery import Frame
from aigw_fakeprovider.errors import ProviderError
from aigw_fakeprovider.openai_request import EmbeddingRequest
from aigw_fakeprovider.vectors import embedding_vector, encode_base64

SYSTEM_FINGERPRINT = "fp_fa4e0b0001"
DONE = b"data: [DONE]\n\n"

_FINISH_REASON = {
    StopReason.END: "stop",
    StopReason.STOP_SEQUENCE: "stop",
    StopReason.MAX_TOKENS: "length",
    StopReason.TOOL_USE: "tool_calls",
}


@dataclass(frozen=True, slots=True)
class Envelope:
    """What every body or chunk of one completion repeats."""

    id: str
    created: int
    model: str


def new_envelope(model: str, now: float) -> Envelope:
    """A fresh completion's envelope: a new `chatcmpl-` id, created `now` (Unix seconds)."""
    return Envelope(id=f"chatcmpl-{uuid.uuid4().hex[:29]}", created=int(now), model=model)


def error_body(error: ProviderError) -> dict[str, Any]:
    return {
        "error": {
            "message": error.message,
            "type": error.error_type,
            "param": error.param,
            "code": error.code,
        }
    }


def error_event(error: ProviderError) -> bytes:
    """An error inside a stream: a `data:` event holding the error envelope (OpenAI's SDK raises APIError)."""
    return b"data: " + orjson.dumps(error_body(error)) + b"\n\n"


def usage_body(answer: Answer) -> dict[str, Any]:
    completion = answer.completion_tokens
    return {
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": answer.prompt_tokens + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _tool_call_body(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}


def _message(completion: Completion) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": completion.text}
    if completion.tool_calls:
        message["tool_calls"] = [_tool_call_body(call) for call in completion.tool_calls]
    message["refusal"] = None
    return message


def completion_body(answer: Answer, envelope: Envelope) -> dict[str, Any]:
    """A `chat.completion` object."""
    return {
        "id": envelope.id,
        "object": "chat.completion",
        "created": envelope.created,
        "model": envelope.model,
        "choices": [
            {
                "index": index,
                "message": _message(completion),
                "logprobs": None,
                "finish_reason": _FINISH_REASON[completion.stop_reason],
            }
            for index, completion in enumerate(answer.completions)
        ],
        "usage": usage_body(answer),
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }


def _choice_deltas(completion: Completion) -> list[tuple[dict[str, Any], bool]]:
    """(delta, is a token) for one choice, from the role delta to the last token."""
    if completion.text is not None:
        opening: dict[str, Any] = {"role": "assistant", "content": "", "refusal": None}
        return [(opening, False), *(({"content": token}, True) for token in split_tokens(completion.text))]
    calls = completion.tool_calls
    deltas: list[tuple[dict[str, Any], bool]] = []
    if len(calls) > 1:
        deltas.append(({"role": "assistant", "content": None}, False))
    for index, call in enumerate(calls):
        header = {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        if len(calls) == 1:
            deltas.append(
                ({"role": "assistant", "content": None, "tool_calls": [header], "refusal": None}, False)
            )
        else:
            deltas.append(({"tool_calls": [header]}, False))
        for fragment in split_tokens(call.arguments):
            deltas.append(({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}, True))
    return deltas


def stream_frames(answer: Answer, envelope: Envelope, *, include_usage: bool) -> list[Frame]:
    """The `data:` events of a streamed completion, choices interleaved, without `[DONE]`."""

    def chunk(choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> bytes:
        body: dict[str, Any] = {
            "id": envelope.id,
            "object": "chat.completion.chunk",
            "created": envelope.created,
            "model": envelope.model,
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": choices,
        }
        if include_usage:
            body["usage"] = usage
        return b"data: " + orjson.dumps(body) + b"\n\n"

    per_choice = []
    for index, completion in enumerate(answer.completions):
        steps = [
            Frame(chunk([{"index": index, "delta": delta, "logprobs": None, "finish_reason": None}]), token)
            for delta, token in _choice_deltas(completion)
        ]
        finish = _FINISH_REASON[completion.stop_reason]
        steps.append(Frame(chunk([{"index": index, "delta": {}, "logprobs": None, "finish_reason": finish}])))
        per_choice.append(steps)
    frames = [frame for group in itertools.zip_longest(*per_choice) for frame in group if frame is not None]
    if include_usage:
        frames.append(Frame(chunk([], usage_body(answer))))
    return frames


def default_dimensions(model: str) -> int:
    """The vector size of an embedding model when the request asks for none."""
    return 3072 if "large" in model else 1536


def embeddings_body(embedding: EmbeddingRequest) -> dict[str, Any]:
    """A `list` of `embedding` objects, vectors as floats or base64 float32."""
    dimensions = embedding.dimensions or default_dimensions(embedding.model)
    base64 = embedding.encoding_format == "base64"
    data = []
    for index, text in enumerate(embedding.inputs):
        vector = embedding_vector(text, dimensions)
        data.append(
            {"object": "embedding", "index": index, "embedding": encode_base64(vector) if base64 else vector}
        )
    tokens = embedding.input_tokens
    return {
        "object": "list",
        "data": data,
        "model": embedding.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
