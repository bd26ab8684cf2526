"""Validating a `GenerateContentRequest` (AI Studio or Vertex AI) and turning it into a neutral prompt.

Top-level fields are those of the API reference (Vertex AI adds `labels`
and `modelArmorConfig`); any other name is refused, as are unknown fields at
any depth (see `gemini_fields.py`). Contents and their turn rules are in
`gemini_contents.py`, schemas in `gemini_schema.py`.

Tools: function declarations (names as the API allows them, no duplicates,
`parameters` an OBJECT Schema or `parametersJsonSchema`, not both); other
tools (Google Search, code execution, ...) are accepted and never used.
`toolConfig.functionCallingConfig`: `mode` AUTO, ANY, NONE or VALIDATED;
`allowedFunctionNames` only with ANY or VALIDATED and only declared names;
no function calling config without declarations. ANY forces a call (of the
one allowed function, when there is one), NONE forbids it.

`generationConfig`: temperature 0..2, topP 0..1, topK and maxOutputTokens
positive, candidateCount 1..8, at most 5 stop sequences, a known response MIME
type, `responseSchema` (or `responseJsonSchema`, not both) only with JSON
output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aigw_fakeprovider.answers import OutputFormat, OutputKind, Prompt, Tool, ToolPolicy, ToolUse
from aigw_fakeprovider.gemini_contents import REQUEST_TYPE, parse_contents
from aigw_fakeprovider.gemini_fields import Message, invalid_argument, parse_body, violation
from aigw_fakeprovider.gemini_schema import SchemaReader, json_schema_object

REQUEST_FIELDS = frozenset({
    "model", "contents", "systemInstruction", "tools", "toolConfig", "safetySettings", "generationConfig",
    "cachedContent",
})  # fmt: skip
_VERTEX_REQUEST_FIELDS = REQUEST_FIELDS | {"labels", "modelArmorConfig"}
_TOOL_FIELDS = frozenset({
    "functionDeclarations", "googleSearchRetrieval", "codeExecution", "googleSearch", "urlContext",
    "fileSearch", "googleMaps", "computerUse",
})  # fmt: skip
_VERTEX_TOOL_FIELDS = _TOOL_FIELDS | {"retrieval", "enterpriseWebSearch"}
_DECLARATION_FIELDS = frozenset({
    "name", "description", "parameters", "parametersJsonSchema", "response", "responseJsonSchema", "behavior",
})  # fmt: skip
_TOOL_CONFIG_FIELDS = frozenset({"functionCallingConfig", "retrievalConfig"})
_CALLING_FIELDS = frozenset({"mode", "allowedFunctionNames"})
_MODES = ("MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED")
_GENERATION_FIELDS = frozenset({
    "stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema", "responseModalities",
    "candidateCount", "maxOutputTokens", "temperature", "topP", "topK", "seed", "presencePenalty",
    "frequencyPenalty", "responseLogprobs", "logprobs", "speechConfig", "thinkingConfig", "imageConfig",
    "mediaResolution",
})  # fmt: skip
_AI_STUDIO_GENERATION_FIELDS = _GENERATION_FIELDS | {"enableEnhancedCivicAnswers"}
_VERTEX_GENERATION_FIELDS = _GENERATION_FIELDS | {"routingConfig", "audioTimestamp"}
_THINKING_FIELDS = frozenset({"includeThoughts", "thinkingBudget", "thinkingLevel"})
_SAFETY_FIELDS = frozenset({"category", "threshold"})
_VERTEX_SAFETY_FIELDS = _SAFETY_FIELDS | {"method"}
_MIME_TYPES = ("text/plain", "application/json", "application/xml", "application/yaml", "text/x.enum")
_SCHEMA_MIME_TYPES = ("application/json", "text/x.enum")
_FUNCTION_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}")
_MAX_CANDIDATES = 8
_MAX_STOP_SEQUENCES = 5


@dataclass(frozen=True, slots=True)
class GenerateRequest:
    """A valid GenerateContentRequest, as what shapes the answer."""

    prompt: Prompt


def _declarations(request: Message, reader: SchemaReader, vertex: bool) -> list[Tool]:
    declared: list[Tool] = []
    for tool in request.messages("tools", _VERTEX_TOOL_FIELDS if vertex else _TOOL_FIELDS, "Tool"):
        for declaration in tool.messages("functionDeclarations", _DECLARATION_FIELDS, "FunctionDeclaration"):
            name = declaration.string("name") or ""
            if not _FUNCTION_NAME.fullmatch(name):
                raise violation(
                    REQUEST_TYPE,
                    declaration.at("name"),
                    "Invalid function name. Must start with a letter or an underscore. Must be alphameric "
                    "(a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), with a maximum "
                    "length of 64.",
                )
            if any(tool.name == name for tool in declared):
                raise invalid_argument(f"Duplicate function declaration found: {name}")
            declaration.string("description")
            declared.append(Tool(name, _parameters(declaration, reader, request.package)))
    return declared


def _parameters(declaration: Message, reader: SchemaReader, package: str) -> dict[str, Any]:
    if declaration.has("parameters") and declaration.has("parametersJsonSchema"):
        raise violation(
            REQUEST_TYPE,
            declaration.at("parameters_json_schema"),
            "parameters and parameters_json_schema cannot both be set",
        )
    if declaration.has("parametersJsonSchema"):
        where = declaration.at("parameters_json_schema")
        return json_schema_object(declaration.values["parametersJsonSchema"], where, REQUEST_TYPE)
    if not declaration.has("parameters"):
        return {"type": "object"}
    schema = reader.read(declaration.values["parameters"], declaration.at("parameters"), package)
    if schema.get("type") != "object":
        raise violation(REQUEST_TYPE, declaration.at("parameters.type"), "must be OBJECT")
    return schema


def _tool_use(request: Message, tools: list[Tool]) -> ToolUse:
    config = request.message("toolConfig", _TOOL_CONFIG_FIELDS, "ToolConfig")
    calling = (
        config.message("functionCallingConfig", _CALLING_FIELDS, "FunctionCallingConfig") if config else None
    )
    if calling is None:
        return ToolUse(tools=tuple(tools))
    if not tools:
        raise invalid_argument("Function calling config is set without function_declarations.")
    mode = calling.enum("mode", _MODES, "FunctionCallingConfig.Mode") or "AUTO"
    allowed = calling.strings("allowedFunctionNames")
    if allowed and mode not in ("ANY", "VALIDATED"):
        raise violation(
            REQUEST_TYPE,
            calling.at("allowed_function_names"),
            "allowed_function_names should only be set when mode is ANY or VALIDATED.",
        )
    for index, name in enumerate(allowed):
        if all(tool.name != name for tool in tools):
            raise violation(
                REQUEST_TYPE,
                f"{calling.at('allowed_function_names')}[{index}]",
                f"function {name} is not declared in tools",
            )
    offered = tuple(tool for tool in tools if not allowed or tool.name in allowed)
    if mode == "NONE":
        return ToolUse(tools=offered, policy=ToolPolicy.NONE)
    if mode == "ANY":
        forced = allowed[0] if len(allowed) == 1 else None
        return ToolUse(tools=offered, policy=ToolPolicy.REQUIRED, forced=forced)
    return ToolUse(tools=offered)


def _bounded(config: Message, name: str, low: float, high: float) -> float | None:
    value = config.number(name)
    if value is not None and not low <= value <= high:
        raise violation(REQUEST_TYPE, config.at(name), f"must be between {low:g} and {high:g}")
    return value


def _positive(config: Message, name: str) -> int | None:
    value = config.integer(name)
    if value is not None and value < 1:
        raise violation(REQUEST_TYPE, config.at(name), "must be positive")
    return value


@dataclass(frozen=True, slots=True)
class _Generation:
    output: OutputFormat
    max_tokens: int | None
    stop: tuple[str, ...]
    choices: int


def _generation(request: Message, reader: SchemaReader, vertex: bool) -> _Generation:
    fields = _VERTEX_GENERATION_FIELDS if vertex else _AI_STUDIO_GENERATION_FIELDS
    config = request.message("generationConfig", fields, "GenerationConfig")
    if config is None:
        return _Generation(OutputFormat(), None, (), 1)
    # Sampling settings shape no answer here; they are only checked, as the API checks them.
    _bounded(config, "temperature", 0, 2)
    _bounded(config, "topP", 0, 1)
    _positive(config, "topK")
    config.integer("seed")
    config.number("presencePenalty")
    config.number("frequencyPenalty")
    config.boolean("responseLogprobs")
    config.integer("logprobs")
    config.message("thinkingConfig", _THINKING_FIELDS, "ThinkingConfig")
    choices = config.integer("candidateCount")
    if choices is not None and not 1 <= choices <= _MAX_CANDIDATES:
        raise violation(REQUEST_TYPE, config.at("candidateCount"), f"must be between 1 and {_MAX_CANDIDATES}")
    stop = config.strings("stopSequences")
    if len(stop) > _MAX_STOP_SEQUENCES:
        raise violation(REQUEST_TYPE, config.at("stopSequences"), "at most 5 stop sequences are allowed")
    mime = config.string("responseMimeType") or "text/plain"
    if mime not in _MIME_TYPES:
        raise violation(
            REQUEST_TYPE,
            config.at("responseMimeType"),
            "allowed mimetypes are `text/plain`, `application/json`, `application/xml`, `application/yaml` "
            "and `text/x.enum`.",
        )
    return _Generation(
        _output(config, reader, mime), _positive(config, "maxOutputTokens"), tuple(stop), choices or 1
    )


def _output(config: Message, reader: SchemaReader, mime: str) -> OutputFormat:
    has_schema, has_json_schema = config.has("responseSchema"), config.has("responseJsonSchema")
    if has_schema and has_json_schema:
        raise violation(
            REQUEST_TYPE,
            config.at("responseJsonSchema"),
            "response_schema and response_json_schema cannot both be set",
        )
    if (has_schema or has_json_schema) and mime not in _SCHEMA_MIME_TYPES:
        raise violation(
            REQUEST_TYPE,
            config.at("responseSchema" if has_schema else "responseJsonSchema"),
            "only supported with response_mime_type application/json or text/x.enum",
        )
    if mime != "application/json":
        return OutputFormat()
    if has_schema:
        schema = reader.read(config.values["responseSchema"], config.at("responseSchema"), config.package)
        return OutputFormat(OutputKind.JSON_SCHEMA, schema)
    if has_json_schema:
        where = config.at("responseJsonSchema")
        schema = json_schema_object(config.values["responseJsonSchema"], where, REQUEST_TYPE)
        return OutputFormat(OutputKind.JSON_SCHEMA, schema)
    return OutputFormat(OutputKind.JSON_OBJECT)


def parse_generate_request(
    body: bytes, *, package: str, vertex: bool, signatures_required: bool
) -> GenerateRequest:
    """Validates a GenerateContentRequest body; raises `GoogleError` with the API's wording."""
    request = parse_body(
        body, _VERTEX_REQUEST_FIELDS if vertex else REQUEST_FIELDS, type_name=REQUEST_TYPE, package=package
    )
    return read_generate_request(request, vertex=vertex, signatures_required=signatures_required)


def read_generate_request(request: Message, *, vertex: bool, signatures_required: bool) -> GenerateRequest:
    """Validates a GenerateContentRequest already read as a `Message` (its fields, or fewer: countTokens')."""
    # Read only to check their types: the answer does not depend on them.
    request.string("model")
    request.string("cachedContent")
    for setting in request.messages(
        "safetySettings", _VERTEX_SAFETY_FIELDS if vertex else _SAFETY_FIELDS, "SafetySetting"
    ):
        setting.string("category")
        setting.string("threshold")
    turns = parse_contents(request, vertex=vertex, signatures_required=signatures_required)
    reader = SchemaReader(REQUEST_TYPE, vertex=vertex)
    tools = _declarations(request, reader, vertex)
    generation = _generation(request, reader, vertex)
    prompt = Prompt(
        turns=turns,
        tools=_tool_use(request, tools),
        output=generation.output,
        max_tokens=generation.max_tokens,
        stop=generation.stop,
        choices=generation.choices,
    )
    return GenerateRequest(prompt)
