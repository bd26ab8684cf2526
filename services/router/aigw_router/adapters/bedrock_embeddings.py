"""OpenAI embeddings on Bedrock: InvokeModel bodies for Titan and Cohere embedding models.

Bedrock has no common embeddings API: each model family takes its own
InvokeModel body (`POST /model/{modelId}/invoke`), chosen here from the
model id (an inference-profile or ARN id must still name the model).

- Titan text embeddings (`amazon.titan-embed-text-v1`, `-v2:0`) embed one text
  per request: `{"inputText": ...}`, so a batch is sent as one request per
  input. `dimensions` (v2 only: 256, 512 or 1024) passes as `dimensions`.
- Cohere Embed (`cohere.embed-english-v3`, `-multilingual-v3`, `cohere.embed-v4:0`)
  takes up to 96 `texts` per request (a larger batch is sent as several) and
  needs an `input_type`: `search_document` unless the request names another
  as the extra field `input_type`. `dimensions` (v4 only: 256, 512, 1024 or
  1536) passes as `output_dimension`.

Token arrays are refused (both families embed text). Vectors come back as
OpenAI's floats, or base64 of little-endian float32 for `encoding_format:
base64`, one list in input order whatever the number of requests. Usage is
the sum of Bedrock's `x-amzn-bedrock-input-token-count` response header over
the requests (Cohere's body carries no count; the header is Bedrock's own,
sent for every model that reports one), or Titan's `inputTextTokenCount`
when the header is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import orjson

from aigw_router.adapters._embeddings import embedding_list, split_inputs, token_count
from aigw_router.adapters._params import apply_policy, refuse_value
from aigw_router.adapters._responses import json_object
from aigw_router.adapters.base import CompletionResult, EmbeddingsCall, UpstreamAnswer
from aigw_runtime.errors import InvalidRequestError, UpstreamError

_COHERE_MAX_TEXTS = 96
TOKEN_COUNT_HEADER = "x-amzn-bedrock-input-token-count"
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

    @property
    def cohere(self) -> bool:
        return self in (EmbeddingFamily.COHERE_V3, EmbeddingFamily.COHERE_V4)

    @property
    def texts_per_request(self) -> int:
        return _COHERE_MAX_TEXTS if self.cohere else 1


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


def embeddings_parts(call: EmbeddingsCall) -> list[EmbeddingsCall]:
    """The call cut into parts the model takes in one InvokeModel request each."""
    return split_inputs(call, _family(call.upstream_model).texts_per_request)


def embeddings_body(call: EmbeddingsCall, provider: str) -> bytes:
    """The InvokeModel body for one part of an OpenAI embeddings request (see `embeddings_parts`)."""
    family = _family(call.upstream_model)
    request = orjson.loads(call.body)
    cohere = family.cohere
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
        (text,) = texts  # embeddings_parts gives Titan one text per part
        titan: dict[str, Any] = {"inputText": text}
        if dimensions is not None:
            titan["dimensions"] = dimensions
        return orjson.dumps(titan)
    input_type = request.get("input_type") or "search_document"
    if input_type not in _INPUT_TYPES:
        raise refuse_value("input_type", f"input_type must be one of {', '.join(sorted(_INPUT_TYPES))}.")
    body: dict[str, Any] = {"texts": texts, "input_type": input_type}
    if family is EmbeddingFamily.COHERE_V4:
        body["embedding_types"] = ["float"]
        if dimensions is not None:
            body["output_dimension"] = dimensions
    return orjson.dumps(body)


def _read(provider: str, answer: UpstreamAnswer) -> tuple[list[Any], int]:
    body = json_object(provider, answer.content)
    # Bedrock's own count when it sent one; Titan also has it in its body.
    header = token_count(answer.headers.get(TOKEN_COUNT_HEADER))
    tokens = header or token_count(body.get("inputTextTokenCount"))
    if "embedding" in body:
        return [body["embedding"]], tokens
    embeddings = body.get("embeddings")
    # Asked for embedding_types, Cohere answers {"float": [...]}; otherwise a plain list.
    if isinstance(embeddings, dict):
        embeddings = embeddings.get("float")
    if not isinstance(embeddings, list):
        raise UpstreamError(f"Provider {provider} sent a response without embeddings.")
    return embeddings, tokens


def embeddings_result(
    provider: str, answers: Sequence[UpstreamAnswer], call: EmbeddingsCall
) -> CompletionResult:
    """OpenAI's embeddings `list` for the Titan or Cohere answers to the parts of `call`."""
    limit = _family(call.upstream_model).texts_per_request
    return embedding_list(provider, call, answers, limit, lambda answer: _read(provider, answer))
