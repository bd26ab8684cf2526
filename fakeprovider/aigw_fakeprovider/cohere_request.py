"""Validating Cohere v2 chat and embed bodies, and turning them into neutral prompts.

Chat fields are those of the official SDK's `v2.chat` (model, messages, tools,
strict_tools, documents, citation_options, response_format, safety_mode,
max_tokens, stop_sequences, temperature, seed, frequency_penalty,
presence_penalty, k, p, logprobs, tool_choice, thinking, stream), with the
ranges its documentation gives (p 0.01..0.99, k 0..500, penalties 0..1, at
most 5 stop sequences, a non-negative temperature). Tools are function tools
with required JSON-schema `parameters`; `tool_choice` is `REQUIRED` or `NONE`
and needs tools. `response_format` `json_object`, with an optional
`json_schema`, asks for JSON.

Embed fields are those of `v2.embed`. This fake embeds `texts` (1 to 96 of
them) as `float` vectors; `input_type` and `embedding_types` are required;
`output_dimension` (256, 512, 1024 or 1536) is for embed-v4 and later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from aigw_fakeprovider._fields import Fields
from aigw_fakeprovider.answers import (
    OutputFormat,
    OutputKind,
    Prompt,
    Tool,
    ToolPolicy,
    ToolUse,
    count_tokens,
)
from aigw_fakeprovider.cohere_fields import CHAT, EMBED, invalid, strings
from aigw_fakeprovider.cohere_messages import parse_messages

CHAT_FIELDS = (
    "model", "messages", "tools", "strict_tools", "documents", "citation_options", "response_format",
    "safety_mode", "max_tokens", "stop_sequences", "temperature", "seed", "frequency_penalty",
    "presence_penalty", "k", "p", "logprobs", "tool_choice", "thinking", "stream",
)  # fmt: skip
EMBED_FIELDS = (
    "model", "input_type", "texts", "images", "inputs", "max_tokens", "output_dimension", "embedding_types",
    "truncate",
)  # fmt: skip
MAX_TEXTS = 96
INPUT_TYPES = ("search_document", "search_query", "classification", "clustering", "image")
EMBEDDING_TYPES = ("float", "int8", "uint8", "binary", "ubinary", "base64")
OUTPUT_DIMENSIONS = (256, 512, 1024, 1536)
_TOOL_CHOICES = {"REQUIRED": ToolPolicy.REQUIRED, "NONE": ToolPolicy.NONE}
_FIXED_SIZE_MODELS = re.compile(r"embed-(english|multilingual)-")


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A valid chat request: what the answer needs and how to deliver it."""

    model: str
    stream: bool
    prompt: Prompt


