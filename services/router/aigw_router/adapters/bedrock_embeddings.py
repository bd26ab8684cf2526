"""OpenAI embeddings on Bedrock: InvokeModel bodies for Titan and Cohere embedding models.

Bedrock has no common embeddings API: each model family takes its own
InvokeModel body (`POST /model/{modelId}/invoke`), chosen here from the
model id (an inference-profile or ARN id must still name the model).

- Titan text embeddings (`amazon.titan-embed-text-v1`, `-v2:0`) embed one text
  per request: `{"inputText": ...}`. One OpenAI request is one upstream
  request, so a batch of more than one input is a 400 naming `input`.
  `dimensions` (v2 only: 256, 512 or 1024) passes as `dimensions`.
- Cohere Embed (`cohere.embed-english-v3`, `-multilingual-v3`, `cohere.embed-v4:0`)
  takes up to 96 `texts` and needs an `input_type`: `search_document` unless
  the request names another as the extra field `input_type`. `dimensions`
  (v4 only: 256, 512, 1024 or 1536) passes as `output_dimension`.

Token arrays are refused (both families embed text). Vectors come back as
OpenAI's floats, or base64 of little-endian float32 for `encoding_format:
base64`. Titan reports its token count; Cohere's answer carries none in its
body, so its usage is zero.
"""

from __future__ import annotations

import base64
import struct
from enum import StrEnum
from typing import Any

import orjson

from aigw_router.adapters._params import apply_policy, refuse_value
from aigw_router.adapters.base import CompletionResult, EmbeddingsCall, TokenUsage
from aigw_runtime.errors import InvalidRequestError, UpstreamError

_COHERE_MAX_TEXTS = 96
_INPUT_TYPES = frozenset({"search_document", "search_query", "classification", "clustering"})
_BASE_FIELDS = frozenset({"model", "input", "encoding_format", "dimensions", "user"})


class EmbeddingFamily(StrEnum):
    TITAN_V1 = "titan-v1"
    TITAN_V2 = "titan-v2"
    COHERE_V3 = "cohere-v3"
    COHERE_V4 = "cohere-v4"

    @property
    def dimensions(self) -> frozenset[int]:
        """The `dimensions` values the family accepts (none: it has one fixed size)."""
        return _DIMENSIONS.get(self, frozenset())


_DIMENSIONS = {
    EmbeddingFamily.TITAN_V2: frozenset({256, 512, 1024}),
    EmbeddingFamily.COHERE_V4: frozenset({256, 512, 1024, 1536}),
}


def embedding_family(model: str) -> EmbeddingFamily | None:
    """The embedding model family a Bedrock model id (or ARN) names, if one this adapter speaks."""
    if "titan-embed-text-v2" in model:
        return EmbeddingFamily.TITAN_V2
    if "titan-embed-text-v1" in model or "titan-embed-g1-text" in model:
        return EmbeddingFamily.TITAN_V1
    if "cohere.embed-v4" in model:
        return EmbeddingFamily.COHERE_V4
    if "cohere.embed-" in model:
        return EmbeddingFamily.COHERE_V3
    return None


def _family(model: str) -> EmbeddingFamily:
    family = embedding_family(model)
    if family is None:
        raise InvalidRequestError(
            f"Bedrock model {model} is not a Titan text or Cohere embedding model this gateway can call.",
            param="model",
            code="unsupported_model",
        )
    return family


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return value
    raise refuse_value("input", "Bedrock embeds text: give 'input' as a string or a list of strings.")


def embeddings_body(call: EmbeddingsCall, provider: str) -> bytes:
    """The InvokeModel body for an OpenAI embeddings request."""
    family = _family(call.upstream_model)
    request = orjson.loads(call.body)
    cohere = family in (EmbeddingFamily.COHERE_V3, EmbeddingFamily.COHERE_V4)
    known = _BASE_FIELDS | ({"input_type"} if cohere else set())
    unsupported = [name for name in request if name not in known]
    if not family.dimensions:
        unsupported.append("dimensions")
    apply_policy(request, unsupported, provider, call.policy)
    texts = _texts(request.get("input"))
    dimensions = request.get("dimensions")
    if dimensions is not None and dimensions not in family.dimensions:
        sizes = ", ".join(str(size) for size in sorted(family.dimensions))
        raise refuse_value("dimensions", f"Model {call.upstream_model} takes dimensions of {sizes}.")
    if not cohere:
        if len(texts) > 1:
            raise refuse_value(
                "input",
                "Titan embeddings on Bedrock take one input per request; send the inputs one at a time.",
            )
        titan: dict[str, Any] = {"inputText": texts[0]}
        if dimensions is not None:
            titan["dimensions"] = dimensions
        return orjson.dumps(titan)
    if len(texts) > _COHERE_MAX_TEXTS:
        raise refuse_value("input", f"Cohere embeddings on Bedrock take at most {_COHERE_MAX_TEXTS} inputs.")
    input_type = request.get("input_type") or "search_document"
    if input_type not in _INPUT_TYPES:
        raise refuse_value("input_type", f"input_type must be one of {', '.join(sorted(_INPUT_TYPES))}.")
    body: dict[str, Any] = {"texts": texts, "input_type": input_type}
    if family is EmbeddingFamily.COHERE_V4:
        body["embedding_types"] = ["float"]
        if dimensions is not None:
            body["output_dimension"] = dimensions
    return orjson.dumps(body)


def _vectors(answer: dict[str, Any]) -> list[Any]:
    if "embedding" in answer:
        return [answer["embedding"]]
    embeddings = answer.get("embeddings")
    # Asked for embedding_types, Cohere answers {"float": [...]}; otherwise a plain list.
    if isinstance(embeddings, dict):
        embeddings = embeddings.get("float")
    return embeddings if isinstance(embeddings, list) else []


def _vector(value: Any, provider: str) -> list[float]:
    if not isinstance(value, list) or not all(isinstance(x, int | float) for x in value):
        raise UpstreamError(f"Provider {provider} sent an embedding that is not a list of numbers.")
    return [float(x) for x in value]


def embeddings_result(provider: str, answer: dict[str, Any], call: EmbeddingsCall) -> CompletionResult:
    """OpenAI's embeddings `list` for a Titan or Cohere answer."""
    vectors = [_vector(value, provider) for value in _vectors(answer)]
    if not vectors:
        raise UpstreamError(f"Provider {provider} sent a response without embeddings.")
    as_base64 = orjson.loads(call.body).get("encoding_format") == "base64"
    data = []
    for index, vector in enumerate(vectors):
        encoded: Any = vector
        if as_base64:
            encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    count = answer.get("inputTextTokenCount")
    tokens = count if isinstance(count, int) and count > 0 else 0
    body = {
        "object": "list",
        "data": data,
        "model": call.upstream_model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return CompletionResult(
        body=orjson.dumps(body), usage=TokenUsage(prompt_tokens=tokens, total_tokens=tokens)
    )
