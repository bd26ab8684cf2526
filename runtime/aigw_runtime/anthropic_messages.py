"""Anthropic's Messages API request (`POST /v1/messages`, `/v1/messages/count_tokens`) as msgspec structs.

The second front door: Anthropic SDK users and coding agents send these
bodies. The edge decodes each with `decode_messages_request` to reject a
malformed one with a precise 400 (in Anthropic's error envelope,
`anthropic_error_body`); the body itself travels on unchanged, so a Claude
deployment receives exactly what the client sent, fields aigw does not model
included. Other deployments get it translated into the canonical OpenAI chat
request (`aigw_router.frontdoor`).

Field names and shapes follow the official SDK's types (anthropic 2.13.0).
Unknown fields are allowed at every level, as in `openai_chat`. Every content
block type the SDK documents is accepted; the ones only Anthropic's servers
can act on (server tool calls and their results, Files API sources) are
modelled loosely, just enough to be recognised, because only a Claude
deployment will ever read them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
import orjson

from aigw_runtime.errors import GatewayError
from aigw_runtime.openai_chat import decode_body


class _Base(msgspec.Struct, omit_defaults=True, kw_only=True):
    pass


class _Block(_Base, kw_only=True, tag_field="type"):
    pass


# --- sources -------------------------------------------------------------------

ImageMediaType = Literal["image/jpeg", "image/png", "image/gif", "image/webp"]


class Base64ImageSource(_Base, kw_only=True, tag_field="type", tag="base64"):
    media_type: ImageMediaType
    data: Annotated[str, msgspec.Meta(min_length=1)]


class UrlSource(_Base, kw_only=True, tag_field="type", tag="url"):
    url: Annotated[str, msgspec.Meta(min_length=1)]


class FileSource(_Base, kw_only=True, tag_field="type", tag="file"):
    """A file uploaded with Anthropic's Files API: only Anthropic can resolve it."""

    file_id: str


class Base64PdfSource(_Base, kw_only=True, tag_field="type", tag="base64"):
    media_type: Literal["application/pdf"]
    data: Annotated[str, msgspec.Meta(min_length=1)]


class PlainTextSource(_Base, kw_only=True, tag_field="type", tag="text"):
    media_type: Literal["text/plain"]
    data: str


# --- content blocks --------------------------------------------------------------


class TextBlock(_Block, kw_only=True, tag="text"):
    text: str


class ImageBlock(_Block, kw_only=True, tag="image"):
    source: Base64ImageSource | UrlSource | FileSource


class ContentSource(_Base, kw_only=True, tag_field="type", tag="content"):
    """A document given as blocks of its own."""

    content: str | list[TextBlock | ImageBlock]


class DocumentBlock(_Block, kw_only=True, tag="document"):
    source: Base64PdfSource | PlainTextSource | ContentSource | UrlSource | FileSource
    title: str | None = None
    context: str | None = None


class SearchResultBlock(_Block, kw_only=True, tag="search_result"):
    source: str
    title: str
    content: list[TextBlock]


class ThinkingBlock(_Block, kw_only=True, tag="thinking"):
    """Claude's signed reasoning from an earlier turn, passed back unchanged."""

    thinking: str
    signature: str


class RedactedThinkingBlock(_Block, kw_only=True, tag="redacted_thinking"):
    data: str


class ToolUseBlock(_Block, kw_only=True, tag="tool_use"):
    id: Annotated[str, msgspec.Meta(min_length=1)]
    name: Annotated[str, msgspec.Meta(min_length=1)]
    input: dict[str, Any]


class ToolReferenceBlock(_Block, kw_only=True, tag="tool_reference"):
    """A tool found by Anthropic's tool search tool."""

    tool_name: str


class BrowserStateBlock(_Block, kw_only=True, tag="browser_state"):
    """The client's browser state after a browser toolset call; Anthropic renders it."""

    tabs: list[dict[str, Any]]


ToolResultContent = (
    TextBlock | ImageBlock | DocumentBlock | SearchResultBlock | ToolReferenceBlock | BrowserStateBlock
)


