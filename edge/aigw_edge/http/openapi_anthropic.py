"""The Anthropic Messages door in the OpenAPI document: its paths, and its schemas prefixed `Anthropic`.

The request schemas are the ones the door validates with
(`aigw_runtime.anthropic_messages`); the prefix keeps them apart from the
OpenAI schemas of the same name (`TextBlock`, `Tool`, ...).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from aigw_runtime.anthropic_messages import CountTokensRequest, MessagesRequest

PREFIX = "Anthropic"


class ResponseTextBlock(msgspec.Struct, tag_field="type", tag="text"):
    text: str


class ResponseToolUseBlock(msgspec.Struct, tag_field="type", tag="tool_use"):
    id: str
    name: str
    input: dict[str, Any]


class Usage(msgspec.Struct):
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


class Message(msgspec.Struct):
    id: str
    type: Literal["message"]
    role: Literal["assistant"]
    model: str
    content: Annotated[
        list[ResponseTextBlock | ResponseToolUseBlock],
        msgspec.Meta(
            description="Text and tool_use blocks; a Claude deployment's answer passes through whole "
            "and may also hold its other block types (thinking, server tool results)."
        ),
    ]
    stop_reason: (
        Literal[
            "end_turn",
            "max_tokens",
            "stop_sequence",
            "tool_use",
            "pause_turn",
            "refusal",
            "model_context_window_exceeded",
        ]
        | None
    )
    stop_sequence: str | None
    usage: Usage


class TokenCount(msgspec.Struct):
    input_tokens: int


class ErrorObject(msgspec.Struct):
    type: str
    message: str


class ErrorResponse(msgspec.Struct):
    type: Literal["error"]
    error: ErrorObject


_TYPES = (MessagesRequest, CountTokensRequest, Message, TokenCount, ErrorResponse)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{PREFIX}{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): _json(_ref("ErrorResponse"), "Anthropic's error shape") for status in statuses}


def anthropic_components() -> dict[str, Any]:
    """The door's schemas, each named `Anthropic<name>`."""
    _, components = msgspec.json.schema_components(
        _TYPES, ref_template=f"#/components/schemas/{PREFIX}{{name}}"
    )
    return {PREFIX + name: schema for name, schema in components.items()}


def anthropic_paths(security: list[dict[str, list[str]]]) -> dict[str, Any]:
    """`POST /v1/messages` and `POST /v1/messages/count_tokens`."""
    message_answer = {
        "description": "A message; with `stream: true`, Anthropic's SSE events (`event:` and `data:` lines)",
        "content": {
            "application/json": {"schema": _ref("Message")},
            "text/event-stream": {"schema": {"type": "string"}},
        },
    }
    version_header = {
        "name": "anthropic-version",
        "in": "header",
        "required": False,
        "description": "Accepted and not required; the gateway sends its own version upstream.",
        "schema": {"type": "string"},
    }
    return {
        "/v1/messages": {
            "post": {
                "summary": "Create a message (Anthropic Messages API), with any model of the gateway",
                "operationId": "createMessage",
                "security": security,
                "parameters": [version_header],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("MessagesRequest")}},
                },
                "responses": {"200": message_answer, **_errors(400, 401, 404, 413, 429, 500, 502, 504, 529)},
            }
        },
        "/v1/messages/count_tokens": {
            "post": {
                "summary": "Count the input tokens of a message (Claude, Gemini, Vertex AI, Bedrock models)",
                "operationId": "countMessageTokens",
                "security": security,
                "parameters": [version_header],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("CountTokensRequest")}},
                },
                "responses": {
                    "200": _json(_ref("TokenCount"), "The count"),
                    **_errors(400, 401, 404, 429, 500, 502, 504, 529),
                },
            }
        },
    }
