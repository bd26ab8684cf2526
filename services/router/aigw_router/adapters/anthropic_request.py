"""An OpenAI Chat Completions request as an Anthropic Messages request.

What changes shape, and the choices made where the APIs differ:

- `system` and `developer` messages become the top-level `system`, as text
  blocks in their order (Anthropic has no system turn, so where they stood in
  the conversation is lost).
- Turns alternate: consecutive messages of one role are merged into one turn
  with several content blocks; tool messages become `tool_result` blocks of a
  user turn, so parallel results share ONE user turn, and a turn's tool
  results come before its other blocks (Anthropic refuses a turn after
  tool_use that does not begin with them). Assistant tool calls become
  `tool_use` blocks with the call id and the parsed JSON input. Ids are kept,
  except that characters Anthropic's id pattern refuses become `_` (the same
  on both sides, so pairs still match).
- A final assistant message is Anthropic's prefill, which must not end with
  whitespace: its last text is right-stripped.
- Images: a base64 data URL becomes a base64 source; an http(s) URL becomes a
  url source, which Anthropic fetches itself, so the gateway never does. A
  PDF data URL in a `file` part becomes a document block.
- `max_tokens` is required: `max_completion_tokens`, else `max_tokens`, else
  `DEFAULT_MAX_TOKENS`.
- Sampling: requests carry `anthropic-version: 2023-06-01`, the version under
  which `temperature`, `top_p` and `stop_sequences` are defined (version
  2026-10-21 removed temperature and top_p). `temperature` is 0..1 at
  Anthropic and 0..2 at OpenAI: a value above 1 is refused with a 400 rather
  than rescaled, so a temperature means the same thing on every deployment of
  a model. Models that refuse a sampling parameter (or temperature and top_p
  together) answer with their own 400, which reaches the client.
- `response_format` `json_schema` becomes structured output
  (`output_config.format`, generally available: no beta header); `json_object`
  is refused, since Anthropic's structured output needs a schema.
- `user` (or `safety_identifier`) becomes `metadata.user_id`.
- `n` other than 1 is refused whatever the policy (one answer only).
  Parameters Anthropic has no equivalent for (`seed`, `logprobs`, penalties,
  ...) and unknown extras go through the model's unsupported-parameter policy
  (refused, or dropped).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from aigw_router.adapters._chat_request import add_turn, allowed_tool_names, arguments_object
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
    ToolCall,
    ToolMessage,
    UserMessage,
    decode_chat_request,
)

DEFAULT_MAX_TOKENS = 4096
"""max_tokens sent when the client set none: Anthropic requires one; every current model allows this many."""

MAX_TEMPERATURE = 1.0

# Read and translated below.
_TRANSLATED = frozenset(
    {
        "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens",
        "temperature", "top_p", "stop", "tools", "tool_choice", "parallel_tool_calls",
        "response_format", "user", "safety_identifier",
    }
)  # fmt: skip
# OpenAI-side bookkeeping with no effect on the answer: left out without a word.
_IGNORED = frozenset({"store", "metadata", "service_tier", "prompt_cache_key", "prompt_cache_retention"})
# What Anthropic cannot do, in the order a refusal names them.
UNSUPPORTED = (
    "seed", "logprobs", "top_logprobs", "presence_penalty", "frequency_penalty", "logit_bias",
    "reasoning_effort", "verbosity", "modalities", "audio", "prediction", "web_search_options",
    "functions", "function_call",
)  # fmt: skip
_FIELDS = RequestFields(
    handled=_TRANSLATED | _IGNORED,
    unsupported=UNSUPPORTED,
    # Values that ask for nothing beyond the default, so they count as absent.
    neutral={"logprobs": False, "presence_penalty": 0, "frequency_penalty": 0, "modalities": ["text"]},
)

_TOOL_ID_INVALID = re.compile(r"[^a-zA-Z0-9_-]")
_PDF = "application/pdf"


def _text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def tool_id(call_id: str) -> str:
    """A tool call id as Anthropic's pattern `^[a-zA-Z0-9_-]+$` accepts it."""
    return _TOOL_ID_INVALID.sub("_", call_id) or "_"


def _texts(content: str | list[TextPart]) -> list[str]:
    """The non-blank texts of a content (Anthropic refuses blank text blocks)."""
    parts = [content] if isinstance(content, str) else [part.text for part in content]
    return [text for text in parts if text.strip()]