class ToolResultBlock(_Block, kw_only=True, tag="tool_result"):
    tool_use_id: Annotated[str, msgspec.Meta(min_length=1)]
    content: str | list[ToolResultContent] | None = None
    is_error: bool | None = None


class _ServerBlock(_Block, kw_only=True):
    """A block only Anthropic's servers produce or read (server tools, code execution containers)."""


class ServerToolUseBlock(_ServerBlock, kw_only=True, tag="server_tool_use"):
    id: str
    name: str


class WebSearchToolResultBlock(_ServerBlock, kw_only=True, tag="web_search_tool_result"):
    tool_use_id: str


class WebFetchToolResultBlock(_ServerBlock, kw_only=True, tag="web_fetch_tool_result"):
    tool_use_id: str


class CodeExecutionToolResultBlock(_ServerBlock, kw_only=True, tag="code_execution_tool_result"):
    tool_use_id: str


class BashCodeExecutionToolResultBlock(_ServerBlock, kw_only=True, tag="bash_code_execution_tool_result"):
    tool_use_id: str


class TextEditorCodeExecutionToolResultBlock(
    _ServerBlock, kw_only=True, tag="text_editor_code_execution_tool_result"
):
    tool_use_id: str


class ToolSearchToolResultBlock(_ServerBlock, kw_only=True, tag="tool_search_tool_result"):
    tool_use_id: str


class ContainerUploadBlock(_ServerBlock, kw_only=True, tag="container_upload"):
    file_id: str


ContentBlock = (
    TextBlock
    | ImageBlock
    | DocumentBlock
    | SearchResultBlock
    | ThinkingBlock
    | RedactedThinkingBlock
    | ToolUseBlock
    | ToolResultBlock
    | ServerToolUseBlock
    | WebSearchToolResultBlock
    | WebFetchToolResultBlock
    | CodeExecutionToolResultBlock
    | BashCodeExecutionToolResultBlock
    | TextEditorCodeExecutionToolResultBlock
    | ToolSearchToolResultBlock
    | ContainerUploadBlock
)


# --- messages ------------------------------------------------------------------


class UserMessage(_Base, kw_only=True, tag_field="role", tag="user"):
    content: str | list[ContentBlock]


class AssistantMessage(_Base, kw_only=True, tag_field="role", tag="assistant"):
    content: str | list[ContentBlock]


class SystemMessage(_Base, kw_only=True, tag_field="role", tag="system"):
    """A system turn inside `messages` (SDK 2.x `SystemMessageParam`), besides top-level `system`."""

    content: str | list[TextBlock]


Message = UserMessage | AssistantMessage | SystemMessage


# --- tools ---------------------------------------------------------------------


class Tool(_Base, kw_only=True):
    """A client tool (`type` absent or "custom") or a server tool (any other `type`).

    Server tools (`web_search_20250305`, `bash_20250124`, `computer_toolset_20260801`, ...) are
    run by Anthropic; they have their own versioned fields, so only `type` and `name` are read.
    """

    type: str | None = None
    name: Annotated[str, msgspec.Meta(min_length=1)] | None = None
    description: str | None = None
    input_schema: dict[str, Any] | None = None
    strict: bool | None = None

    @property
    def is_client_tool(self) -> bool:
        return self.type in (None, "custom")

    def __post_init__(self) -> None:
        # msgspec reports these with the path of the tool, like a missing field of its own.
        if self.is_client_tool:
            for field in ("name", "input_schema"):
                if getattr(self, field) is None:
                    raise ValueError(f"Object missing required field `{field}`")


class ToolChoiceAuto(_Base, kw_only=True, tag_field="type", tag="auto"):
    disable_parallel_tool_use: bool | None = None


class ToolChoiceAny(_Base, kw_only=True, tag_field="type", tag="any"):
    disable_parallel_tool_use: bool | None = None


class ToolChoiceTool(_Base, kw_only=True, tag_field="type", tag="tool"):
    name: str
    disable_parallel_tool_use: bool | None = None


