"""Embeddings the Google way: AI Studio's `embedContent` and `batchEmbedContents`, Vertex AI's `predict`.

AI Studio: an `EmbedContentRequest` is `content` (text parts only), an
optional `taskType`, a `title` (only for RETRIEVAL_DOCUMENT) and
`outputDimensionality`; a batch holds at most 100, each naming the batch's
model (`models/<model>`). Answers: `{"embedding": {"values"}}`, or
`{"embeddings": [...]}` in the order asked. No token counts.

Vertex AI: `instances` of `{content, task_type, title}` (at most 250, and only
one for the gemini-embedding models) and `parameters` (`autoTruncate`,
`outputDimensionality`); each prediction carries its `statistics.token_count`.

Vectors come from `vectors.py`: the same text gives the same vector, and a
smaller dimensionality is the renormalised prefix of the full one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aigw_fakeprovider.answers import count_tokens
from aigw_fakeprovider.gemini_fields import Message, invalid_argument, parse_body, violation
from aigw_fakeprovider.vectors import embedding_vector

TASK_TYPES = (
    "TASK_TYPE_UNSPECIFIED", "RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY",
    "CLASSIFICATION", "CLUSTERING", "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY",
)  # fmt: skip
_EMBED_FIELDS = frozenset({"model", "content", "taskType", "title", "outputDimensionality"})
_CONTENT_FIELDS = frozenset({"role", "parts"})
_PART_FIELDS = frozenset({"text", "inlineData", "fileData"})
_MAX_BATCH = 100
_MAX_INSTANCES = 250
_INSTANCE_FIELDS = frozenset({"content", "task_type", "title"})
_PARAMETER_FIELDS = frozenset({"autoTruncate", "outputDimensionality"})


def full_dimensions(model: str) -> int:
    """The model's native embedding size."""
    return 3072 if model.startswith("gemini-embedding") else 768


def is_embedding_model(model: str) -> bool:
    return "embedding" in model


@dataclass(frozen=True, slots=True)
class EmbedRequest:
    text: str
    dimensions: int


def _dimensions(value: int | None, model: str, request_type: str, path: str) -> int:
    full = full_dimensions(model)
    if value is None:
        return full
    if not 1 <= value <= full:
        raise violation(request_type, path, f"output_dimensionality must be between 1 and {full}")
    return value


def _embed_request(request: Message, model: str, request_type: str) -> EmbedRequest:
    content = request.message("content", _CONTENT_FIELDS, "Content")
    if content is None:
        raise violation(request_type, request.at("content"), "content is not specified")
    texts: list[str] = []
    for part in content.messages("parts", _PART_FIELDS, "Part"):
        text = part.string("text")
        if text is None:
            raise invalid_argument("Only text parts can be embedded by this model.")
        texts.append(text)
    if not "".join(texts).strip():
        raise violation(request_type, content.at("parts"), "content must have non-empty text")
    task = request.enum("taskType", TASK_TYPES, "TaskType")
    if request.string("title") and task != "RETRIEVAL_DOCUMENT":
        raise invalid_argument("Title is only applicable when task type is RETRIEVAL_DOCUMENT.")
    where = request.at("outputDimensionality")
    dimensions = _dimensions(request.integer("outputDimensionality"), model, request_type, where)
    return EmbedRequest(" ".join(texts), dimensions)


def parse_embed_content(body: bytes, model: str, package: str) -> EmbedRequest:
    request = parse_body(body, _EMBED_FIELDS, type_name="EmbedContentRequest", package=package)
    _check_model(request, model, "EmbedContentRequest")
    return _embed_request(request, model, "EmbedContentRequest")


def parse_batch_embed(body: bytes, model: str, package: str) -> list[EmbedRequest]:
    batch = parse_body(body, {"requests"}, type_name="BatchEmbedContentsRequest", package=package)
    requests = batch.messages("requests", _EMBED_FIELDS, "EmbedContentRequest")
    if not requests:
        raise violation("BatchEmbedContentsRequest", "requests", "requests is not specified")
    if len(requests) > _MAX_BATCH:
        raise violation(
            "BatchEmbedContentsRequest", "requests", f"at most {_MAX_BATCH} requests can be in one batch"
        )
    for request in requests:
        if not request.has("model"):
            raise violation("BatchEmbedContentsRequest", request.at("model"), "model is not specified")
        _check_model(request, model, "BatchEmbedContentsRequest")
    return [_embed_request(request, model, "BatchEmbedContentsRequest") for request in requests]


def _check_model(request: Message, model: str, request_type: str) -> None:
    named = request.string("model")
    if named is not None and named != f"models/{model}":
        raise violation(
            request_type,
            request.at("model"),
            f"the model must be models/{model}, the model of the request path",
        )


def embedding_body(request: EmbedRequest) -> dict[str, Any]:
    return {"embedding": {"values": embedding_vector(request.text, request.dimensions)}}


def batch_body(requests: list[EmbedRequest]) -> dict[str, Any]:
    return {"embeddings": [embedding_body(request)["embedding"] for request in requests]}


def parse_predict(body: bytes, model: str, package: str) -> list[EmbedRequest]:
    """Vertex AI's `predict` on a text-embedding model."""
    request = parse_body(body, {"instances", "parameters"}, type_name="PredictRequest", package=package)
    instances = request.values.get("instances")
    if not isinstance(instances, list) or not instances:
        raise violation("PredictRequest", "instances", "instances is not specified")
    limit = 1 if model.startswith("gemini-embedding") else _MAX_INSTANCES
    if len(instances) > limit:
        raise invalid_argument(
            f"Unable to submit request because {model} takes at most {limit} instance"
            f"{'s' if limit > 1 else ''} per request."
        )
    parameters = request.message("parameters", _PARAMETER_FIELDS, "Struct")
    dimensions = parameters.integer("outputDimensionality") if parameters else None
    if parameters:
        parameters.boolean("autoTruncate")
    size = _dimensions(dimensions, model, "PredictRequest", "parameters.output_dimensionality")
    texts: list[str] = []
    for index, value in enumerate(instances):
        instance = Message(
            value, f"instances[{index}]", _INSTANCE_FIELDS, type_name="Struct", package=package
        )
        text = instance.string("content")
        if not text:
            raise violation("PredictRequest", instance.at("content"), "content must be a non-empty string")
        instance.string("task_type")
        instance.string("title")
        texts.append(text)
    return [EmbedRequest(text, size) for text in texts]


def predict_body(requests: list[EmbedRequest]) -> dict[str, Any]:
    predictions = [
        {
            "embeddings": {
                "statistics": {"truncated": False, "token_count": count_tokens(request.text)},
                "values": embedding_vector(request.text, request.dimensions),
            }
        }
        for request in requests
    ]
    characters = sum(len(request.text) for request in requests)
    return {"predictions": predictions, "metadata": {"billableCharacterCount": characters}}
