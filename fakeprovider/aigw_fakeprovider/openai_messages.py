"""Validating OpenAI Chat Completions `messages` the way the real API does.

Checks each message's role, the fields its role requires and the content
parts its role allows (system, developer and tool: text; user: text, images,
audio, files; assistant: text and refusals, or null content with tool calls),
image URLs (http(s), or a base64 `data:` URL of png/jpeg/gif/webp that
decodes), and that tool results pair with the assistant's tool calls. Field
errors name the field as `messages[0].content`; the pairing errors use the
older `messages.[0].role` form, as the real API does for them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aigw_fakeprovider._fields import Fields
from aigw_fakeprovider.answers import Role, Turn
from aigw_fakeprovider.errors import InvalidRequestError
from aigw_fakeprovider.openai_fields import OPENAI, empty_array, invalid_type, invalid_value, non_empty_array

ROLES = ("system", "assistant", "user", "function", "tool", "developer")
_TURN_ROLE = {
    "system": Role.SYSTEM,
    "developer": Role.SYSTEM,
    "user": Role.USER,
    "assistant": Role.ASSISTANT,
    "tool": Role.TOOL,
    "function": Role.TOOL,
}
_TEXT_ONLY = ("text",)
_USER_PARTS = ("text", "image_url", "input_audio", "file")
_ASSISTANT_PARTS = ("text", "refusal")
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
_DATA_URL = re.compile(r"data:(?P<mime>[^;,]*)(?P<base64>;base64)?,(?P<data>.*)", re.DOTALL)
_DATA_URL_EXAMPLE = "'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='"


@dataclass(frozen=True, slots=True)
class _Message:
    turn: Turn
    tool_call_ids: tuple[str, ...] = ()
    answers_tool_call: str | None = None


@dataclass(frozen=True, slots=True)
class Conversation:
    """The validated messages as answer turns, plus all their text (for the JSON-mode check)."""

    turns: tuple[Turn, ...]

    def mentions(self, word: str) -> bool:
        return any(word in turn.text.lower() for turn in self.turns)


def parse_messages(messages: Sequence[Any]) -> Conversation:
    """Validates a non-empty `messages` array; raises `InvalidRequestError` like OpenAI."""
    parsed = [_message(index, message) for index, message in enumerate(messages)]
    _check_tool_pairing(parsed)
    return Conversation(tuple(message.turn for message in parsed))


def _message(index: int, message: Any) -> _Message:
    prefix = f"messages[{index}]"
    if not isinstance(message, dict):
        raise invalid_type(prefix, "an object", message)
    fields = Fields(message, OPENAI, prefix)
    role = fields.required_choice("role", ROLES)
    if role in ("system", "developer", "user", "assistant"):
        fields.string("name")
    if role == "assistant":
        return _assistant(index, fields)
    if role == "function":
        fields.required_string("name")
        if "content" not in message:
            fields.string("content", required=True)
        return _Message(Turn(Role.TOOL, fields.string("content") or ""))
    allowed = _USER_PARTS if role == "user" else _TEXT_ONLY
    text, images = _content(fields, allowed, required=True)
    if role == "tool":
        call_id = fields.required_string("tool_call_id")
        return _Message(Turn(Role.TOOL, text), answers_tool_call=call_id)
    return _Message(Turn(_TURN_ROLE[role], text, images))


def _assistant(index: int, fields: Fields) -> _Message:
    text, _ = _content(fields, _ASSISTANT_PARTS, required=False)
    refusal = fields.string("refusal")
    calls = non_empty_array(fields, "tool_calls") or []
    ids = tuple(_tool_call(f"{fields.at('tool_calls')}[{n}]", call) for n, call in enumerate(calls))
    function_call = fields.object("function_call")
    if function_call is not None:
        function_call.required_string("name")
        function_call.required_string("arguments")
    fields.object("audio")
    if fields.value.get("content") is None and not ids and function_call is None and refusal is None:
        raise InvalidRequestError(
            "Invalid value for 'content': expected a string, got null.", param=f"messages.[{index}].content"
        )
    return _Message(Turn(Role.ASSISTANT, text), tool_call_ids=ids)


def _tool_call(param: str, call: Any) -> str:
    if not isinstance(call, dict):
        raise invalid_type(param, "an object", call)
    fields = Fields(call, OPENAI, param)
    call_id = fields.required_string("id")
    kind = fields.required_choice("type", ("function", "custom"))
    body = fields.required_object(kind)
    body.required_string("name")
    body.required_string("arguments" if kind == "function" else "input")
    return call_id


def _content(fields: Fields, allowed: Sequence[str], *, required: bool) -> tuple[str, int]:
    """The content's text (parts joined by spaces) and its image count."""
    param = fields.at("content")
    value = fields.value.get("content")
    if value is None:
        if required:
            fields.string("content", required=True)
        return "", 0
    if isinstance(value, str):
        return value, 0
    if not isinstance(value, list):
        raise invalid_type(param, "one of a string or array of objects", value)
    if not value:
        raise empty_array(param)
    texts: list[str] = []
    images = 0
    for number, part in enumerate(value):
        text, is_image = _part(f"{param}[{number}]", part, allowed)
        if text is not None:
            texts.append(text)
        images += is_image
    return " ".join(texts), images