def _policy(request: dict[str, Any], call: ChatCall, provider: str) -> None:
    choices = request.pop("n", None)
    if choices is not None and choices != 1:
        raise refuse_value("n", "Anthropic returns one choice only; n must be 1.")
    _FIELDS.apply_policy(request, provider, call.policy)


class _Conversation:
    """Anthropic's `system` and alternating `messages`, built one OpenAI message at a time."""

    def __init__(self) -> None:
        self.system: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []

    def add(self, role: str, blocks: list[dict[str, Any]]) -> None:
        if blocks:
            add_turn(self.messages, role, "content", blocks)
            # A turn's tool results come first (the sort is stable).
            self.messages[-1]["content"].sort(key=lambda block: block["type"] != "tool_result")


def _image(url: str, param: str) -> dict[str, Any]:
    inline = inline_image(url, param)
    if inline is not None:
        source = {"type": "base64", "media_type": inline.media_type, "data": url.partition(",")[2]}
        return {"type": "image", "source": source}
    return {"type": "image", "source": {"type": "url", "url": url}}


def _document(part: FilePart, param: str) -> dict[str, Any]:
    data = part.file.file_data or ""
    header, comma, payload = data.partition(",")
    if part.file.file_id is not None or not comma or header != f"data:{_PDF};base64":
        raise refuse_value(
            param, "Anthropic accepts files only as PDF data URLs (data:application/pdf;base64,...)."
        )
    block: dict[str, Any] = {
        "type": "document",
        "source": {"type": "base64", "media_type": _PDF, "data": payload},
    }
    if part.file.filename:
        block["title"] = part.file.filename
    return block


def _user_blocks(message: UserMessage, index: int) -> list[dict[str, Any]]:
    if isinstance(message.content, str):
        return [_text_block(text) for text in _texts(message.content)]
    blocks: list[dict[str, Any]] = []
    for number, part in enumerate(message.content):
        param = f"messages[{index}].content[{number}]"
        if isinstance(part, TextPart):
            blocks.extend(_text_block(text) for text in _texts(part.text))
        elif isinstance(part, ImagePart):
            blocks.append(_image(part.image_url.url, f"{param}.image_url.url"))
        elif isinstance(part, FilePart):
            blocks.append(_document(part, param))
        elif isinstance(part, AudioPart):
            raise refuse_value(param, "Anthropic does not accept audio input.")
    return blocks


def _tool_use(call: ToolCall, param: str) -> dict[str, Any]:
    arguments = arguments_object(
        call.function.arguments,
        f"{param}.function.arguments",
        "Tool call arguments must be a JSON object for Anthropic.",
    )
    return {"type": "tool_use", "id": tool_id(call.id), "name": call.function.name, "input": arguments}


def _assistant_blocks(message: AssistantMessage, index: int) -> list[dict[str, Any]]:
    if message.function_call is not None:
        raise refuse_value(f"messages[{index}].function_call", "Use tool_calls instead of function_call.")
    texts: list[str] = []
    if isinstance(message.content, str):
        texts = _texts(message.content)
    elif message.content:
        for part in message.content:
            texts.extend(_texts(part.refusal if isinstance(part, RefusalPart) else part.text))
    if not texts and message.refusal:
        texts = _texts(message.refusal)
    blocks = [_text_block(text) for text in texts]
    for number, call in enumerate(message.tool_calls or ()):
        blocks.append(_tool_use(call, f"messages[{index}].tool_calls[{number}]"))
    return blocks


def _tool_result(message: ToolMessage) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_id(message.tool_call_id)}
    if isinstance(message.content, str):
        if message.content.strip():
            block["content"] = message.content
    else:
        texts = _texts(message.content)
        if texts:
            block["content"] = [_text_block(text) for text in texts]
    return block


def _conversation(request: ChatCompletionRequest) -> _Conversation:
    conversation = _Conversation()
    for index, message in enumerate(request.messages):
        if isinstance(message, SystemMessage | DeveloperMessage):
            conversation.system.extend(_text_block(text) for text in _texts(message.content))
        elif isinstance(message, UserMessage):
            conversation.add("user", _user_blocks(message, index))
        elif isinstance(message, AssistantMessage):
            conversation.add("assistant", _assistant_blocks(message, index))
        elif isinstance(message, ToolMessage):
            conversation.add("user", [_tool_result(message)])
        elif isinstance(message, FunctionMessage):
            raise refuse_value(f"messages[{index}].role", "Use tool messages instead of function messages.")
    if not conversation.messages:
        raise InvalidRequestError(
            "Anthropic needs at least one user or assistant message with content.", param="messages"
        )
    last = conversation.messages[-1]
    if last["role"] == "assistant" and last["content"][-1]["type"] == "text":
        last["content"][-1]["text"] = last["content"][-1]["text"].rstrip()
    return conversation


