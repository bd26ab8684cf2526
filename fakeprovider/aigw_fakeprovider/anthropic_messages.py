"""Validating Anthropic `messages` the way the Messages API does, into answer turns.

Each message is checked on its own first (role, content, the shape of every
block; errors name the message's own index). Then consecutive messages of
one role are combined into one turn, as the API documents and as a recorded
400 shows (`messages.0.content.1: unexpected tool_use_id ...` for a second
user message merged into the first), and tool pairing is checked on the
combined turns: every `tool_result` answers a `tool_use` of the turn just
before, and every `tool_use` followed by a turn is answered in it, by
`tool_result` blocks that open that turn (the wording of each refusal is
Anthropic's, as recorded in public bug reports).

The first turn may be the assistant's: Anthropic's own API accepts it (only
Bedrock refuses it, see anthropics/anthropic-sdk-typescript#622). A final
assistant turn is a prefill and must not end with whitespace.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aigw_fakeprovider._blocks import Block, answer_turns
from aigw_fakeprovider._fields import Fields
from aigw_fakeprovider.answers import Turn
from aigw_fakeprovider.anthropic_fields import ANTHROPIC, invalid
from aigw_fakeprovider.errors import InvalidRequestError

IMAGE_MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
_USER_BLOCKS = ("text", "image", "document", "tool_result")
_ASSISTANT_BLOCKS = ("text", "tool_use", "thinking", "redacted_thinking")
_ID = re.compile(r"[a-zA-Z0-9_-]+")
_CACHE_CONTROL = "cache_control"
_EMPTY = "all messages must have non-empty content except for the optional final assistant message"
_SYSTEM_ROLE = (
    'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, '
    'not "system" as an input message role.'
)


@dataclass(slots=True)
class _Turn:
    role: str
    blocks: list[Block] = field(default_factory=list)


def _check_id(fields: Fields, key: str) -> str:
    value = fields.required_string(key)
    if not _ID.fullmatch(value):
        raise invalid(fields.at(key), "String should match pattern '^[a-zA-Z0-9_-]+$'")
    return value


def text_block(fields: Fields) -> Block:
    """A `text` block (also the shape of `system` blocks)."""
    fields.reject_unknown(("type", "text", _CACHE_CONTROL, "citations"))
    text = fields.required_string("text")
    if not text:
        raise invalid("messages", "text content blocks must be non-empty")
    if not text.strip():
        raise invalid("messages", "text content blocks must contain non-whitespace text")
    return Block("text", text)


def _base64(fields: Fields) -> None:
    data = fields.required_string("data")
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if not decoded:
        raise invalid(fields.at("data"), "The data is not valid base64.")


def _image_block(fields: Fields) -> Block:
    fields.reject_unknown(("type", "source", _CACHE_CONTROL))
    source = fields.required_object("source")
    kind = source.choice("type", ("base64", "url", "file"), required=True)
    if kind == "base64":
        source.reject_unknown(("type", "media_type", "data"))
        source.choice("media_type", IMAGE_MEDIA_TYPES, required=True)
        _base64(source)
    elif kind == "url":
        source.reject_unknown(("type", "url"))
        if not source.required_string("url").startswith(("https://", "http://")):
            raise invalid(source.at("url"), "Input should be a valid URL")
    else:
        source.reject_unknown(("type", "file_id"))
        source.required_string("file_id")
    return Block("image", images=1)


def _document_block(fields: Fields) -> Block:
    fields.reject_unknown(("type", "source", "title", "context", "citations", _CACHE_CONTROL))
    source = fields.required_object("source")
    kind = source.choice("type", ("base64", "text", "url", "file"), required=True)
    if kind == "base64":
        source.reject_unknown(("type", "media_type", "data"))
        source.choice("media_type", ("application/pdf",), required=True)
        _base64(source)
    elif kind == "text":
        source.reject_unknown(("type", "media_type", "data"))
        source.choice("media_type", ("text/plain",), required=True)
        return Block("document", source.required_string("data"))
    elif kind == "url":
        source.reject_unknown(("type", "url"))
        source.required_string("url")
    else:
        source.reject_unknown(("type", "file_id"))
        source.required_string("file_id")
    return Block("document", fields.string("title") or "")


def _tool_result_block(fields: Fields) -> Block:
    fields.reject_unknown(("type", "tool_use_id", "content", "is_error", _CACHE_CONTROL))
    tool_use_id = _check_id(fields, "tool_use_id")
    fields.boolean("is_error")
    content = fields.value.get("content")
    if content is None or isinstance(content, str):
        return Block("tool_result", content or "", tool_id=tool_use_id)
    texts: list[str] = []
    for part in fields.objects("content") or []:
        kind = part.choice("type", ("text", "image", "document"), required=True)
        if kind == "text":
            texts.append(text_block(part).text)
        elif kind == "image":
            _image_block(part)
        else:
            _document_block(part)
    return Block("tool_result", " ".join(texts), tool_id=tool_use_id)


def _tool_use_block(fields: Fields) -> Block:
    fields.reject_unknown(("type", "id", "name", "input", "caller", _CACHE_CONTROL))
    tool_use_id = _check_id(fields, "id")
    fields.required_string("name")
    if not isinstance(fields.value.get("input"), dict):
        raise invalid(fields.at("input"), "Input should be a valid dictionary")
    return Block("tool_use", tool_id=tool_use_id)


def _block(fields: Fields, allowed: Sequence[str], role: str) -> Block:
    kind = fields.required_string("type")
    if kind not in _USER_BLOCKS + _ASSISTANT_BLOCKS:
        expected = ", ".join(f"'{name}'" for name in dict.fromkeys(_USER_BLOCKS + _ASSISTANT_BLOCKS))
        raise invalid(
            fields.path,
            f"Input tag '{kind}' found using 'type' does not match any of the expected tags: {expected}",
        )
    if kind not in allowed:
        raise invalid(fields.path, f"`{kind}` blocks are not allowed in `{role}` messages")
    if kind == "text":
        return text_block(fields)
    if kind == "image":
        return _image_block(fields)
    if kind == "document":
        return _document_block(fields)
    if kind == "tool_result":
        return _tool_result_block(fields)
    if kind == "tool_use":
        return _tool_use_block(fields)
    if kind == "thinking":
        fields.reject_unknown(("type", "thinking", "signature"))
        fields.required_string("thinking")
        fields.required_string("signature")
    else:
        fields.reject_unknown(("type", "data"))
        fields.required_string("data")
    return Block(kind)


def _message(fields: Fields, index: int) -> _Turn:
    fields.reject_unknown(("role", "content"))
    role = fields.required_string("role")
    if role == "system":
        raise InvalidRequestError(_SYSTEM_ROLE)
    if role not in ("user", "assistant"):
        raise invalid(fields.at("role"), "Input should be 'user' or 'assistant'")
    content = fields.value.get("content")
    if content is None:
        fields.required_string("content")
    empty = invalid(
        f"messages.{index}",
        "all messages must have non-empty content except for the optional final assistant message",
    )
    if isinstance(content, str):
        if not content:
            raise empty
        return _Turn(role, [Block("text", content)])
    blocks = fields.objects("content")
    if blocks is None:
        raise invalid(fields.at("content"), "Input should be a valid string or list")
    if not blocks:
        raise empty
    allowed = _USER_BLOCKS if role == "user" else _ASSISTANT_BLOCKS
    return _Turn(role, [_block(block, allowed, role) for block in blocks])


def _combined(turns: Sequence[_Turn]) -> list[_Turn]:
    combined: list[_Turn] = []
    for turn in turns:
        if combined and combined[-1].role == turn.role:
            combined[-1].blocks.extend(turn.blocks)
        else:
            combined.append(_Turn(turn.role, list(turn.blocks)))
    return combined


def _check_tool_pairing(turns: Sequence[_Turn]) -> None:
    for index, turn in enumerate(turns):
        previous = turns[index - 1] if index > 0 else None
        declared = {b.tool_id for b in previous.blocks if b.kind == "tool_use"} if previous else set()
        for position, block in enumerate(turn.blocks):
            if block.kind == "tool_result" and block.tool_id not in declared:
                raise invalid(
                    f"messages.{index}.content.{position}",
                    f"unexpected `tool_use_id` found in `tool_result` blocks: {block.tool_id}. Each "
                    "`tool_result` block must have a corresponding `tool_use` block in the previous message.",
                )
        calls = [b.tool_id for b in turn.blocks if b.kind == "tool_use"]
        if calls and index + 1 < len(turns):
            _check_answered(calls, index, turns[index + 1])


def _check_answered(calls: Sequence[str | None], index: int, following: _Turn) -> None:
    """The turn after one with tool_use blocks answers every call, with its results first."""
    answered = {b.tool_id for b in following.blocks if b.kind == "tool_result"}
    missing = [call for call in calls if call not in answered]
    if missing:
        raise invalid(
            f"messages.{index}",
            f"`tool_use` ids were found without `tool_result` blocks immediately after: "
            f"{', '.join(str(call) for call in missing)}. Each `tool_use` block must have a "
            "corresponding `tool_result` block in the next message.",
        )
    leading = following.blocks[: len(calls)]
    if any(block.kind != "tool_result" for block in leading):
        raise invalid(
            f"messages.{index + 1}",
            f"Did not find {len(calls)} `tool_result` block(s) at the beginning of this message. "
            "Messages following `tool_use` blocks must begin with a matching number of `tool_result` blocks.",
        )


def parse_messages(messages: list[Any] | None) -> list[Turn]:
    """Validates `messages`; raises `InvalidRequestError` with Anthropic's wording."""
    if not messages:
        raise invalid("messages", "at least one message is required")
    body = Fields({"messages": messages}, ANTHROPIC)
    turns = _combined(
        [_message(fields, index) for index, fields in enumerate(body.objects("messages") or [])]
    )
    _check_tool_pairing(turns)
    last = turns[-1]
    final = last.blocks[-1] if last.role == "assistant" and last.blocks else None
    if final is not None and final.kind == "text" and final.text != final.text.rstrip():
        raise invalid("messages", "final assistant content cannot end with trailing whitespace")
    return answer_turns((turn.role, turn.blocks) for turn in turns)
