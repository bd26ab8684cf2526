"""Validating Anthropic Messages and count_tokens bodies, and turning them into neutral prompts.

Top-level fields are those of the API reference (MessageCreateParams), plus
the sampling controls `temperature`, `top_p` and `top_k` under API versions
before 2026-10-21, which removed them (even `temperature: 1.0` is then
refused, as reported for that version and as the official SDK 2.x, which no
longer has them, implies); any other field is refused
(`<name>: Extra inputs are not permitted`), as Anthropic does. `model`,
`messages` and `max_tokens` are required. Tools are custom tools (server
tools, whose types carry a date, are accepted but never called);
`tool_choice` `any` and `tool` force a call, `disable_parallel_tool_use`
limits it to one; `output_config.format` asks for JSON matching a schema.
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
    Role,
    Tool,
    ToolPolicy,
    ToolUse,
    Turn,
)
from aigw_fakeprovider.anthropic_fields import ANTHROPIC, invalid
from aigw_fakeprovider.anthropic_messages import parse_messages, text_block
from aigw_fakeprovider.errors import InvalidRequestError

_COMMON_FIELDS = ("model", "messages", "system", "tools", "tool_choice", "thinking", "output_config")
MESSAGES_FIELDS = frozenset(
    {
        *_COMMON_FIELDS, "max_tokens", "stream", "stop_sequences", "temperature", "top_p", "top_k",
        "metadata", "service_tier", "cache_control", "container", "diagnostics", "inference_geo", "speed",
        "user_profile_id", "workspace_id",
    }
)  # fmt: skip
COUNT_TOKENS_FIELDS = frozenset({*_COMMON_FIELDS, "cache_control", "speed"})
SAMPLING_FIELDS = frozenset({"temperature", "top_p", "top_k"})

API_VERSIONS = ("2023-01-01", "2023-06-01", "2026-10-21")
"""The `anthropic-version` values the API accepts (the official SDK 2.x sends the last)."""
_SAMPLING_REMOVED_IN = "2026-10-21"

_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,128}")
# Server tools are versioned by date: web_search_20250305, bash_20250124, code_execution_20250825, ...
_SERVER_TOOL_TYPE = re.compile(r"[a-z][a-z0-9_]*_\d{8}")
_CUSTOM_TOOL_FIELDS = (
    "type", "name", "description", "input_schema", "strict", "cache_control", "defer_loading",
    "eager_input_streaming", "input_examples", "allowed_callers",
)  # fmt: skip
_TOOL_CHOICE_POLICY = {"auto": ToolPolicy.AUTO, "any": ToolPolicy.REQUIRED, "tool": ToolPolicy.REQUIRED}


@dataclass(frozen=True, slots=True)
class MessagesRequest:
    """A valid Messages (or count_tokens) request: what the answer needs and how to deliver it."""

    model: str
    stream: bool
    prompt: Prompt


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidRequestError("There was an error parsing the body of your request as JSON.") from None
    if not isinstance(value, dict):
        raise invalid("", "Input should be a valid dictionary")
    return value


def _system(fields: Fields) -> tuple[Turn, ...]:
    value = fields.value.get("system")
    if value is None or isinstance(value, str):
        return (Turn(Role.SYSTEM, value),) if value else ()
    blocks = fields.objects("system")
    if blocks is None:
        raise invalid("system", "Input should be a valid string or list")
    for block in blocks:
        block.choice("type", ("text",), required=True)
    texts = [text_block(block).text for block in blocks]
    return (Turn(Role.SYSTEM, " ".join(texts)),) if texts else ()


def _tools(fields: Fields) -> tuple[Tool, ...]:
    tools: list[Tool] = []
    seen: set[str] = set()
    for tool in fields.objects("tools") or []:
        kind = tool.string("type", nullable=True)
        name = tool.required_string("name")
        if name in seen:
            raise invalid("tools", "Tool names must be unique.")
        seen.add(name)
        if kind is not None and kind != "custom":
            if not _SERVER_TOOL_TYPE.fullmatch(kind):
                raise invalid(
                    tool.at("type"),
                    f"Input tag '{kind}' found using 'type' does not match any of the expected tags: "
                    "'custom' or a server tool type",
                )
            continue  # a server tool (web search, code execution, ...): offered, never called here
        tool.reject_unknown(_CUSTOM_TOOL_FIELDS)
        if not _TOOL_NAME.fullmatch(name):
            raise invalid(tool.at("name"), "String should match pattern '^[a-zA-Z0-9_-]{1,128}$'")
        tool.string("description")
        tool.boolean("strict")
        schema = tool.required_object("input_schema")
        schema.choice("type", ("object",), required=True)
        tools.append(Tool(name, schema.value))
    return tuple(tools)


def _tool_use(fields: Fields) -> ToolUse:
    tools = _tools(fields)
    choice = fields.object("tool_choice")
    if choice is None:
        return ToolUse(tools)
    kind = choice.choice("type", ("auto", "any", "tool", "none"), required=True)
    if kind == "none":
        choice.reject_unknown(("type",))
        return ToolUse(tools, ToolPolicy.NONE)
    choice.reject_unknown(("type", "name", "disable_parallel_tool_use"))
    parallel = not choice.boolean("disable_parallel_tool_use")
    forced = choice.required_string("name") if kind == "tool" else None
    if kind != "auto" and not fields.value.get("tools"):
        raise invalid("tool_choice", f"tool_choice.type '{kind}' requires tools to be provided.")
    if forced is not None and forced not in {tool.name for tool in tools}:
        raise invalid(choice.at("name"), f"Tool '{forced}' not found in the provided tools.")
    return ToolUse(tools, _TOOL_CHOICE_POLICY[str(kind)], forced, parallel)


def _output(fields: Fields) -> OutputFormat:
    config = fields.object("output_config")
    if config is None:
        return OutputFormat()
    config.reject_unknown(("format", "effort"))
    config.choice("effort", ("low", "medium", "high", "xhigh", "max"))
    output_format = config.object("format", nullable=True)
    if output_format is None:
        return OutputFormat()
    output_format.reject_unknown(("type", "schema"))
    output_format.choice("type", ("json_schema",), required=True)
    return OutputFormat(OutputKind.JSON_SCHEMA, output_format.required_object("schema").value)


def _thinking(fields: Fields) -> None:
    thinking = fields.object("thinking")
    if thinking is None:
        return
    kind = thinking.choice("type", ("enabled", "disabled", "adaptive"), required=True)
    if kind == "enabled":
        thinking.integer("budget_tokens", required=True, minimum=1024)


def _head(body: dict[str, Any], allowed: frozenset[str]) -> tuple[Fields, str, list[Any]]:
    """The fields every request has, checked first: no unknown field, a model, a messages list."""
    fields = Fields(body, ANTHROPIC)
    fields.reject_unknown(allowed)
    model = fields.required_string("model")
    if not model:
        raise invalid("model", "String should have at least 1 character")
    return fields, model, fields.array("messages", required=True) or []


def _turns(fields: Fields, messages: list[Any]) -> tuple[Turn, ...]:
    turns = (*_system(fields), *parse_messages(messages))
    _thinking(fields)
    return turns


def parse_messages_request(body: dict[str, Any], version: str = "2023-06-01") -> MessagesRequest:
    """Validates a Messages body like Anthropic under API `version`; raises `InvalidRequestError`."""
    allowed = MESSAGES_FIELDS - SAMPLING_FIELDS if version >= _SAMPLING_REMOVED_IN else MESSAGES_FIELDS
    fields, model, messages = _head(body, allowed)
    max_tokens = fields.integer("max_tokens", required=True, minimum=0)
    turns = _turns(fields, messages)
    stream = fields.boolean("stream") or False
    fields.number("temperature", minimum=0, maximum=1)
    fields.number("top_p", minimum=0, maximum=1)
    fields.integer("top_k", minimum=0)
    fields.choice("service_tier", ("auto", "standard_only"))
    fields.choice("speed", ("standard", "fast"))
    stops = fields.array("stop_sequences") or []
    for index, stop in enumerate(stops):
        if not isinstance(stop, str):
            raise invalid(f"stop_sequences.{index}", "Input should be a valid string")
    metadata = fields.object("metadata")
    if metadata is not None:
        metadata.reject_unknown(("user_id",))
        metadata.string("user_id", nullable=True)
    prompt = Prompt(
        turns=turns,
        tools=_tool_use(fields),
        output=_output(fields),
        max_tokens=max_tokens,
        stop=tuple(stops),
    )
    return MessagesRequest(model=model, stream=stream, prompt=prompt)


def parse_count_tokens_request(body: dict[str, Any]) -> MessagesRequest:
    """Validates a count_tokens body (a Messages body without max_tokens, stream or sampling)."""
    fields, model, messages = _head(body, COUNT_TOKENS_FIELDS)
    turns = _turns(fields, messages)
    fields.choice("speed", ("standard", "fast"))
    prompt = Prompt(turns=turns, tools=_tool_use(fields), output=_output(fields))
    return MessagesRequest(model=model, stream=False, prompt=prompt)
