"""Validating Cohere v2 chat `messages` the way the API does, into answer turns.

Roles are `system`, `user`, `assistant` and `tool`, each with its own fields
(anything else is an unknown field, a 422). Content is a string or a list of
typed parts: text for every role, `image_url` (a base64 image data URL or an
http(s) URL, with an optional `detail`) for users, `thinking` for the
assistant, `document` for tool results. An assistant message carries content
or `tool_calls` (each with an id, a name and JSON-object arguments), with an
optional `tool_plan`.

Tool results pair with calls by `tool_call_id`: every tool message answers an
unanswered call of the assistant message just before it (with only other
tool messages in between), and every call is answered before the next user
or assistant message. The conversation ends with a user or tool message.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from aigw_fakeprovider._fields import Fields
from aigw_fakeprovider.answers import Role, Turn
from aigw_fakeprovider.cohere_fields import CHAT, invalid

_ROLES = ("system", "user", "assistant", "tool")
_DETAILS = ("auto", "low", "high")
_DATA_URL = re.compile(r"data:image/(png|jpeg|gif|webp);base64,(.*)", re.DOTALL)


def _text_part(part: Fields) -> str:
    part.reject_unknown(("type", "text"))
    return part.required_string("text")


def _image_part(part: Fields) -> None:
    part.reject_unknown(("type", "image_url"))
    image = part.required_object("image_url")
    image.reject_unknown(("url", "detail"))
    image.choice("detail", _DETAILS)
    url = image.required_string("url")
    found = _DATA_URL.fullmatch(url)
    if found is not None:
        try:
            base64.b64decode(found.group(2), validate=True)
        except (binascii.Error, ValueError):
            raise invalid(f"{image.at('url')} is not a valid base64 data URI") from None
    elif not url.startswith(("https://", "http://")):
        raise invalid(f"{image.at('url')} must be a base64 image data URI or an http(s) URL")


def _content(message: Fields, kinds: tuple[str, ...]) -> tuple[str, int]:
    """The text of a message's `content` (a string or typed parts) and how many images it holds."""
    value = message.value.get("content")
    if isinstance(value, str):
        return value, 0
    parts = message.objects("content", required=True) or []
    texts: list[str] = []
    images = 0
    for part in parts:
        kind = part.choice("type", kinds, required=True)
        if kind == "text":
            texts.append(_text_part(part))
        elif kind == "image_url":
            _image_part(part)
            images += 1
        elif kind == "thinking":
            part.reject_unknown(("type", "thinking"))
            part.required_string("thinking")
        elif kind == "document":
            part.reject_unknown(("type", "document"))
            document = part.required_object("document")
            document.reject_unknown(("data", "id"))
            data = document.value.get("data")
            if not isinstance(data, str | dict):
                raise invalid(f"{document.at('data')} must be a string or an object")
            texts.append(data if isinstance(data, str) else json.dumps(data))
    return " ".join(texts), images


def _tool_calls(message: Fields) -> list[str]:
    """The ids of an assistant message's tool calls, each call checked."""
    ids: list[str] = []
    for call in message.objects("tool_calls") or []:
        call.reject_unknown(("id", "type", "function"))
        call.choice("type", ("function",))
        call_id = call.required_string("id")
        if call_id in ids:
            raise invalid(f"{call.at('id')}: duplicate tool call id '{call_id}'")
        function = call.required_object("function")
        function.reject_unknown(("name", "arguments"))
        function.required_string("name")
        arguments = function.string("arguments") or "{}"
        try:
            parsed = json.loads(arguments)
        except json.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, dict):
            raise invalid(f"{function.at('arguments')} must be a JSON object")
        ids.append(call_id)
    return ids


class _Pairing:
    """The tool calls of the last assistant message that still wait for their results."""

    def __init__(self) -> None:
        self.pending: list[str] = []
        self.open = False

    def calls(self, ids: list[str]) -> None:
        self.pending, self.open = list(ids), bool(ids)

    def result(self, call_id: str, path: str) -> None:
        if not self.open:
            raise invalid(f"{path}: a tool message must follow an assistant message with tool_calls")
        if call_id not in self.pending:
            raise invalid(f"{path}: tool_call_id '{call_id}' does not match a pending tool call")
        self.pending.remove(call_id)

    def close(self) -> None:
        if self.pending:
            raise invalid(f"tool call '{self.pending[0]}' has no tool result")
        self.open = False


def _turn(message: Fields, role: str, pairing: _Pairing) -> Turn:
    if role == "system":
        message.reject_unknown(("role", "content"))
        return Turn(Role.SYSTEM, _content(message, ("text",))[0])
    if role == "user":
        message.reject_unknown(("role", "content"))
        text, images = _content(message, ("text", "image_url"))
        if not text.strip() and not images:
            raise invalid(f"{message.path}: message must be at least 1 token long")
        return Turn(Role.USER, text, images)
    if role == "tool":
        message.reject_unknown(("role", "tool_call_id", "content"))
        pairing.result(message.required_string("tool_call_id"), message.path)
        return Turn(Role.TOOL, _content(message, ("text", "document"))[0])
    message.reject_unknown(("role", "content", "tool_plan", "tool_calls", "citations"))
    plan = message.string("tool_plan") or ""
    text = _content(message, ("text", "thinking"))[0] if message.value.get("content") is not None else ""
    ids = _tool_calls(message)
    if not ids and not text:
        raise invalid(f"{message.path}: an assistant message needs content or tool_calls")
    pairing.calls(ids)
    return Turn(Role.ASSISTANT, text or plan)


def parse_messages(items: list[Any]) -> tuple[Turn, ...]:
    """The turns of a valid `messages` list; raises Cohere's error for an invalid one."""
    if not items:
        raise invalid("messages must not be empty")
    root = Fields({"messages": items}, CHAT)
    turns: list[Turn] = []
    pairing = _Pairing()
    for message in root.objects("messages") or []:
        role = message.choice("role", _ROLES, required=True)
        if role != "tool":
            pairing.close()
        turns.append(_turn(message, str(role), pairing))
    pairing.close()
    if turns[-1].role not in (Role.USER, Role.TOOL):
        raise invalid("the last message must be a user or tool message")
    return tuple(turns)
