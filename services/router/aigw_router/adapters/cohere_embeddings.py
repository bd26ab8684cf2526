"""OpenAI embeddings through Cohere's `POST /v2/embed`.

- `input` (a string or a list of strings) becomes `texts`. Cohere embeds text
  (token arrays are refused) and takes at most `MAX_TEXTS` per request: a
  larger batch (up to OpenAI's 2048) is sent as several requests of at most
  `MAX_TEXTS` texts each, and their vectors come back as one list.
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
- Usage is the sum of each answer's `meta.billed_units.input_tokens`; vectors
  come back in the order of the texts, as `data[i].index`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from aigw_router.adapters._embeddings import embedding_list, token_count
from aigw_router.adapters._params import apply_policy, refuse_value
from aigw_router.adapters.base import CompletionResult, EmbeddingsCall, UpstreamAnswer
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
    return texts


def _choice(request: dict[str, Any], name: str, allowed: frozenset[str]) -> str | None:
    value = request.get(name)
    if value is not None and value not in allowed:
        raise refuse_value(name, f"{name} must be one of {', '.join(sorted(allowed))}.")
    return value if isinstance(value, str) else None


def embed_body(call: EmbeddingsCall, provider: str) -> dict[str, Any]:
    """The `/v2/embed` body for an OpenAI embeddings request of at most `MAX_TEXTS` inputs."""
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


def _read(provider: str, answer: UpstreamAnswer) -> tuple[list[Any], int]:
    try:
        body = orjson.loads(answer.content)
    except orjson.JSONDecodeError:
        raise UpstreamError(f"Provider {provider} sent a response that is not JSON.") from None
    embeddings = body.get("embeddings") if isinstance(body, dict) else None
    floats = embeddings.get("float") if isinstance(embeddings, dict) else None
    if not isinstance(floats, list):
        raise UpstreamError(f"Provider {provider} sent a response without float embeddings.")
    meta = body.get("meta")
    billed = meta.get("billed_units") if isinstance(meta, dict) else None
    return floats, token_count(billed.get("input_tokens") if isinstance(billed, dict) else None)


def embeddings_result(
    provider: str, answers: Sequence[UpstreamAnswer], call: EmbeddingsCall
) -> CompletionResult:
    """OpenAI's embeddings `list` for the Cohere embed answers to the parts of `call`."""
    return embedding_list(provider, call, answers, MAX_TEXTS, lambda answer: _read(provider, answer))