def _input_schema(parameters: dict[str, Any] | None) -> dict[str, Any]:
    schema = dict(parameters) if parameters else {"properties": {}}
    schema.setdefault("type", "object")
    return schema


def _tools(request: ChatCompletionRequest) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = []
    for index, tool in enumerate(request.tools or ()):
        if isinstance(tool, CustomTool):
            raise refuse_value(f"tools[{index}]", "Anthropic supports function tools only, not custom tools.")
        function = tool.function
        native: dict[str, Any] = {"name": function.name}
        if function.description:
            native["description"] = function.description
        native["input_schema"] = _input_schema(function.parameters)
        if function.strict:
            native["strict"] = True
        tools.append(native)
    return tools


def _tool_choice(request: ChatCompletionRequest, tools: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Anthropic's tool_choice, or None where its default (auto) says the same.

    `allowed_tools` narrows `tools` in place to the tools it allows.
    """
    choice = request.tool_choice
    native: dict[str, Any]
    if choice == "none":
        return {"type": "none"}  # takes no disable_parallel_tool_use
    if choice is None or choice == "auto":
        native = {"type": "auto"}
    elif choice == "required":
        native = {"type": "any"}
    elif isinstance(choice, NamedToolChoice):
        native = {"type": "tool", "name": choice.function.name}
    elif isinstance(choice, AllowedToolsChoice):
        names = allowed_tool_names(choice.allowed_tools)
        tools[:] = [tool for tool in tools if tool["name"] in names]
        if not tools:
            raise refuse_value("tool_choice", "allowed_tools names none of the tools offered.")
        native = {"type": "any" if choice.allowed_tools.get("mode") == "required" else "auto"}
    else:
        raise refuse_value("tool_choice", "Anthropic supports function tools only, not custom tools.")
    if request.parallel_tool_calls is False:
        native["disable_parallel_tool_use"] = True
    return None if native == {"type": "auto"} else native


def _output_controls(request: ChatCompletionRequest, native: dict[str, Any]) -> None:
    if request.temperature is not None:
        if request.temperature > MAX_TEMPERATURE:
            raise refuse_value(
                "temperature",
                f"Anthropic accepts a temperature between 0 and 1; {request.temperature:g} is out of range.",
            )
        native["temperature"] = request.temperature
    if request.top_p is not None:
        native["top_p"] = request.top_p
    if request.stop is not None:
        stops = [request.stop] if isinstance(request.stop, str) else request.stop
        if stops:
            native["stop_sequences"] = stops
    response_format = request.response_format
    if isinstance(response_format, JsonObjectFormat):
        raise refuse_value(
            "response_format",
            "Anthropic's structured output needs a schema: use response_format type json_schema.",
        )
    if isinstance(response_format, JsonSchemaFormat):
        schema = response_format.json_schema.schema
        if not schema:
            raise refuse_value("response_format.json_schema.schema", "A JSON schema is required.")
        native["output_config"] = {"format": {"type": "json_schema", "schema": schema}}


def translate_chat_request(call: ChatCall, provider: str) -> dict[str, Any]:
    """The Messages request body for an OpenAI chat request (a 400 where it cannot be translated)."""
    raw = orjson.loads(call.body)
    _policy(raw, call, provider)
    request = decode_chat_request(call.body)
    conversation = _conversation(request)
    native: dict[str, Any] = {
        "model": call.upstream_model,
        "max_tokens": request.max_completion_tokens or request.max_tokens or DEFAULT_MAX_TOKENS,
    }
    if conversation.system:
        native["system"] = conversation.system
    native["messages"] = conversation.messages
    tools = _tools(request)
    if tools:
        choice = _tool_choice(request, tools)
        native["tools"] = tools
        if choice is not None:
            native["tool_choice"] = choice
    _output_controls(request, native)
    user = request.user or raw.get("safety_identifier")
    if isinstance(user, str) and user:
        native["metadata"] = {"user_id": user}
    if call.stream:
        native["stream"] = True
    return native