class ToolChoiceNone(_Base, kw_only=True, tag_field="type", tag="none"):
    pass


ToolChoice = ToolChoiceAuto | ToolChoiceAny | ToolChoiceTool | ToolChoiceNone


# --- thinking and output -------------------------------------------------------


class ThinkingEnabled(_Base, kw_only=True, tag_field="type", tag="enabled"):
    budget_tokens: Annotated[int, msgspec.Meta(ge=1024)]
    display: Literal["summarized", "omitted"] | None = None


class ThinkingDisabled(_Base, kw_only=True, tag_field="type", tag="disabled"):
    pass


class ThinkingAdaptive(_Base, kw_only=True, tag_field="type", tag="adaptive"):
    display: Literal["summarized", "omitted"] | None = None


class ThinkingBetweenTools(_Base, kw_only=True, tag_field="type", tag="between_tools"):
    pass


ThinkingConfig = ThinkingEnabled | ThinkingDisabled | ThinkingAdaptive | ThinkingBetweenTools


class JsonOutputFormat(_Base, kw_only=True, tag_field="type", tag="json_schema"):
    schema: dict[str, Any]


class OutputConfig(_Base, kw_only=True):
    effort: Literal["low", "medium", "high", "xhigh", "max"] | None = None
    format: JsonOutputFormat | None = None


class Metadata(_Base, kw_only=True):
    user_id: str | None = None


# --- requests ------------------------------------------------------------------


class MessagesInput(_Base, kw_only=True):
    """What both endpoints read: the conversation, the tools and the model's configuration."""

    model: Annotated[str, msgspec.Meta(min_length=1)]
    messages: Annotated[list[Message], msgspec.Meta(min_length=1, max_length=100_000)]
    system: str | list[TextBlock] | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    thinking: ThinkingConfig | None = None
    output_config: OutputConfig | None = None


class MessagesRequest(MessagesInput, kw_only=True):
    """`POST /v1/messages`; unknown top-level fields are allowed and passed on to Claude."""

    # 0 is valid: it warms the prompt cache without generating.
    max_tokens: Annotated[int, msgspec.Meta(ge=0)]
    metadata: Metadata | None = None
    stop_sequences: list[str] | None = None
    stream: bool | None = None
    temperature: Annotated[float, msgspec.Meta(ge=0, le=1)] | None = None
    top_k: Annotated[int, msgspec.Meta(ge=0)] | None = None
    top_p: Annotated[float, msgspec.Meta(ge=0, le=1)] | None = None


class CountTokensRequest(MessagesInput, kw_only=True):
    """`POST /v1/messages/count_tokens`: the same input, nothing generated."""


_messages_decoder = msgspec.json.Decoder(MessagesRequest)
_count_tokens_decoder = msgspec.json.Decoder(CountTokensRequest)


def decode_messages_request(body: bytes) -> MessagesRequest:
    """Decodes and validates a `/v1/messages` body; a bad one raises a 400 naming the field."""
    return decode_body(_messages_decoder, body)


def decode_count_tokens_request(body: bytes) -> CountTokensRequest:
    """Decodes and validates a `/v1/messages/count_tokens` body, like `decode_messages_request`."""
    return decode_body(_count_tokens_decoder, body)


# --- Anthropic's error envelope --------------------------------------------------

# Anthropic's documented status table, plus the SDK's GatewayTimeoutErrorObject for 504.
_ERROR_TYPE_BY_STATUS: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def anthropic_error_type(status: int) -> str:
    """Anthropic's `error.type` for an HTTP status (other 4xx: invalid_request_error, 5xx: api_error)."""
    return _ERROR_TYPE_BY_STATUS.get(status, "api_error" if status >= 500 else "invalid_request_error")


def anthropic_error_body(error: GatewayError, status: int | None = None) -> bytes:
    """`{"type": "error", "error": {"type", "message"}}`, as Anthropic sends it.

    The type names `status` (the error's own unless the door answers with another).
    """
    kind = anthropic_error_type(error.status if status is None else status)
    return orjson.dumps({"type": "error", "error": {"type": kind, "message": error.message}})
