"""What the translating embeddings adapters share: cutting a batch into parts, assembling OpenAI's list.

A provider that takes fewer inputs per request than OpenAI does has its
batches cut into parts of at most its limit (`split_inputs`); the answers to
the parts, read by the adapter, become one OpenAI `list` in input order, with
`index` 0..n-1, vectors as floats or as base64 of little-endian float32
(`encoding_format: base64`, as OpenAI encodes them), and the token counts
summed (`embedding_list`).
"""

from __future__ import annotations

import base64
import dataclasses
import struct
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from aigw_router.adapters._params import refuse_value
from aigw_router.adapters.base import CompletionResult, EmbeddingsCall, TokenUsage, UpstreamAnswer
from aigw_runtime.errors import UpstreamError

# OpenAI's own ceiling on one request, kept for every provider whatever its per-request limit.
MAX_INPUTS = 2048

# One answer's vectors (as the provider sent them, checked here) and its input token count.
PartReader = Callable[[UpstreamAnswer], tuple[list[Any], int]]


def _inputs(request: Any) -> list[Any] | None:
    """The request's inputs when it holds several, else None (a string, or one token array, is one)."""
    inputs = request.get("input") if isinstance(request, dict) else None
    if not isinstance(inputs, list) or not inputs or isinstance(inputs[0], int):
        return None
    return inputs


def _sizes(count: int, limit: int) -> list[int]:
    return [min(limit, count - start) for start in range(0, count, limit)] or [count]


def split_inputs(call: EmbeddingsCall, limit: int) -> list[EmbeddingsCall]:
    """`call` cut into parts of at most `limit` inputs, in order; `[call]` itself when it fits.

    Every other field of the request is the same in each part. More than
    `MAX_INPUTS` inputs is a 400 naming `input`.
    """
    request = orjson.loads(call.body)
    inputs = _inputs(request)
    if inputs is None:
        return [call]
    if len(inputs) > MAX_INPUTS:
        raise refuse_value(
            "input", f"A request embeds at most {MAX_INPUTS} inputs, not {len(inputs)}; send smaller batches."
        )
    if len(inputs) <= limit:
        return [call]
    return [
        dataclasses.replace(call, body=orjson.dumps({**request, "input": inputs[start : start + limit]}))
        for start in range(0, len(inputs), limit)
    ]


def _vector(value: Any, provider: str) -> list[Any]:
    if not isinstance(value, list) or not all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in value
    ):
        raise UpstreamError(f"Provider {provider} sent an embedding that is not a list of numbers.")
    return value


def embedding_list(
    provider: str,
    call: EmbeddingsCall,
    answers: Sequence[UpstreamAnswer],
    limit: int,
    read: PartReader,
) -> CompletionResult:
    """OpenAI's `list` for `call`, from the answers to the parts `split_inputs(call, limit)` made.

    Each answer must carry one vector per input of its part: anything else is
    a 502, never a list whose indexes point at the wrong inputs.
    """
    request = orjson.loads(call.body)
    inputs = _inputs(request)
    sizes = _sizes(len(inputs), limit) if inputs is not None else [1]
    if len(answers) != len(sizes):
        raise UpstreamError(f"Provider {provider} answered {len(answers)} requests of {len(sizes)}.")
    as_base64 = request.get("encoding_format") == "base64"
    data: list[dict[str, Any]] = []
    tokens = 0
    for answer, size in zip(answers, sizes, strict=True):
        vectors, part_tokens = read(answer)
        if len(vectors) != size:
            raise UpstreamError(
                f"Provider {provider} sent {len(vectors)} embeddings for a request of {size} inputs."
            )
        tokens += part_tokens
        for value in vectors:
            vector = _vector(value, provider)
            encoded: Any = vector
            if as_base64:
                encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
            data.append({"object": "embedding", "index": len(data), "embedding": encoded})
    body = {
        "object": "list",
        "data": data,
        "model": call.upstream_model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return CompletionResult(
        body=orjson.dumps(body), usage=TokenUsage(prompt_tokens=tokens, total_tokens=tokens)
    )


def token_count(value: Any) -> int:
    """A token count from a provider's answer (a JSON number or a header's text), or 0 without one."""
    if isinstance(value, str):
        value = int(value) if value.strip().isdigit() else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return int(value)
    return 0
