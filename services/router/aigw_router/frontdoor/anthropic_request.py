"""Anthropic Messages request → OpenAI chat request, for every deployment that is not Claude.

The result is the canonical request every adapter speaks (it passes
`aigw_runtime.openai_chat.decode_chat_request`). What maps, and how:

- `system` (string or text blocks) and `role: "system"` turns → system messages.
- User text, images (base64 → data URL, url → image_url) and documents (plain
  text → text, base64 PDF → a `file` part with a data URL, a `content` source →
  its blocks) → user content; `search_result` blocks → text.
- `tool_result` blocks → one `tool` message each, in order, BEFORE the rest of
  the user turn (OpenAI requires tool answers right after the assistant's
  calls). A tool message holds the result's text; `is_error: true` prefixes it
  with "Tool error: " (OpenAI has no error flag). Images in a result cannot go
  in a tool message: they follow in the user message of the same turn, and the
  tool message says so.
- Assistant text and `tool_use` → one assistant message with `content` and
  `tool_calls` (arguments = the JSON of `input`, the tool_use id kept as the
  call id). Thinking blocks are dropped: they are Claude's signed reasoning,
  meaningless to another model.
- `tools` → function tools (`strict` kept); `tool_choice` auto/any/tool/none →
  auto/required/named/none; `disable_parallel_tool_use` → `parallel_tool_calls: false`.
- `max_tokens` → `max_tokens` (not `max_completion_tokens`: every
  OpenAI-compatible server and adapter reads it); `stop_sequences` → `stop`
  (at most 4, like OpenAI); `temperature`, `top_p` as they are;
  `output_config.format` → a strict `json_schema` response format. A streamed
  call (the router's decision, not the body's `stream`) asks for usage.
- A count_tokens body (`CountTokensRequest`: the same input, no `max_tokens`
  and no sampling) becomes a chat request without any of them, so a
  provider's token count is asked for exactly the input, with no invented
  limit.

Dropped, because they are hints another model cannot follow and refusing them
would break every agent that sends them by default: `top_k` (OpenAI has no
top-k sampling), `thinking` and `output_config.effort` (Claude's reasoning
controls), `cache_control` and Claude's hosting options (`service_tier`,
`inference_geo`, `speed`, ...), and `metadata.user_id` (a label only; as
OpenAI's `user` it would be refused by providers that do not define `user`,
and coding agents send it on every request). Refused with a 400, because dropping them would
change what the request means: server tools (any tool with a `type` other than
"custom") and server-tool blocks, Files API sources, document URLs,
`mcp_servers`, `container`, and `max_tokens: 0` (cache warming).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from aigw_runtime.anthropic_messages import (
    AssistantMessage,
    Base64ImageSource,
    Base64PdfSource,
    BrowserStateBlock,
    ContentBlock,
    ContentSource,
    DocumentBlock,
    FileSource,
    ImageBlock,
    MessagesInput,
    MessagesRequest,
    PlainTextSource,
    RedactedThinkingBlock,
    SearchResultBlock,
    SystemMessage,
    TextBlock,
    ThinkingBlock,
    Tool,
    ToolChoiceAny,
    ToolChoiceAuto,
    ToolChoiceNone,
    ToolChoiceTool,
    ToolReferenceBlock,
    ToolResultBlock,
    ToolResultContent,
    ToolUseBlock,
    UrlSource,
)
from aigw_runtime.errors import InvalidRequestError

# OpenAI's limit on function names and on stop sequences.
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_MAX_STOP = 4
# Top-level fields that need Anthropic's own servers.
_CLAUDE_ONLY_FIELDS = ("mcp_servers", "container")
TOOL_ERROR_PREFIX = "Tool error: "

Part = dict[str, Any]


def _refuse(param: str, message: str) -> InvalidRequestError:
    return InvalidRequestError(message, param=param, code="unsupported_on_deployment")


def _only_claude(param: str, what: str) -> InvalidRequestError:
    return _refuse(param, f"{what} is only supported on Claude deployments; this model is served elsewhere.")


def _content(parts: list[Part]) -> str | list[Part]:
    """A single text part as a plain string (what every server reads), anything else as parts."""
    if len(parts) == 1 and parts[0]["type"] == "text":
        text: str = parts[0]["text"]
        return text
    return parts


def _text(text: str) -> Part:
    return {"type": "text", "text": text}


def _image(block: ImageBlock, param: str) -> Part:
    source = block.source
    if isinstance(source, Base64ImageSource):
        url = f"data:{source.media_type};base64,{source.data}"
    elif isinstance(source, UrlSource):
        url = source.url
    else:
        raise _only_claude(f"{param}.source", "An image from Anthropic's Files API")
    return {"type": "image_url", "image_url": {"url": url}}


def _document(block: DocumentBlock, param: str) -> list[Part]:
    source = block.source
    heading = [_text(block.title)] if block.title else []
    if isinstance(source, PlainTextSource):
        return [*heading, _text(source.data)]
    if isinstance(source, Base64PdfSource):
        file: dict[str, str] = {"file_data": f"data:application/pdf;base64,{source.data}"}
        if block.title:
            file["filename"] = block.title
        return [{"type": "file", "file": file}]
    if isinstance(source, ContentSource):
        if isinstance(source.content, str):
            return [*heading, _text(source.content)]
        return [*heading, *_plain_blocks(source.content, f"{param}.source.content")]
    kind = "A document from Anthropic's Files API" if isinstance(source, FileSource) else "A document URL"
    raise _only_claude(f"{param}.source", kind)


def _search_result(block: SearchResultBlock) -> Part:
    body = "\n".join(text.text for text in block.content)
    return _text(f"{block.title} ({block.source})\n{body}")


def _plain_blocks(blocks: list[TextBlock | ImageBlock], param: str) -> list[Part]:
    return [
        _text(block.text) if isinstance(block, TextBlock) else _image(block, f"{param}[{index}]")
        for index, block in enumerate(blocks)
    ]


def _user_part(block: ContentBlock | ToolResultContent, param: str) -> list[Part]:
    """The OpenAI parts for one block a user may send (besides tool results)."""
    if isinstance(block, TextBlock):
        return [_text(block.text)]
    if isinstance(block, ImageBlock):
        return [_image(block, param)]
    if isinstance(block, DocumentBlock):
        return _document(block, param)
    if isinstance(block, SearchResultBlock):
        return [_search_result(block)]
    if isinstance(block, ToolUseBlock):
        raise InvalidRequestError(
            "A tool_use block belongs in an assistant message.", param=f"{param}.type", code="invalid_value"
        )
    if isinstance(block, ThinkingBlock | RedactedThinkingBlock):
        return []
    if isinstance(block, ToolReferenceBlock | BrowserStateBlock):
        raise _only_claude(f"{param}.type", f"A {block.__struct_config__.tag} block")
    raise _only_claude(f"{param}.type", f"A {block.__struct_config__.tag} block (a server tool's)")


def _tool_result(block: ToolResultBlock, param: str) -> tuple[Part, list[Part]]:
    """The tool message for one result, and the images it carried (they go in the user message)."""
    content = block.content
    texts: list[Part] = []
    images: list[Part] = []
    if isinstance(content, str):
        texts.append(_text(content))
    elif content is not None:
        for index, item in enumerate(content):
            for part in _user_part(item, f"{param}.content[{index}]"):
                (texts if part["type"] == "text" else images).append(part)
    if images:
        texts.append(_text(f"[The tool returned {len(images)} attachment(s); see the next user message.]"))
    if block.is_error:
        first = texts[0]["text"] if texts else ""
        texts[:1] = [_text(TOOL_ERROR_PREFIX + first)]
    return {
        "role": "tool",
        "tool_call_id": block.tool_use_id,
        "content": _content(texts) if texts else "",
    }, images


def _user_turn(content: str | list[ContentBlock], param: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    tool_messages: list[dict[str, Any]] = []
    attachments: list[Part] = []
    parts: list[Part] = []
    for index, block in enumerate(content):
        where = f"{param}[{index}]"
        if isinstance(block, ToolResultBlock):
            message, images = _tool_result(block, where)
            tool_messages.append(message)
            attachments.extend(images)
        else:
            parts.extend(_user_part(block, where))
    rest = attachments + parts
    return tool_messages + ([{"role": "user", "content": _content(rest)}] if rest else [])


def _assistant_turn(content: str | list[ContentBlock], param: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"role": "assistant", "content": content}]
    texts: list[Part] = []
    calls: list[dict[str, Any]] = []
    for index, block in enumerate(content):
        where = f"{param}[{index}]"
        if isinstance(block, TextBlock):
            texts.append(_text(block.text))
        elif isinstance(block, ToolUseBlock):
            arguments = orjson.dumps(block.input).decode()
            calls.append(
                {"id": block.id, "type": "function", "function": {"name": block.name, "arguments": arguments}}
            )
        elif isinstance(block, ThinkingBlock | RedactedThinkingBlock):
            continue
        elif isinstance(block, ToolResultBlock):
            raise InvalidRequestError(
                "A tool_result block belongs in a user message.", param=f"{where}.type", code="invalid_value"
            )
        else:
            raise _only_claude(f"{where}.type", f"A {block.__struct_config__.tag} block in an assistant turn")
    if not texts and not calls:
        return []
    message: dict[str, Any] = {"role": "assistant", "content": _content(texts) if texts else None}
    if calls:
        message["tool_calls"] = calls
    return [message]


def _system_content(system: str | list[TextBlock]) -> str | list[Part]:
    if isinstance(system, str):
        return system
    return _content([_text(block.text) for block in system])


def _messages(request: MessagesInput) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    if request.system:
        messages.append({"role": "system", "content": _system_content(request.system)})
    for index, message in enumerate(request.messages):
        param = f"messages[{index}].content"
        if isinstance(message, SystemMessage):
            messages.append({"role": "system", "content": _system_content(message.content)})
        elif isinstance(message, AssistantMessage):
            messages.extend(_assistant_turn(message.content, param))
        else:
            messages.extend(_user_turn(message.content, param))
    return messages


def _function_tool(tool: Tool, param: str) -> dict[str, Any]:
    if not tool.is_client_tool:
        raise _refuse(
            f"{param}.type",
            f"Tool type '{tool.type}' is a server tool that Anthropic runs; it is only supported on "
            "Claude deployments. Define a client tool (name, description, input_schema) instead.",
        )
    name = tool.name or ""
    if not _TOOL_NAME.match(name):
        raise InvalidRequestError(
            "A tool name must be 1 to 64 letters, digits, '_' or '-' for this model.",
            param=f"{param}.name",
            code="invalid_value",
        )
    function: dict[str, Any] = {"name": name, "parameters": tool.input_schema}
    if tool.description is not None:
        function["description"] = tool.description
    if tool.strict is not None:
        function["strict"] = tool.strict
    return {"type": "function", "function": function}


def _apply_tools(request: MessagesInput, chat: dict[str, Any]) -> None:
    tools = [_function_tool(tool, f"tools[{index}]") for index, tool in enumerate(request.tools or [])]
    choice = request.tool_choice
    if tools:
        chat["tools"] = tools
    if choice is None or (isinstance(choice, ToolChoiceNone | ToolChoiceAuto) and not tools):
        return  # "auto" or "none" without tools asks for nothing, and OpenAI refuses it without tools
    if not tools:
        raise InvalidRequestError(
            "tool_choice requires tools.", param="tool_choice.type", code="invalid_value"
        )
    if isinstance(choice, ToolChoiceNone):
        chat["tool_choice"] = "none"
        return
    if isinstance(choice, ToolChoiceAuto):
        chat["tool_choice"] = "auto"
    elif isinstance(choice, ToolChoiceAny):
        chat["tool_choice"] = "required"
    elif isinstance(choice, ToolChoiceTool):
        if choice.name not in {tool["function"]["name"] for tool in tools}:
            raise InvalidRequestError(
                f"tool_choice names the tool '{choice.name}', which is not in tools.",
                param="tool_choice.name",
                code="invalid_value",
            )
        chat["tool_choice"] = {"type": "function", "function": {"name": choice.name}}
    if choice.disable_parallel_tool_use:
        chat["parallel_tool_calls"] = False


def _apply_sampling(request: MessagesRequest, chat: dict[str, Any]) -> None:
    if request.max_tokens == 0:
        raise _only_claude("max_tokens", "max_tokens 0 (prompt cache warming)")
    chat["max_tokens"] = request.max_tokens
    if request.stop_sequences:
        if len(request.stop_sequences) > _MAX_STOP:
            raise _refuse(
                "stop_sequences", f"This model accepts at most {_MAX_STOP} stop_sequences on this deployment."
            )
        chat["stop"] = list(request.stop_sequences)
    if request.temperature is not None:
        chat["temperature"] = request.temperature
    if request.top_p is not None:
        chat["top_p"] = request.top_p


def _apply_output_format(request: MessagesInput, chat: dict[str, Any]) -> None:
    output_format = request.output_config.format if request.output_config else None
    if output_format is not None:
        chat["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "output", "schema": output_format.schema, "strict": True},
        }


def messages_to_chat(request: MessagesInput, raw: dict[str, Any], *, stream: bool) -> dict[str, Any]:
    """The OpenAI chat request for an Anthropic Messages (or count_tokens) request (`raw`: its decoded JSON).

    Raises a 400 `InvalidRequestError` naming the field for what only Claude can do.
    """
    for field in _CLAUDE_ONLY_FIELDS:
        if raw.get(field):
            raise _only_claude(field, f"'{field}'")
    chat: dict[str, Any] = {"model": request.model, "messages": _messages(request)}
    if not chat["messages"]:
        raise InvalidRequestError(
            "The request has no content another model can read.", param="messages", code="invalid_value"
        )
    _apply_tools(request, chat)
    if isinstance(request, MessagesRequest):
        _apply_sampling(request, chat)
    _apply_output_format(request, chat)
    if stream:
        chat["stream"] = True
        chat["stream_options"] = {"include_usage": True}
    return chat
