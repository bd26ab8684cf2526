"""Gemini's `countTokens`, on AI Studio and on Vertex AI: checked like a generate call, counted as its prompt.

AI Studio (`POST /v1beta/models/{model}:countTokens`) takes a
`CountTokensRequest` holding either `contents` (the conversation alone) or
`generateContentRequest` (a whole GenerateContentRequest, which must name its
`model` as `models/...`), never both. Vertex AI
(`.../publishers/google/models/{model}:countTokens`) takes `contents`,
`systemInstruction`, `tools`, `generationConfig` and an optional `model`;
`instances` (the form of the older PaLM models) is refused for Gemini, and
any other name (`toolConfig`, `safetySettings`, ...) is an unknown field.

Whatever is there goes through the generate call's own readers
(`gemini_request.py`, `gemini_contents.py`), so a request countTokens
accepts is one generateContent accepts too. The count is the prompt tokens
`answers.py` gives the same conversation, i.e. the `promptTokenCount` its
generate answer reports: `totalTokens`, with `promptTokensDetails` per
modality; Vertex AI adds `totalBillableCharacters` (the characters of the
text, whitespace left out, as Google bills them).
"""

from __future__ import annotations

from typing import Any

from aigw_fakeprovider.answers import IMAGE_TOKENS, Prompt, answer
from aigw_fakeprovider.gemini_contents import REQUEST_TYPE, parse_contents
from aigw_fakeprovider.gemini_fields import (
    AI_STUDIO_PACKAGE,
    VERTEX_PACKAGE,
    invalid_argument,
    parse_body,
    violation,
)
from aigw_fakeprovider.gemini_request import REQUEST_FIELDS, read_generate_request

COUNT_TYPE = "CountTokensRequest"
_AI_STUDIO_FIELDS = frozenset({"contents", "generateContentRequest"})
_VERTEX_FIELDS = frozenset(
    {"model", "instances", "contents", "systemInstruction", "tools", "generationConfig"}
)
_MODEL_PREFIXES = ("models/", "tunedModels/")


def parse_ai_studio_count(body: bytes, *, signatures_required: bool) -> Prompt:
    """The prompt of an AI Studio countTokens body; raises `GoogleError` with the API's wording."""
    request = parse_body(body, _AI_STUDIO_FIELDS, type_name=COUNT_TYPE, package=AI_STUDIO_PACKAGE)
    generate = request.message("generateContentRequest", REQUEST_FIELDS, REQUEST_TYPE)
    if generate is None:
        return Prompt(turns=parse_contents(request, vertex=False, signatures_required=signatures_required))
    if request.has("contents"):
        raise invalid_argument(
            "contents and generate_content_request are mutually exclusive: send the model's contents or a "
            "generate_content_request, never both."
        )
    name = generate.string("model")
    if not name or not name.startswith(_MODEL_PREFIXES):
        raise violation(COUNT_TYPE, generate.at("model"), "unexpected model name format")
    return read_generate_request(generate, vertex=False, signatures_required=signatures_required).prompt


def parse_vertex_count(body: bytes, *, signatures_required: bool) -> Prompt:
    """The prompt of a Vertex AI countTokens body; raises `GoogleError` with the API's wording."""
    request = parse_body(body, _VERTEX_FIELDS, type_name=COUNT_TYPE, package=VERTEX_PACKAGE)
    if request.has("instances"):
        raise invalid_argument("Gemini models count contents, not instances: send the request's contents.")
    return read_generate_request(request, vertex=True, signatures_required=signatures_required).prompt


def count_body(prompt: Prompt, *, vertex: bool) -> dict[str, Any]:
    """The `CountTokensResponse` for a prompt (Vertex AI's with its billable characters)."""
    total = answer(prompt).prompt_tokens
    image_tokens = IMAGE_TOKENS * sum(turn.images for turn in prompt.turns)
    details = [{"modality": "TEXT", "tokenCount": total - image_tokens}]
    if image_tokens:
        details.append({"modality": "IMAGE", "tokenCount": image_tokens})
    body: dict[str, Any] = {"totalTokens": total}
    if vertex:
        body["totalBillableCharacters"] = sum(len("".join(turn.text.split())) for turn in prompt.turns)
    body["promptTokensDetails"] = details
    return body
