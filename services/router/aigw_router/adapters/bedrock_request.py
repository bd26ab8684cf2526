"""An OpenAI chat request as the body of a Bedrock Converse (or ConverseStream) request.

What Bedrock cannot do, and what is done instead:

- system and developer messages become top-level `system` blocks; user,
  assistant and tool messages become alternating user/assistant turns
  (consecutive same-role messages merged, parallel tool results in one user
  turn). Blank text is left out: Bedrock refuses blank text blocks, and an
  assistant's `"\\n\\n"` before its tool calls carries nothing. A conversation
  must start with a user turn, so one that starts with the assistant is a 400.
- Images are sent as bytes: data URLs decoded, http(s) URLs fetched under the
  provider's `image_fetch` policy. Audio and file parts are refused.
- Tool results go as `text` (every model takes text; `json` only some).
  `status` is not sent: only some models accept it, and OpenAI has no value
  for it.
- `tool_choice`: `auto` is Bedrock's default and is not sent (some models
  refuse an explicit toolChoice); `required` is `any`, a named function is
  `tool`, `allowed_tools` narrows the tools. Bedrock has no "none": the tools
  are withheld, which Bedrock only allows when the conversation holds no tool
  calls or results (it then requires `toolConfig`), so that case is a 400.
- `temperature` is 0..1 on Bedrock: above 1 is a 400 rather than a silent
  rescale that would change every other value's meaning.
- `response_format` json_schema is Converse's native structured output
  (`outputConfig.textFormat`); `json_object` (JSON without a schema) has no
  Bedrock equivalent and is a 400. `reasoning_effort` low..max is
  `outputConfig.effort`; `service_tier` default/flex/priority is `serviceTier`.
- `n` > 1, `seed`, penalties, `logit_bias`, logprobs, `parallel_tool_calls:
  false`, audio output and unknown fields follow the model's
  unsupported_params policy. `user`, `metadata`, `store` only describe the
  request and are not sent. Bedrock's own `additionalModelRequestFields`,
  `guardrailConfig`, `performanceConfig` and `requestMetadata` pass through.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import orjson

from aigw_router.adapters._chat_request import add_turn, arguments_object, text_of
from aigw_router.adapters._images import ImageData
from aigw_router.adapters._params import RequestFields, refuse_value
from aigw_router.adapters.base import ChatCall
from aigw_runtime.openai_chat import (
    AllowedToolsChoice,
    AssistantMessage,
    ChatCompletionRequest,
    CustomTool,
    DeveloperMessage,
    ImagePart,
    JsonObjectFormat,
    JsonSchemaFormat,
    Message,
    NamedToolChoice,
    SystemMessage,
    TextPart,
    ToolMessage,
    UserMessage,
    decode_chat_request,
)

# Parameters Converse has no way to honour (refused or dropped per the model's policy when present).
_UNSUPPORTED = (
    "n", "seed", "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs",
    "parallel_tool_calls", "modalities", "audio", "prediction", "web_search_options", "functions",
    "function_call", "verbosity",
)  # fmt: skip
# Bedrock request members a client may send as extra body fields; they pass through as they are.
_PASSTHROUGH = ("additionalModelRequestFields", "guardrailConfig", "performanceConfig", "requestMetadata")
# Fields that describe the request rather than shape the answer: not sent.
_NOT_SENT = frozenset({"user", "metadata", "store", "safety_identifier", "prompt_cache_key"})
_FIELDS = RequestFields(
    handled=frozenset(ChatCompletionRequest.__struct_fields__) | frozenset(_PASSTHROUGH) | _NOT_SENT,
    unsupported=_UNSUPPORTED,
    # The values of the unsupported parameters that ask for nothing beyond what Bedrock does anyway.
    neutral={"n": 1, "parallel_tool_calls": True, "logprobs": False, "modalities": ["text"]},
)
_EFFORTS = frozenset({"low", "medium", "high", "xhigh", "max"})
_SERVICE_TIERS = frozenset({"default", "flex", "priority"})

Block = dict[str, Any]
ImageLoader = Callable[[str, str], Awaitable[ImageData]]
"""Loads the image at a URL (data or web), given the request parameter it came from."""


async def converse_body(call: ChatCall, provider: str, load_image: ImageLoader) -> dict[str, Any]:
    """The Converse request body for an OpenAI chat request (a 400 if it cannot be translated)."""
    typed = decode_chat_request(call.body)
    request = orjson.loads(call.body)
    _FIELDS.apply_policy(request, provider, call.policy)
    system, messages = await _conversation(typed.messages, load_image)
    body: dict[str, Any] = {"messages": messages}
    if system:
        body["system"] = system
    inference = _inference_config(typed)
    if inference:
        body["inferenceConfig"] = inference
    has_tool_blocks = any("toolUse" in b or "toolResult" in b for m in messages for b in m["content"])
    tool_config = _tool_config(typed, has_tool_blocks)
    if tool_config is not None:
        body["toolConfig"] = tool_config
    output = _output_config(typed)
    if output:
        body["outputConfig"] = output
    if typed.service_tier is not None and typed.service_tier != "auto":
        if typed.service_tier not in _SERVICE_TIERS:
            raise refuse_value("service_tier", "Bedrock's service tiers are default, flex and priority.")
        body["serviceTier"] = {"type": typed.service_tier}
    for name in _PASSTHROUGH:
        if request.get(name) is not None:
            if not isinstance(request[name], dict):
                raise refuse_value(name, f"'{name}' must be an object, as Bedrock defines it.")
            body[name] = request[name]
    return body


def _text_blocks(content: str | list[Any] | None) -> list[Block]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content.strip() else []
    # Assistant parts may be refusals; in a history they are what the assistant said.
    texts = [getattr(part, "text", None) or getattr(part, "refusal", None) for part in content]
    return [{"text": text} for text in texts if text and text.strip()]


async def _conversation(messages: list[Message], load_image: ImageLoader) -> tuple[list[Block], list[Block]]:
    """The system blocks and the alternating turns, same-role messages merged."""
    system: list[Block] = []
    turns: list[Block] = []
    for index, message in enumerate(messages):
        if isinstance(message, SystemMessage | DeveloperMessage):
            system.extend(_text_blocks(message.content))
            continue
        if isinstance(message, UserMessage):
            role, blocks = "user", await _user_blocks(index, message, load_image)
        elif isinstance(message, AssistantMessage):
            role, blocks = "assistant", _assistant_blocks(index, message)
        elif isinstance(message, ToolMessage):
            text = text_of(message.content)
            result = {"toolUseId": message.tool_call_id, "content": [{"text": text}] if text.strip() else []}
            role, blocks = "user", [{"toolResult": result}]
        else:  # the deprecated role 'function'
            raise refuse_value(
                f"messages[{index}].role", "Bedrock takes tool results as role 'tool', not 'function'."
            )
        add_turn(turns, role, "content", blocks)
    if not turns:
        raise refuse_value("messages", "Bedrock needs at least one user message with content.")
    if turns[0]["role"] != "user":
        raise refuse_value("messages", "Bedrock needs the conversation to start with a user message.")
    return system, turns


async def _user_blocks(index: int, message: UserMessage, load_image: ImageLoader) -> list[Block]:
    if isinstance(message.content, str):
        return _text_blocks(message.content)
    blocks: list[Block] = []
    for number, part in enumerate(message.content):
        param = f"messages[{index}].content[{number}]"
        if isinstance(part, TextPart):
            blocks.extend(_text_blocks(part.text))
        elif isinstance(part, ImagePart):
            image = await load_image(part.image_url.url, f"{param}.image_url.url")
            image_format = image.media_type.removeprefix("image/")
            blocks.append({"image": {"format": image_format, "source": {"bytes": image.base64}}})
        else:
            raise refuse_value(param, f"Bedrock does not accept '{part.__struct_config__.tag}' parts here.")
    return blocks


def _assistant_blocks(index: int, message: AssistantMessage) -> list[Block]:
    if message.function_call is not None or message.audio is not None:
        name = "function_call" if message.function_call is not None else "audio"
        raise refuse_value(f"messages[{index}].{name}", f"Bedrock does not accept an assistant '{name}'.")
    blocks = _text_blocks(message.content)
    if not blocks and message.refusal:
        blocks = _text_blocks(message.refusal)
    for number, call in enumerate(message.tool_calls or []):
        param = f"messages[{index}].tool_calls[{number}].function.arguments"
        arguments = arguments_object(call.function.arguments, param)
        blocks.append({"toolUse": {"toolUseId": call.id, "name": call.function.name, "input": arguments}})
    return blocks


def _inference_config(typed: ChatCompletionRequest) -> dict[str, Any]:
    config: dict[str, Any] = {}
    max_tokens = typed.max_completion_tokens or typed.max_tokens
    if max_tokens is not None:
        config["maxTokens"] = max_tokens
    if typed.temperature is not None:
        if typed.temperature > 1:
            raise refuse_value(
                "temperature", "Bedrock takes a temperature between 0 and 1; use a value in that range."
            )
        config["temperature"] = typed.temperature
    if typed.top_p is not None:
        config["topP"] = typed.top_p
    stops = [typed.stop] if isinstance(typed.stop, str) else typed.stop or []
    if any(stops):
        config["stopSequences"] = [stop for stop in stops if stop]
    return config


def _tool_specs(typed: ChatCompletionRequest) -> list[Block]:
    specs: list[Block] = []
    for number, tool in enumerate(typed.tools or []):
        if isinstance(tool, CustomTool):
            raise refuse_value(f"tools[{number}]", "Bedrock only calls function tools.")
        function = tool.function
        spec: dict[str, Any] = {
            "name": function.name,
            "inputSchema": {"json": function.parameters or {"type": "object", "properties": {}}},
        }
        if function.description:
            spec["description"] = function.description
        if function.strict is not None:
            spec["strict"] = function.strict
        specs.append({"toolSpec": spec})
    return specs


def _tool_config(typed: ChatCompletionRequest, has_tool_blocks: bool) -> dict[str, Any] | None:
    """Bedrock's toolConfig, or None when no tools may be offered."""
    specs = _tool_specs(typed)
    choice = typed.tool_choice
    tool_choice: dict[str, Any] | None = None
    if choice == "none" and specs:
        if has_tool_blocks:
            raise refuse_value(
                "tool_choice",
                "Bedrock cannot forbid tool calls in a conversation that holds tool calls; "
                "use tool_choice 'auto'.",
            )
        return None
    if choice == "required":
        tool_choice = {"any": {}}
    elif isinstance(choice, NamedToolChoice):
        tool_choice = {"tool": {"name": choice.function.name}}
    elif isinstance(choice, AllowedToolsChoice):
        specs, tool_choice = _allowed_tools(choice.allowed_tools, specs)
    elif choice is not None and not isinstance(choice, str):
        raise refuse_value("tool_choice", "Bedrock only calls function tools.")
    if not specs:
        if has_tool_blocks:
            raise refuse_value(
                "tools", "Bedrock needs the tools declared when the conversation holds tool calls."
            )
        return None
    config: dict[str, Any] = {"tools": specs}
    if tool_choice is not None:
        config["toolChoice"] = tool_choice
    return config