def _part(param: str, part: Any, allowed: Sequence[str]) -> tuple[str | None, bool]:
    if not isinstance(part, dict):
        raise invalid_type(param, "an object", part)
    fields = Fields(part, OPENAI, param)
    kind = fields.required_string("type")
    if kind not in allowed:
        raise invalid_value(fields.at("type"), kind, allowed)
    if kind == "text":
        return fields.string("text", required=True), False
    if kind == "refusal":
        return fields.string("refusal", required=True), False
    if kind == "image_url":
        image = fields.required_object("image_url")
        _check_image_url(image.at("url"), image.required_string("url"))
        image.choice("detail", ("auto", "low", "high"))
        return None, True
    if kind == "input_audio":
        audio = fields.required_object("input_audio")
        audio.required_string("data")
        audio.required_choice("format", ("wav", "mp3"))
        return None, False
    file = fields.required_object("file")
    for key in ("file_data", "file_id", "filename"):
        file.string(key)
    return None, False


def _check_image_url(param: str, url: str) -> None:
    if not url.startswith("data:"):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidRequestError(
                f"Invalid '{param}'. Expected a valid URL, but got a value with an invalid format.",
                param=param,
                code="invalid_value",
            )
        return
    expected = (
        f"Invalid '{param}'. Expected a base64-encoded data URL with an image MIME type "
        f"(e.g. {_DATA_URL_EXAMPLE})"
    )
    found = _DATA_URL.fullmatch(url)
    if found is None or not found["base64"]:
        raise InvalidRequestError(
            f"{expected}, but got a value with an invalid format.", param=param, code="invalid_value"
        )
    if found["mime"] not in _IMAGE_TYPES:
        raise InvalidRequestError(
            f"{expected}, but got unsupported MIME type '{found['mime']}'.", param=param, code="invalid_value"
        )
    try:
        decoded = base64.b64decode(found["data"], validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if not decoded:
        raise InvalidRequestError(
            f"{expected}, but got invalid base64 data.", param=param, code="invalid_value"
        )


def _check_tool_pairing(messages: Sequence[_Message]) -> None:
    """Every tool result answers a call of the assistant message just before; every call is answered."""
    open_index: int | None = None
    pending: list[str] = []
    for index, message in enumerate(messages):
        if message.turn.role is Role.TOOL and message.answers_tool_call is not None:
            if open_index is None:
                raise InvalidRequestError(
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message "
                    "with 'tool_calls'.",
                    param=f"messages.[{index}].role",
                )
            if message.answers_tool_call not in messages[open_index].tool_call_ids:
                raise InvalidRequestError(
                    f"Invalid parameter: 'tool_call_id' of '{message.answers_tool_call}' not found in "
                    "'tool_calls' of previous message.",
                    param=f"messages.[{index}].tool_call_id",
                )
            pending = [call for call in pending if call != message.answers_tool_call]
            continue
        _check_answered(open_index, pending)
        open_index = index if message.tool_call_ids else None
        pending = list(message.tool_call_ids)
    _check_answered(open_index, pending)


def _check_answered(open_index: int | None, pending: Sequence[str]) -> None:
    if open_index is not None and pending:
        raise InvalidRequestError(
            "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
            "'tool_call_id'. The following tool_call_ids did not have response messages: "
            + ", ".join(pending),
            param=f"messages.[{open_index}].role",
        )
