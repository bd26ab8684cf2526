"""OpenAI embeddings through Cohere's `POST /v2/embed`.

- `input` (a string or a list of strings) becomes `texts`. Cohere embeds text
  (token arrays are refused) and takes at most `MAX_TEXTS` per call; one
  OpenAI request is one upstream call, so a longer batch is a 400 naming
  `input` rather than several calls whose partial failure could not be
  reported as one answer.
- `input_type` is required by Cohere's v3 and later models: it is
  `search_document` (text stored for retrieval, the usual reason to embed a
  batch) unless the request names another as the extra field `input_type`.
- `embedding_types` is always `["float"]`; `encoding_format: base64` is
  served from those floats as base64 of little-endian float32, as OpenAI
  encodes it.
- `dimensions` is `output_dimension`, which only embed-v4 and later take:
  for the v2/v3 families (`embed-english-*`, `embed-multilingual-*`) it goes
  through the unsupported-parameter policy.
- Cohere's `truncate` passes through as an extra; `user` is left out without
  a word; other extras go through the policy.
- Usage is `meta.billed_units.input_tokens`; vectors come back in the order
  of the texts, as `data[i].index`.
"""

from __future__ import annotations

import base64
import struct
from typing import Any

import orjson

from aigw_router.adapters._params import apply_policy, refuse_value
from aigw_router.adapters.base import CompletionResult, EmbeddingsCall, TokenUsage
from aigw_runtime.errors import UpstreamError

MAX_TEXTS = 96
DEFAULT_INPUT_TYPE = "search_document"
INPUT_TYPES = frozenset({"search_document", "search_query", "classification", "clustering"})
TRUNCATE_MODES = frozenset({"NONE", "START", "END"})
_KNOWN = frozenset({"model", "input", "encoding_format", "dimensions", "user", "input_type", "truncate"})
# Model families from before output_dimension existed.
_FIXED_SIZE_PREFIXES = ("embed-english-", "embed-multilingual-")


def _texts(value: Any) -> list[str]:
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        raise refuse_value("input", "Cohere embeds text: give 'input' as a string or a list of strings.")
    if len(texts) > MAX_TEXTS:
        raise refuse_value(
            "input", f"Cohere embeds at most {MAX_TEXTS} inputs per request; send smaller batches."
        )
    return texts


def _choice(request: dict[str, Any], name: str, allowed: frozenset[str]) -> str | None:
    value = request.get(name)
    if value is not None and value not in allowed:
        raise refuse_value(name, f"{name} must be one of {', '.join(sorted(allowed))}.")
    return value if isinstance(value, str) else None


def embed_body(call: EmbeddingsCall, provider: str) -> dict[str, Any]:
    """The `/v2/embed` body for an OpenAI embeddings request."""
    request = orjson.loads(call.body)
    unsupported = [name for name in request if name not in _KNOWN]
    if call.upstream_model.startswith(_FIXED_SIZE_PREFIXES):
        unsupported.append("dimensions")
    apply_policy(request, unsupported, provider, call.policy)
    body: dict[str, Any] = {
        "model": call.upstream_model,
        "texts": _texts(request.get("input")),
        "input_type": _choice(request, "input_type", INPUT_TYPES) or DEFAULT_INPUT_TYPE,
        "embedding_types": ["float"],
    }
    if request.get("dimensions") is not None:
        body["output_dimension"] = request["dimensions"]
    truncate = _choice(request, "truncate", TRUNCATE_MODES)
    if truncate is not None:
        body["truncate"] = truncate
    return body


def _vectors(provider: str, answer: dict[str, Any], expected: int) -> list[list[float]]:
    embeddings = answer.get("embeddings")
    floats = embeddings.get("float") if isinstance(embeddings, dict) else None
    if not isinstance(floats, list) or len(floats) != expected:
        raise UpstreamError(f"Provider {provider} sent a response without one float embedding per input.")
    vectors: list[list[float]] = []
    for vector in floats:
        if not isinstance(vector, list) or not all(
            isinstance(x, int | float) and not isinstance(x, bool) for x in vector
        ):
            raise UpstreamError(f"Provider {provider} sent an embedding that is not a list of numbers.")
        vectors.append([float(x) for x in vector])
    return vectors


def embeddings_result(provider: str, answer: dict[str, Any], call: EmbeddingsCall) -> CompletionResult:
    """OpenAI's embeddings `list` for a Cohere embed answer."""
    request = orjson.loads(call.body)
    inputs = request.get("input")
    expected = 1 if isinstance(inputs, str) else len(inputs) if isinstance(inputs, list) else 0
    as_base64 = request.get("encoding_format") == "base64"
    data = []
    for index, vector in enumerate(_vectors(provider, answer, expected)):
        encoded: Any = vector
        if as_base64:
            encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    meta = answer.get("meta")
    billed = meta.get("billed_units") if isinstance(meta, dict) else None
    count = billed.get("input_tokens") if isinstance(billed, dict) else None
    tokens = int(count) if isinstance(count, int | float) and not isinstance(count, bool) else 0
    body = {
        "object": "list",
        "data": data,
        "model": call.upstream_model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return CompletionResult(
        body=orjson.dumps(body), usage=TokenUsage(prompt_tokens=tokens, total_tokens=tokens)
    )