@dataclass(frozen=True, slots=True)
class EmbedRequest:
    model: str
    texts: tuple[str, ...]
    dimensions: int

    @property
    def input_tokens(self) -> int:
        return sum(count_tokens(text) for text in self.texts)


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise invalid("the request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise invalid("the request body must be a JSON object")
    return value


def _model(fields: Fields) -> str:
    model = fields.string("model")
    if not model:
        raise invalid("model is required")
    return model


def _tools(fields: Fields) -> tuple[Tool, ...]:
    tools: list[Tool] = []
    for tool in fields.objects("tools") or []:
        tool.reject_unknown(("type", "function"))
        tool.choice("type", ("function",))
        function = tool.required_object("function")
        function.reject_unknown(("name", "description", "parameters"))
        name = function.required_string("name")
        if not name or name in {known.name for known in tools}:
            raise invalid(f"{function.at('name')} must be a unique, non-empty name")
        function.string("description")
        parameters = function.required_object("parameters")
        tools.append(Tool(name, parameters.value))
    return tuple(tools)


def _tool_use(fields: Fields) -> ToolUse:
    tools = _tools(fields)
    fields.boolean("strict_tools")
    choice = fields.choice("tool_choice", tuple(_TOOL_CHOICES))
    if choice is None:
        return ToolUse(tools)
    if not tools:
        raise invalid("tool_choice can only be used when tools are specified")
    return ToolUse(tools, _TOOL_CHOICES[choice])


def _output(fields: Fields) -> OutputFormat:
    response_format = fields.object("response_format")
    if response_format is None:
        return OutputFormat()
    response_format.reject_unknown(("type", "json_schema"))
    kind = response_format.choice("type", ("text", "json_object"), required=True)
    schema = response_format.object("json_schema")
    if kind == "text":
        if schema is not None:
            raise invalid("response_format.json_schema must not be specified when the type is text")
        return OutputFormat()
    if schema is None:
        return OutputFormat(OutputKind.JSON_OBJECT)
    return OutputFormat(OutputKind.JSON_SCHEMA, schema.value)


def _options(fields: Fields) -> None:
    """Checks the fields that tune generation without changing the fake's answer."""
    fields.number("temperature", minimum=0)
    fields.number("p", minimum=0.01, maximum=0.99)
    fields.integer("k", minimum=0, maximum=500)
    fields.number("frequency_penalty", minimum=0, maximum=1)
    fields.number("presence_penalty", minimum=0, maximum=1)
    fields.integer("seed")
    fields.boolean("logprobs")
    fields.choice("safety_mode", ("CONTEXTUAL", "STRICT", "OFF"))
    thinking = fields.object("thinking")
    if thinking is not None:
        thinking.reject_unknown(("type", "token_budget"))
        thinking.choice("type", ("enabled", "disabled"), required=True)
        thinking.integer("token_budget", minimum=1)
    citations = fields.object("citation_options")
    if citations is not None:
        citations.reject_unknown(("mode",))
        citations.choice("mode", ("ENABLED", "DISABLED", "FAST", "ACCURATE", "OFF"))
    fields.array("documents")


def parse_chat_request(body: dict[str, Any]) -> ChatRequest:
    """Validates a `/v2/chat` body like Cohere; raises its errors (a 422 for an unknown field)."""
    fields = Fields(body, CHAT)
    fields.reject_unknown(CHAT_FIELDS)
    model = _model(fields)
    turns = parse_messages(fields.array("messages", required=True) or [])
    _options(fields)
    prompt = Prompt(
        turns=turns,
        tools=_tool_use(fields),
        output=_output(fields),
        max_tokens=fields.integer("max_tokens", minimum=1),
        stop=tuple(strings(fields, "stop_sequences", max_items=5) or ()),
    )
    return ChatRequest(model=model, stream=fields.boolean("stream") or False, prompt=prompt)


def default_dimensions(model: str) -> int:
    """The vector size of a Cohere embed model when no output_dimension is asked for."""
    if _FIXED_SIZE_MODELS.search(model):
        return 384 if "light" in model else 1024
    return 1536


def parse_embed_request(body: dict[str, Any]) -> EmbedRequest:
    """Validates a `/v2/embed` body like Cohere; raises its errors."""
    fields = Fields(body, EMBED)
    fields.reject_unknown(EMBED_FIELDS)
    model = _model(fields)
    fields.choice("input_type", INPUT_TYPES, required=True)
    if fields.value.get("images") is not None or fields.value.get("inputs") is not None:
        raise invalid("this server embeds texts only; images and inputs are not supported")
    texts = strings(fields, "texts")
    if not texts:
        raise invalid("texts must contain at least one text")
    if len(texts) > MAX_TEXTS:
        raise invalid(f"texts must have at most {MAX_TEXTS} items, got {len(texts)}")
    kinds = strings(fields, "embedding_types")
    if not kinds:
        raise invalid("embedding_types is required")
    for kind in kinds:
        if kind not in EMBEDDING_TYPES:
            raise invalid(f"embedding_types must be among {', '.join(EMBEDDING_TYPES)}, got '{kind}'")
    if kinds != ["float"]:
        raise invalid("this server returns float embeddings only")
    dimension = fields.integer("output_dimension")
    if dimension is not None:
        if _FIXED_SIZE_MODELS.search(model):
            raise invalid(f"output_dimension is not supported for model {model}")
        if dimension not in OUTPUT_DIMENSIONS:
            raise invalid(f"output_dimension must be one of {', '.join(map(str, OUTPUT_DIMENSIONS))}")
    fields.integer("max_tokens", minimum=1)
    fields.choice("truncate", ("NONE", "START", "END"))
    return EmbedRequest(model=model, texts=tuple(texts), dimensions=dimension or default_dimensions(model))
