"""Validating OpenAI request bodies and turning them into protocol-neutral prompts.

Unknown top-level fields are rejected (`Unrecognized request argument
supplied: <name>`), as OpenAI does; every field of CreateChatCompletionRequest
in OpenAI's OpenAPI spec is accepted and type-checked. `functions` and
`function_call` (deprecated) are validated but never answered with a
function call; custom tools are accepted but never called.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from aigw_fakeprovider._fields import Fields
from aigw_fakeprovider.answers import OutputFormat, OutputKind, Prompt, Tool, ToolPolicy, ToolUse
from aigw_fakeprovider.errors import InvalidRequestError
from aigw_fakeprovider.openai_fields import (
    OPENAI,
    array_too_long,
    describe,
    empty_array,
    invalid_type,
    invalid_value,
    missing,
    non_empty_array,
)
from aigw_fakeprovider.openai_messages import Conversation, parse_messages

CHAT_FIELDS = frozenset(
    {
        "audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs",
        "max_completion_tokens", "max_tokens", "messages", "metadata", "modalities", "model", "moderation",
        "n", "parallel_tool_calls", "prediction", "presence_penalty", "prompt_cache_key",
        "prompt_cache_options", "prompt_cache_retention", "reasoning_effort", "response_format",
        "safety_identifier", "seed", "service_tier", "stop", "store", "stream", "stream_options",
        "temperature", "tool_choice", "tools", "top_logprobs", "top_p", "user", "verbosity",
        "web_search_options",
    }
)  # fmt: skip
MAX_EMBEDDING_DIMENSIONS = 3072
EMBEDDING_FIELDS = frozenset({"input", "model", "encoding_format", "dimensions", "user"})

_NAME = re.compile(r"[a-zA-Z0-9_-]+")
_NAME_MAX = 64
_MAX_STOP = 4
_MAX_EMBEDDING_INPUTS = 2048
_NOT_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
    "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If "
    "you have trouble figuring out how to fix this, please contact us through our help center at "
    "help.openai.com.)"
)
_OBJECT_FIELDS = ("audio", "prediction", "web_search_options", "moderation", "prompt_cache_options")


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A valid Chat Completions request: what the answer needs and how to deliver it."""

    model: str
    stream: bool
    include_usage: bool
    prompt: Prompt


@dataclass(frozen=True, slots=True)
class EmbeddingRequest:
    """A valid embeddings request; token-array inputs are kept as their decimal text."""

    model: str
    inputs: tuple[str, ...]
    input_tokens: int
    dimensions: int | None
    encoding_format: Literal["float", "base64"]


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The request body, which must be a JSON object."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidRequestError(_NOT_JSON) from None
    if not isinstance(value, dict):
        raise InvalidRequestError(
            f"Invalid type for request body: expected an object, but got {describe(value)} instead.",
            code="invalid_type",
        )
    return value


def _model(fields: Fields) -> str:
    model = fields.required_string("model")
    if not model:
        raise missing("model")
    return model


def parse_chat_request(body: Mapping[str, Any]) -> ChatRequest:
    """Validates a Chat Completions body like OpenAI; raises `InvalidRequestError`."""
    fields = Fields(body, OPENAI)
    fields.reject_unknown(CHAT_FIELDS)
    model = _model(fields)
    conversation = parse_messages(non_empty_array(fields, "messages", required=True) or [])
    stream = fields.boolean("stream") or False
    options = fields.object("stream_options")
    if options is not None and not stream:
        raise InvalidRequestError(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.", param="stream_options"
        )
    include_usage = bool(options and options.boolean("include_usage"))
    if options is not None:
        options.boolean("include_obfuscation")
    _check_fields_without_effect(fields)
    max_tokens = fields.integer("max_tokens", minimum=1)
    max_completion_tokens = fields.integer("max_completion_tokens", minimum=1)
    prompt = Prompt(
        turns=conversation.turns,
        tools=_tool_use(fields),
        output=_output_format(fields, conversation),
        max_tokens=max_completion_tokens if max_completion_tokens is not None else max_tokens,
        stop=_stop(body.get("stop")),
        choices=fields.integer("n", minimum=1, maximum=128) or 1,
    )
    return ChatRequest(model=model, stream=stream, include_usage=include_usage, prompt=prompt)


