"""An OpenAI Chat Completions request as a Cohere v2 chat request (`POST /v2/chat`).

What changes shape, and the choices made where the APIs differ:

- Messages keep their order and roles: `system` and `developer` become Cohere
  `system` messages where they stood; tool messages stay one per result with
  their `tool_call_id`, so parallel results follow their calls unchanged.
- An assistant turn with tool calls sends its text as Cohere's `tool_plan`
  (answers put the plan into `content`, see `cohere_stream.py`, so a client
  that sends its history back returns the plan where Cohere wants it); each
  call keeps its id, name and arguments string. An assistant turn with
  neither text nor calls is left out (Cohere refuses empty messages).
- Images: Cohere's vision models take `image_url` parts with base64 data URLs
  and web URLs (Cohere fetches those itself) and OpenAI's `detail`, so parts
  pass as they are; a data URL is checked first. Audio and files are refused.
- Tools are function tools with JSON-schema `parameters` (an empty object
  schema when none is given). OpenAI's per-function `strict` becomes Cohere's
  request-wide `strict_tools: true` when any function asks for it.
- `tool_choice`: `auto` is Cohere's default and is not sent, `none` is `NONE`,
  `required` is `REQUIRED`. Cohere cannot name one function, so a named choice
  narrows `tools` to that function and sends `REQUIRED`; `allowed_tools`
  narrows `tools` the same way, `REQUIRED` or auto per its mode.
  `parallel_tool_calls: false` cannot be honoured (Cohere may always call
  several tools) and goes through the unsupported-parameter policy.
- `max_completion_tokens`, else `max_tokens`, is `max_tokens`; `stop` is
  `stop_sequences`; `seed` passes. `temperature` passes as it is: Cohere takes
  any non-negative temperature, so OpenAI's 0..2 fits.
- `top_p` is Cohere's `p`, whose range is 0.01..0.99: a value outside it is
  moved to the nearest bound (top_p 1, "no cut", becomes 0.99).
- `frequency_penalty` and `presence_penalty` are 0..1 at Cohere (-2..2 at
  OpenAI): 0 is not sent, a negative value or one above 1 is a 400.
- `response_format` `json_object` is `{"type": "json_object"}`; `json_schema`
  is `{"type": "json_object", "json_schema": <schema>}`.
- Cohere's own sampling and safety fields pass through when a client sends
  them as extras: `k` (OpenAI-style `top_k` is sent as `k`), `safety_mode`,
  `thinking` and `strict_tools`.
- Bookkeeping with no effect on the answer (`user`, `metadata`, `store`,
  `service_tier`, ...) is left out without a word; what Cohere cannot do
  (`n` > 1, `logprobs`, `logit_bias`, ...) and other extras go through the
  model's unsupported-parameter policy.
"""

from __future__ import annotations

from typing import Any

import orjson

from aigw_router.adapters._chat_request import allowed_tool_names
from aigw_router.adapters._images import inline_image
from aigw_router.adapters._params import RequestFields, refuse_value
from aigw_router.adapters.base import ChatCall
from aigw_runtime.errors import InvalidRequestError
from aigw_runtime.openai_chat import (
    AllowedToolsChoice,
    AssistantMessage,
    AudioPart,
    ChatCompletionRequest,
    CustomTool,
    DeveloperMessage,
    FilePart,
    FunctionMessage,
    ImagePart,
    JsonObjectFormat,
    JsonSchemaFormat,
    NamedToolChoice,
    RefusalPart,
    SystemMessage,
    TextPart,
    ToolMessage,
    UserMessage,
    decode_chat_request,
)

MIN_P = 0.01
MAX_P = 0.99
MAX_PENALTY = 1.0