def _allowed_tools(allowed: dict[str, Any], specs: list[Block]) -> tuple[list[Block], dict[str, Any] | None]:
    """The tools an `allowed_tools` choice keeps, and the toolChoice its mode asks for."""
    try:
        converted = msgspec.convert(allowed.get("tools"), list[NamedToolChoice])
    except msgspec.ValidationError:
        raise refuse_value("tool_choice.allowed_tools.tools", "List the allowed function tools.") from None
    names = {choice.function.name for choice in converted}
    kept = [spec for spec in specs if spec["toolSpec"]["name"] in names]
    return kept, {"any": {}} if allowed.get("mode") == "required" else None


def _output_config(typed: ChatCompletionRequest) -> dict[str, Any]:
    output: dict[str, Any] = {}
    response_format = typed.response_format
    if isinstance(response_format, JsonObjectFormat):
        raise refuse_value(
            "response_format",
            "Bedrock has no JSON mode without a schema; use response_format type 'json_schema'.",
        )
    if isinstance(response_format, JsonSchemaFormat):
        definition = response_format.json_schema
        if definition.schema is None:
            raise refuse_value("response_format.json_schema.schema", "Bedrock needs the JSON schema.")
        schema: dict[str, Any] = {"schema": orjson.dumps(definition.schema).decode(), "name": definition.name}
        if definition.description:
            schema["description"] = definition.description
        output["textFormat"] = {"type": "json_schema", "structure": {"jsonSchema": schema}}
    if typed.reasoning_effort is not None:
        if typed.reasoning_effort not in _EFFORTS:
            raise refuse_value(
                "reasoning_effort", "Bedrock's effort levels are low, medium, high, xhigh, max."
            )
        output["effort"] = typed.reasoning_effort
    return output