def _check_fields_without_effect(fields: Fields) -> None:
    """Type and range checks for the fields that do not change the fake's answer."""
    fields.number("temperature", minimum=0, maximum=2)
    fields.number("top_p", minimum=0, maximum=1)
    fields.number("frequency_penalty", minimum=-2, maximum=2)
    fields.number("presence_penalty", minimum=-2, maximum=2)
    fields.integer("seed")
    fields.boolean("logprobs")
    fields.integer("top_logprobs", minimum=0, maximum=20)
    fields.boolean("store")
    for name in ("user", "safety_identifier", "prompt_cache_key"):
        fields.string(name)
    fields.choice("prompt_cache_retention", ("in_memory", "24h"))
    fields.choice("service_tier", ("auto", "default", "flex", "scale", "priority", "fast"))
    fields.choice("reasoning_effort", ("none", "minimal", "low", "medium", "high", "xhigh", "max"))
    fields.choice("verbosity", ("low", "medium", "high"))
    for name in _OBJECT_FIELDS:
        fields.object(name)
    for index, modality in enumerate(fields.array("modalities") or []):
        if modality not in ("text", "audio"):
            raise invalid_value(f"modalities[{index}]", modality, ("text", "audio"))
    metadata = fields.object("metadata")
    if metadata is not None:
        for key in metadata.value:
            metadata.string(key)
    bias = fields.object("logit_bias")
    if bias is not None:
        for token in bias.value:
            bias.integer(token, minimum=-100, maximum=100)
    for index, function in enumerate(non_empty_array(fields, "functions") or []):
        if not isinstance(function, dict):
            raise invalid_type(f"functions[{index}]", "an object", function)
        _check_name(Fields(function, OPENAI, f"functions[{index}]"))
    call = fields.value.get("function_call")
    if isinstance(call, dict):
        Fields(call, OPENAI, "function_call").string("name", required=True)
    elif call is not None and call not in ("none", "auto"):
        raise invalid_value("function_call", call, ("none", "auto"))


def _check_name(fields: Fields) -> str:
    name = fields.required_string("name")
    param = fields.at("name")
    if len(name) > _NAME_MAX:
        raise InvalidRequestError(
            f"Invalid '{param}': string too long. Expected a string with maximum length {_NAME_MAX}, "
            f"but got a string with length {len(name)} instead.",
            param=param,
            code="string_above_max_length",
        )
    if not _NAME.fullmatch(name):
        raise InvalidRequestError(
            f"Invalid '{param}': string does not match pattern. Expected a string that matches the pattern "
            f"'^[a-zA-Z0-9_-]+$'.",
            param=param,
            code="invalid_value",
        )
    return name