# Read and translated below.
_TRANSLATED = frozenset(
    {
        "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens",
        "temperature", "top_p", "stop", "seed", "frequency_penalty", "presence_penalty", "tools",
        "tool_choice", "parallel_tool_calls", "response_format",
    }
)  # fmt: skip
# OpenAI-side bookkeeping with no effect on the answer: left out without a word.
_IGNORED = frozenset(
    {
        "user", "safety_identifier", "store", "metadata", "service_tier", "prompt_cache_key",
        "prompt_cache_retention",
    }
)  # fmt: skip
# Cohere's own request fields, passed through when a client sends them (top_k under Cohere's name).
_NATIVE_EXTRAS = {"k": "k", "top_k": "k", "safety_mode": "safety_mode", "thinking": "thinking"}
# What Cohere cannot do, in the order a refusal names them.
UNSUPPORTED = (
    "n", "logprobs", "top_logprobs", "logit_bias", "parallel_tool_calls", "reasoning_effort", "verbosity",
    "modalities", "audio", "prediction", "web_search_options", "functions", "function_call",
)  # fmt: skip
_FIELDS = RequestFields(
    handled=_TRANSLATED | _IGNORED | frozenset(_NATIVE_EXTRAS) | {"strict_tools"},
    unsupported=UNSUPPORTED,
    # Values that ask for nothing beyond Cohere's behaviour, so they count as absent.
    neutral={"n": 1, "logprobs": False, "parallel_tool_calls": True, "modalities": ["text"]},
)


def _policy(request: dict[str, Any], call: ChatCall, provider: str) -> dict[str, Any]:
    """Applies the unsupported-parameter policy; returns the native extras to pass through."""
    _FIELDS.apply_policy(request, provider, call.policy)
    passed: dict[str, Any] = {}
    for name, native in _NATIVE_EXTRAS.items():
        if request.get(name) is not None:
            passed[native] = request[name]
    if request.get("strict_tools") is not None:
        passed["strict_tools"] = request["strict_tools"]
    return passed


def _text_parts(content: str | list[TextPart]) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    return [{"type": "text", "text": part.text} for part in content]


def _is_blank(content: str | list[TextPart]) -> bool:
    texts = [content] if isinstance(content, str) else [part.text for part in content]
    return not any(text.strip() for text in texts)


def _image(part: ImagePart, param: str) -> dict[str, Any]:
    url = part.image_url.url
    inline_image(url, param)  # checked here; Cohere fetches a web URL itself
    image: dict[str, Any] = {"url": url}
    if part.image_url.detail is not None:
        image["detail"] = part.image_url.detail
    return {"type": "image_url", "image_url": image}


def _user(message: UserMessage, index: int) -> dict[str, Any]:
    if isinstance(message.content, str):
        return {"role": "user", "content": message.content}
    parts: list[dict[str, Any]] = []
    for number, part in enumerate(message.content):
        param = f"messages[{index}].content[{number}]"
        if isinstance(part, TextPart):
            parts.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            parts.append(_image(part, f"{param}.image_url.url"))
        elif isinstance(part, AudioPart):
            raise refuse_value(param, "Cohere does not accept audio input.")
        elif isinstance(part, FilePart):
            raise refuse_value(param, "Cohere does not accept file parts; send the text or images instead.")
    return {"role": "user", "content": parts}


def _assistant_text(message: AssistantMessage) -> str:
    if isinstance(message.content, str):
        text = message.content
    elif message.content:
        parts = message.content
        text = "".join(part.refusal if isinstance(part, RefusalPart) else part.text for part in parts)
    else:
        text = ""
    return text or message.refusal or ""


def _assistant(message: AssistantMessage, index: int) -> dict[str, Any] | None:
    if message.function_call is not None:
        raise refuse_value(f"messages[{index}].function_call", "Use tool_calls instead of function_call.")
    text = _assistant_text(message)
    if not message.tool_calls:
        return {"role": "assistant", "content": text} if text else None
    native: dict[str, Any] = {"role": "assistant"}
    if text.strip():
        native["tool_plan"] = text
    native["tool_calls"] = [
        {
            "id": call.id,
            "type": "function",
            "function": {"name": call.function.name, "arguments": call.function.arguments or "{}"},
        }
        for call in message.tool_calls
    ]
    return native


def _messages(request: ChatCompletionRequest) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for index, message in enumerate(request.messages):
        if isinstance(message, SystemMessage | DeveloperMessage):
            if not _is_blank(message.content):
                messages.append({"role": "system", "content": _text_parts(message.content)})
        elif isinstance(message, UserMessage):
            messages.append(_user(message, index))
        elif isinstance(message, AssistantMessage):
            native = _assistant(message, index)
            if native is not None:
                messages.append(native)
        elif isinstance(message, ToolMessage):
            content = _text_parts(message.content)
            messages.append({"role": "tool", "tool_call_id": message.tool_call_id, "content": content})
        elif isinstance(message, FunctionMessage):
            raise refuse_value(f"messages[{index}].role", "Use tool messages instead of function messages.")
    return messages


