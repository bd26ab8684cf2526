"""InvokeModel for Bedrock's embedding models: Titan Text Embeddings and Cohere Embed bodies.

Each family has its own body, validated as Bedrock validates model bodies
(a JSON schema; failures are `ValidationException`s worded
`Malformed input request: #/dimensions: 300 is not a valid enum value, ...`):

- Titan v1 (`amazon.titan-embed-text-v1`, `amazon.titan-embed-g1-text-02`):
  `{"inputText"}`, 1536 values.
- Titan v2 (`amazon.titan-embed-text-v2:0`): `inputText`, `dimensions`
  256/512/1024 (default 1024), `normalize`, `embeddingTypes`.
- Cohere Embed v3 (`cohere.embed-english-v3`, `cohere.embed-multilingual-v3`):
  `texts` (up to 96), `input_type` (required), `truncate`,
  `embedding_types`; 1024 values.
- Cohere Embed v4 (`cohere.embed-v4:0`): the same plus `output_dimension`
  256/512/1024/1536 (default 1536) and `max_tokens`.

A model is named by its id, an inference profile (`us.cohere.embed-v4:0`) or
an ARN. Vectors come from `vectors.py` (the same text, the same vector); the
fake serves `float` embeddings only, and says so for other types. Titan
answers `{"embedding", "inputTextTokenCount"}`; Cohere `{"id", "texts",
"embeddings", "response_type"}` (`embeddings_floats`, or
`embeddings_by_type` with `{"float": [...]}` when `embedding_types` was
given) and its token count in the `x-amzn-bedrock-input-token-count` header.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aigw_fakeprovider.answers import count_tokens
from aigw_fakeprovider.bedrock_shapes import extraneous_key, validation_error
from aigw_fakeprovider.errors import ProviderError
from aigw_fakeprovider.vectors import embedding_vector

_GEO_PREFIXES = ("us.", "eu.", "apac.", "us-gov.", "jp.", "au.", "ca.", "global.")
_COHERE_MAX_TEXTS = 96
_COHERE_MAX_CHARS = 2048
_INPUT_TYPES = ("search_document", "search_query", "classification", "clustering")


class Family(StrEnum):
    TITAN_V1 = "titan-v1"
    TITAN_V2 = "titan-v2"
    COHERE_V3 = "cohere-v3"
    COHERE_V4 = "cohere-v4"


@dataclass(frozen=True, slots=True)
class _Spec:
    fields: frozenset[str]
    dimensions: tuple[int, ...]
    """The sizes a request may ask for; the first is the default."""


_TITAN_V2_FIELDS = frozenset({"inputText", "dimensions", "normalize", "embeddingTypes"})
_COHERE_FIELDS = frozenset({"texts", "images", "input_type", "truncate", "embedding_types"})
_SPECS = {
    Family.TITAN_V1: _Spec(frozenset({"inputText"}), (1536,)),
    Family.TITAN_V2: _Spec(_TITAN_V2_FIELDS, (1024, 512, 256)),
    Family.COHERE_V3: _Spec(_COHERE_FIELDS, (1024,)),
    Family.COHERE_V4: _Spec(
        _COHERE_FIELDS | {"output_dimension", "max_tokens", "inputs"}, (1536, 1024, 512, 256)
    ),
}
_MODELS = {
    "amazon.titan-embed-text-v1": Family.TITAN_V1,
    "amazon.titan-embed-g1-text-02": Family.TITAN_V1,
    "amazon.titan-embed-text-v2:0": Family.TITAN_V2,
    "cohere.embed-english-v3": Family.COHERE_V3,
    "cohere.embed-multilingual-v3": Family.COHERE_V3,
    "cohere.embed-v4:0": Family.COHERE_V4,
}


@dataclass(frozen=True, slots=True)
class Embedded:
    """An InvokeModel answer: its JSON body and the input tokens Bedrock reports in a header."""

    body: dict[str, Any]
    input_tokens: int


def family_of(model: str) -> Family | None:
    """The embedding family a model id, inference profile or ARN names (None: not one served here)."""
    base = model.rsplit("/", 1)[-1]
    for prefix in _GEO_PREFIXES:
        if base.startswith(prefix):
            base = base.removeprefix(prefix)
            break
    return _MODELS.get(base)


def _malformed(pointer: str, problem: str) -> ProviderError:
    return validation_error(
        f"Malformed input request: #{pointer}: {problem}, please reformat your input and try again."
    )


def _typed(body: Mapping[str, Any], name: str, kind: type, label: str) -> Any:
    value = body.get(name)
    if value is not None and (not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool)):
        raise _malformed(f"/{name}", f"expected type: {label}, found: {type(value).__name__}")
    return value


def _choice(body: Mapping[str, Any], name: str, allowed: Sequence[Any]) -> Any:
    value = body.get(name)
    if value is not None and value not in allowed:
        raise _malformed(f"/{name}", f"{value} is not a valid enum value")
    return value


def _float_only(body: Mapping[str, Any], name: str) -> bool:
    """Whether embedding types were asked for; only `float` is served."""
    types = _typed(body, name, list, "JSONArray")
    if types is None:
        return False
    for index, kind in enumerate(types):
        if kind != "float":
            raise _malformed(f"/{name}/{index}", f"{kind} is not an embedding type this fake serves (float)")
    return True


def _titan(family: Family, body: Mapping[str, Any], spec: _Spec) -> Embedded:
    if "inputText" not in body:
        raise _malformed("", "required key [inputText] not found")
    text = _typed(body, "inputText", str, "String")
    if not text:
        raise _malformed("/inputText", "expected minLength: 1, actual: 0")
    _typed(body, "normalize", bool, "Boolean")
    dimensions = _choice(body, "dimensions", spec.dimensions) or spec.dimensions[0]
    by_type = _float_only(body, "embeddingTypes") if family is Family.TITAN_V2 else False
    vector = embedding_vector(text, dimensions)
    tokens = count_tokens(text)
    answer: dict[str, Any] = {"embedding": vector, "inputTextTokenCount": tokens}
    if by_type:
        answer["embeddingsByType"] = {"float": vector}
    return Embedded(answer, tokens)


def _cohere(family: Family, body: Mapping[str, Any], spec: _Spec) -> Embedded:
    if "input_type" not in body:
        raise _malformed("", "required key [input_type] not found")
    _choice(body, "input_type", _INPUT_TYPES)
    _choice(
        body,
        "truncate",
        ("NONE", "LEFT", "RIGHT") if family is Family.COHERE_V4 else ("NONE", "START", "END"),
    )
    if body.get("images") is not None or body.get("inputs") is not None:
        raise _malformed("", "this fake embeds texts only")
    texts = _typed(body, "texts", list, "JSONArray")
    if texts is None:
        raise _malformed("", "required key [texts] not found")
    if len(texts) > _COHERE_MAX_TEXTS:
        raise _malformed("/texts", f"expected maximum item count: {_COHERE_MAX_TEXTS}, found: {len(texts)}")
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise _malformed(f"/texts/{index}", f"expected type: String, found: {type(text).__name__}")
        if family is Family.COHERE_V3 and len(text) > _COHERE_MAX_CHARS:
            raise _malformed(
                f"/texts/{index}", f"expected maxLength: {_COHERE_MAX_CHARS}, actual: {len(text)}"
            )
    dimensions = spec.dimensions[0]
    if family is Family.COHERE_V4:
        dimensions = _choice(body, "output_dimension", spec.dimensions) or dimensions
        _typed(body, "max_tokens", int, "Integer")
    by_type = _float_only(body, "embedding_types")
    vectors = [embedding_vector(text, dimensions) for text in texts]
    answer: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "texts": texts,
        "embeddings": {"float": vectors} if by_type else vectors,
        "response_type": "embeddings_by_type" if by_type else "embeddings_floats",
    }
    return Embedded(answer, sum(count_tokens(text) for text in texts))


def embed(model: str, body: Any) -> Embedded:
    """The InvokeModel answer of an embedding model; raises a ValidationException for a bad body."""
    family = family_of(model)
    if family is None:
        raise validation_error(
            f"The model {model} is not an embedding model this fake serves with InvokeModel "
            "(Titan text or Cohere Embed)."
        )
    if not isinstance(body, dict):
        raise _malformed("", f"expected type: JSONObject, found: {type(body).__name__}")
    spec = _SPECS[family]
    for name in body:
        if name not in spec.fields:
            raise extraneous_key("", name)
    if family in (Family.TITAN_V1, Family.TITAN_V2):
        return _titan(family, body, spec)
    return _cohere(family, body, spec)