def _stop(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        raise invalid_type("stop", "one of a string or array of strings", value)
    if len(value) > _MAX_STOP:
        raise array_too_long("stop", _MAX_STOP, len(value))
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise invalid_type(f"stop[{index}]", "a string", item)
    return tuple(value)


def _tools(fields: Fields) -> tuple[list[Tool], set[str]] | None:
    """The function tools in order, and the names of custom tools; None when no tools are given."""
    tools = non_empty_array(fields, "tools")
    if tools is None:
        return None
    functions: list[Tool] = []
    custom: set[str] = set()
    for index, tool in enumerate(tools):
        param = f"tools[{index}]"
        if not isinstance(tool, dict):
            raise invalid_type(param, "an object", tool)
        entry = Fields(tool, OPENAI, param)
        kind = entry.required_choice("type", ("function", "custom"))
        body = entry.required_object(kind)
        name = _check_name(body)
        body.string("description")
        if kind == "custom":
            custom.add(name)
            continue
        parameters = body.object("parameters")
        body.boolean("strict")
        functions.append(Tool(name, parameters.value if parameters else {}))
    return functions, custom


def _tool_use(fields: Fields) -> ToolUse:
    offered = _tools(fields)
    choice = fields.value.get("tool_choice")
    parallel = fields.boolean("parallel_tool_calls")
    if offered is None:
        for name in ("tool_choice", "parallel_tool_calls"):
            if fields.value.get(name) is not None:
                raise InvalidRequestError(
                    f"Invalid value for '{name}': '{name}' is only allowed when 'tools' are specified.",
                    param=name,
                )
        return ToolUse()
    functions, custom = offered
    use = ToolUse(tools=tuple(functions), parallel=parallel is not False)
    if choice is None:
        return use
    if isinstance(choice, str):
        modes = ("none", "auto", "required")
        if choice not in modes:
            raise invalid_value("tool_choice", choice, modes)
        return ToolUse(use.tools, ToolPolicy(choice), None, use.parallel)
    if not isinstance(choice, dict):
        raise invalid_type("tool_choice", "one of a string or object", choice)
    return _named_choice(Fields(choice, OPENAI, "tool_choice"), use, custom)


def _named_choice(choice: Fields, use: ToolUse, custom: set[str]) -> ToolUse:
    kind = choice.required_choice("type", ("function", "allowed_tools", "custom"))
    functions = {tool.name for tool in use.tools}
    if kind == "allowed_tools":
        allowed = choice.required_object("allowed_tools")
        mode = allowed.required_choice("mode", ("auto", "required"))
        names: set[str] = set()
        for index, tool in enumerate(non_empty_array(allowed, "tools", required=True) or []):
            param = f"{allowed.at('tools')}[{index}]"
            if not isinstance(tool, dict):
                raise invalid_type(param, "an object", tool)
            names.add(_existing(Fields(tool, OPENAI, param).required_object("function"), functions))
        kept = tuple(tool for tool in use.tools if tool.name in names)
        return ToolUse(kept, ToolPolicy(mode), None, use.parallel)
    target = choice.required_object(kind)
    if kind == "custom":
        _existing(target, custom)
        return ToolUse((), ToolPolicy.REQUIRED, None, use.parallel)
    return ToolUse(use.tools, ToolPolicy.REQUIRED, _existing(target, functions), use.parallel)


def _existing(target: Fields, names: set[str]) -> str:
    name = target.required_string("name")
    if name not in names:
        raise InvalidRequestError(
            f"Invalid value for '{target.at('name')}': no tool named '{name}' was provided in 'tools'.",
            param=target.at("name"),
            code="invalid_value",
        )
    return name


def _output_format(fields: Fields, conversation: Conversation) -> OutputFormat:
    response_format = fields.object("response_format")
    if response_format is None:
        return OutputFormat()
    kind = OutputKind(response_format.required_choice("type", tuple(OutputKind)))
    if kind is OutputKind.JSON_OBJECT and not conversation.mentions("json"):
        raise InvalidRequestError(
            "'messages' must contain the word 'json' in some form, to use 'response_format' of type "
            "'json_object'.",
            param="messages",
        )
    if kind is not OutputKind.JSON_SCHEMA:
        return OutputFormat(kind)
    json_schema = response_format.required_object("json_schema")
    _check_name(json_schema)
    json_schema.string("description")
    json_schema.boolean("strict")
    schema = json_schema.object("schema")
    return OutputFormat(kind, schema.value if schema else None)


def parse_embedding_request(body: Mapping[str, Any]) -> EmbeddingRequest:
    """Validates an embeddings body like OpenAI; raises `InvalidRequestError`."""
    fields = Fields(body, OPENAI)
    fields.reject_unknown(EMBEDDING_FIELDS)
    model = _model(fields)
    value = body.get("input")
    if value is None:
        raise missing("input")
    inputs, tokens = _embedding_inputs(value)
    encoding = fields.choice("encoding_format", ("float", "base64")) or "float"
    fields.string("user")
    return EmbeddingRequest(
        model=model,
        inputs=inputs,
        input_tokens=tokens,
        # No OpenAI embedding model has more than 3072 dimensions.
        dimensions=fields.integer("dimensions", minimum=1, maximum=MAX_EMBEDDING_DIMENSIONS),
        encoding_format="base64" if encoding == "base64" else "float",
    )


def _embedding_inputs(value: Any) -> tuple[tuple[str, ...], int]:
    invalid = InvalidRequestError(
        "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
        param="input",
    )
    if isinstance(value, str):
        if not value:
            raise invalid
        return (value,), len(value.split())
    if not isinstance(value, list):
        raise invalid_type("input", "one of a string or array", value)
    if not value:
        raise empty_array("input")
    if len(value) > _MAX_EMBEDDING_INPUTS:
        raise array_too_long("input", _MAX_EMBEDDING_INPUTS, len(value))
    if all(isinstance(item, str) and item for item in value):
        return tuple(value), sum(len(item.split()) for item in value)
    if all(_is_token(item) for item in value):
        return (" ".join(map(str, value)),), len(value)
    if all(isinstance(item, list) and item and all(map(_is_token, item)) for item in value):
        return tuple(" ".join(map(str, item)) for item in value), sum(map(len, value))
    raise invalid


def _is_token(item: Any) -> bool:
    return isinstance(item, int) and not isinstance(item, bool) and item >= 0