def _tools(request: ChatCompletionRequest) -> tuple[list[dict[str, Any]], bool]:
    """Cohere's tools, and whether any function asked for strict arguments."""
    tools: list[dict[str, Any]] = []
    strict = False
    for index, tool in enumerate(request.tools or ()):
        if isinstance(tool, CustomTool):
            raise refuse_value(f"tools[{index}]", "Cohere supports function tools only, not custom tools.")
        function = tool.function
        native: dict[str, Any] = {"name": function.name}
        if function.description:
            native["description"] = function.description
        native["parameters"] = function.parameters or {"type": "object", "properties": {}}
        strict = strict or bool(function.strict)
        tools.append({"type": "function", "function": native})
    return tools, strict


def _narrow(tools: list[dict[str, Any]], names: set[str], what: str) -> None:
    tools[:] = [tool for tool in tools if tool["function"]["name"] in names]
    if not tools:
        raise refuse_value("tool_choice", f"{what} names none of the tools offered.")


def _tool_choice(request: ChatCompletionRequest, tools: list[dict[str, Any]]) -> str | None:
    """Cohere's tool_choice (None: its default, auto); narrows `tools` for a named or allowed choice."""
    choice = request.tool_choice
    if choice is None or choice == "auto":
        return None
    if choice == "none":
        return "NONE"
    if choice == "required":
        return "REQUIRED"
    if isinstance(choice, NamedToolChoice):
        _narrow(tools, {choice.function.name}, "tool_choice")
        return "REQUIRED"
    if isinstance(choice, AllowedToolsChoice):
        _narrow(tools, allowed_tool_names(choice.allowed_tools), "allowed_tools")
        return "REQUIRED" if choice.allowed_tools.get("mode") == "required" else None
    raise refuse_value("tool_choice", "Cohere supports function tools only, not custom tools.")


def _penalty(native: dict[str, Any], name: str, value: float | None) -> None:
    if value is None or value == 0:
        return
    if value < 0 or value > MAX_PENALTY:
        raise refuse_value(name, f"Cohere accepts a {name} between 0 and 1; {value:g} is out of range.")
    native[name] = value


def _output_controls(request: ChatCompletionRequest, native: dict[str, Any]) -> None:
    max_tokens = request.max_completion_tokens or request.max_tokens
    if max_tokens is not None:
        native["max_tokens"] = max_tokens
    if request.stop is not None:
        stops = [request.stop] if isinstance(request.stop, str) else request.stop
        if stops:
            native["stop_sequences"] = stops
    if request.temperature is not None:
        native["temperature"] = request.temperature
    if request.top_p is not None:
        native["p"] = min(max(request.top_p, MIN_P), MAX_P)
    if request.seed is not None:
        native["seed"] = request.seed
    _penalty(native, "frequency_penalty", request.frequency_penalty)
    _penalty(native, "presence_penalty", request.presence_penalty)
    response_format = request.response_format
    if isinstance(response_format, JsonObjectFormat):
        native["response_format"] = {"type": "json_object"}
    elif isinstance(response_format, JsonSchemaFormat):
        schema = response_format.json_schema.schema
        native["response_format"] = {"type": "json_object", **({"json_schema": schema} if schema else {})}


def translate_chat_request(call: ChatCall, provider: str) -> dict[str, Any]:
    """The Cohere v2 chat body for an OpenAI chat request (a 400 where it cannot be translated)."""
    raw = orjson.loads(call.body)
    passed = _policy(raw, call, provider)
    request = decode_chat_request(call.body)
    native: dict[str, Any] = {"model": call.upstream_model, "messages": _messages(request)}
    if not native["messages"]:
        raise InvalidRequestError("Cohere needs at least one message with content.", param="messages")
    tools, strict = _tools(request)
    if tools:
        choice = _tool_choice(request, tools)
        native["tools"] = tools
        if choice is not None:
            native["tool_choice"] = choice
        if strict:
            native["strict_tools"] = True
    elif request.tool_choice == "required" or isinstance(request.tool_choice, NamedToolChoice):
        raise refuse_value("tool_choice", "tool_choice asks for a tool call, but no tools are offered.")
    _output_controls(request, native)
    native.update(passed)
    native["stream"] = call.stream
    return native
