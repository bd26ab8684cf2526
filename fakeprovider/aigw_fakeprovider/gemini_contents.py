"""Gemini `contents` and `systemInstruction`: parts checked, turn rules enforced, turned into neutral turns.

The rules, as the API states them in its 400s:

- a content's role is `user` or `model` (none means `user`), and its parts
  are not empty; a part holds exactly one kind of data (text, inlineData,
  fileData, functionCall, functionResponse, ...), a text is not empty;
- inlineData has a supported MIME type and base64 data, and an image's bytes
  are what its MIME type says;
- a model turn with function calls comes right after a user turn (or a
  function response turn); a turn of function responses comes right after a
  function call turn and answers every call of it, by name;
- on Gemini 3 models, the first function call of each model turn of the
  current exchange carries a `thoughtSignature`;
- the system instruction holds text only.

A function response becomes a tool turn: its `output` when that is the only
key and a string (the shape a translation sends for plain-text results),
otherwise the response object as JSON.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from aigw_fakeprovider.answers import Role, Turn
from aigw_fakeprovider.gemini_fields import Message, decode_bytes, invalid_argument, violation
from aigw_fakeprovider.images import PNG_SIGNATURE

REQUEST_TYPE = "GenerateContentRequest"
CONTENT_FIELDS = frozenset({"role", "parts"})
_DATA_FIELDS = (
    "text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode",
    "codeExecutionResult",
)  # fmt: skip
_VERTEX_PART_FIELDS = frozenset(
    {*_DATA_FIELDS, "thought", "thoughtSignature", "videoMetadata", "partMetadata"}
)
_AI_STUDIO_PART_FIELDS = _VERTEX_PART_FIELDS | {"mediaResolution"}
_BLOB_FIELDS = frozenset({"mimeType", "data"})
_VERTEX_BLOB_FIELDS = _BLOB_FIELDS | {"displayName"}
_FILE_FIELDS = frozenset({"mimeType", "fileUri"})
_VERTEX_FILE_FIELDS = _FILE_FIELDS | {"displayName"}
_CALL_FIELDS = frozenset({"id", "name", "args"})
_RESPONSE_FIELDS = frozenset({"id", "name", "response", "parts", "willContinue", "scheduling"})
# What the bytes of an image start with, per MIME type (HEIC and HEIF are not checked).
_IMAGE_MAGIC = {"image/png": PNG_SIGNATURE, "image/jpeg": b"\xff\xd8\xff", "image/webp": b"RIFF"}
_OTHER_MEDIA = ("image/heic", "image/heif", "audio/", "video/", "text/", "application/pdf")
_EMPTY_TEXT = (
    "Unable to submit request because it has an empty text parameter. Add a value to the parameter and "
    "try again."
)
_BAD_IMAGE = (
    "Unable to process input image. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting"
)
_CALL_ORDER = (
    "Please ensure that function call turn comes immediately after a user turn or after a function "
    "response turn."
)
_RESPONSE_ORDER = "Please ensure that function response turn comes immediately after a function call turn."
_RESPONSE_COUNT = (
    "Please ensure that the number of function response parts is equal to the number of function call "
    "parts of the function call turn."
)
_RESPONSE_NAMES = (
    "Please ensure that the function response parts answer the function calls of the function call turn, "
    "by name."
)


@dataclass(frozen=True, slots=True)
class _Content:
    role: str
    texts: tuple[str, ...]
    images: int
    calls: tuple[str, ...]
    signed_first_call: bool
    responses: tuple[tuple[str, dict[str, Any]], ...]


def _blob(part: Message, vertex: bool) -> str:
    blob = part.message("inlineData", _VERTEX_BLOB_FIELDS if vertex else _BLOB_FIELDS, "Blob")
    assert blob is not None  # only called when the part holds inlineData
    mime = blob.string("mimeType")
    data = blob.string("data")
    if not mime:
        raise violation(REQUEST_TYPE, blob.at("mime_type"), "mime_type is not specified")
    if data is None:
        raise violation(REQUEST_TYPE, blob.at("data"), "data is not specified")
    raw = decode_bytes(data)
    if raw is None:
        raise invalid_argument(
            f"Invalid value at '{blob.at('data')}' (TYPE_BYTES), Base64 decoding failed for \"{data[:20]}\""
        )
    magic = _IMAGE_MAGIC.get(mime)
    if magic is None and not mime.startswith(_OTHER_MEDIA):
        raise invalid_argument(f"Unsupported MIME type: {mime}")
    if magic is not None and not raw.startswith(magic):
        raise invalid_argument(_BAD_IMAGE)
    return mime


def _response(part: Message) -> tuple[str, dict[str, Any]]:
    response = part.message("functionResponse", _RESPONSE_FIELDS, "FunctionResponse")
    assert response is not None  # only called when the part holds a functionResponse
    name = response.string("name")
    if not name:
        raise violation(REQUEST_TYPE, response.at("name"), "Name cannot be empty.")
    body = response.struct("response")
    if body is None:
        raise violation(REQUEST_TYPE, response.at("response"), "response is not specified")
    return name, body


def _content(content: Message, vertex: bool) -> _Content:
    role = content.string("role") or "user"
    if role not in ("user", "model"):
        raise invalid_argument("Please use a valid role: user, model.")
    parts = content.messages("parts", _VERTEX_PART_FIELDS if vertex else _AI_STUDIO_PART_FIELDS, "Part")
    if not parts:
        raise violation(REQUEST_TYPE, content.at("parts"), "contents.parts must not be empty.")
    texts: list[str] = []
    calls: list[str] = []
    responses: list[tuple[str, dict[str, Any]]] = []
    images, signed = 0, False
    for part in parts:
        held = [name for name in _DATA_FIELDS if part.has(name)]
        if not held:
            raise violation(
                REQUEST_TYPE, part.at("data"), "required oneof field 'data' must have one initialized field"
            )
        if len(held) > 1:
            raise invalid_argument(
                f"Invalid JSON payload received. Oneof field 'data' is already set. Cannot set '{held[1]}'"
            )
        signature = part.string("thoughtSignature")
        if signature is not None and decode_bytes(signature) is None:
            raise invalid_argument(f"Invalid value at '{part.at('thought_signature')}' (TYPE_BYTES)")
        part.boolean("thought")
        kind = held[0]
        if kind == "text":
            text = part.string("text")
            if not text:
                raise invalid_argument(_EMPTY_TEXT)
            if not part.values.get("thought"):
                texts.append(text)
        elif kind == "inlineData":
            images += _blob(part, vertex).startswith("image/")
        elif kind == "fileData":
            file = part.message("fileData", _VERTEX_FILE_FIELDS if vertex else _FILE_FIELDS, "FileData")
            assert file is not None
            if not file.string("fileUri"):
                raise violation(REQUEST_TYPE, file.at("file_uri"), "file_uri is not specified")
            images += (file.string("mimeType") or "").startswith("image/")
        elif kind == "functionCall":
            call = part.message("functionCall", _CALL_FIELDS, "FunctionCall")
            assert call is not None
            name = call.string("name")
            if not name:
                raise violation(REQUEST_TYPE, call.at("name"), "Name cannot be empty.")
            call.struct("args")
            signed = signed or (not calls and signature is not None)
            calls.append(name)
        elif kind == "functionResponse":
            responses.append(_response(part))
    if (calls and role != "model") or (responses and role != "user"):
        raise invalid_argument(_CALL_ORDER if calls else _RESPONSE_ORDER)
    return _Content(role, tuple(texts), images, tuple(calls), signed, tuple(responses))


def _check_turn_order(contents: list[_Content], signatures_required: bool) -> None:
    for index, content in enumerate(contents):
        previous = contents[index - 1] if index else None
        if content.calls and previous is not None and previous.role != "user":
            raise invalid_argument(_CALL_ORDER)
        if content.responses:
            if previous is None or not previous.calls:
                raise invalid_argument(_RESPONSE_ORDER)
            if len(content.responses) != len(previous.calls):
                raise invalid_argument(_RESPONSE_COUNT)
            if Counter(name for name, _ in content.responses) != Counter(previous.calls):
                raise invalid_argument(_RESPONSE_NAMES)
    if not signatures_required:
        return
    # The current exchange starts after the last user turn that is not only function responses.
    start = max((i for i, c in enumerate(contents) if c.role == "user" and not c.responses), default=0)
    for position, content in enumerate(contents[start:], start=start + 1):
        if content.calls and not content.signed_first_call:
            raise invalid_argument(
                "Function call is missing a thought_signature in functionCall parts. This is required for "
                "tools to work correctly, and missing thought_signature may lead to degraded model "
                f"performance. Additional data, function call `default_api:{content.calls[0]}` , position "
                f"{position}. Please refer to "
                "https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
            )


def _tool_output(response: dict[str, Any]) -> str:
    output = response.get("output")
    if set(response) == {"output"} and isinstance(output, str):
        return output
    return json.dumps(response)


def parse_contents(request: Message, *, vertex: bool, signatures_required: bool) -> tuple[Turn, ...]:
    """The conversation (`contents`, after the system instruction) as neutral turns."""
    turns: list[Turn] = []
    system = request.message("systemInstruction", CONTENT_FIELDS, "Content")
    if system is not None:
        instruction = _content(system, vertex)
        if instruction.images or instruction.calls or instruction.responses:
            raise violation(REQUEST_TYPE, system.at("parts"), "only text parts are supported")
        turns.append(Turn(Role.SYSTEM, " ".join(instruction.texts)))
    if not request.has("contents"):
        raise violation(REQUEST_TYPE, "contents", "contents is not specified")
    contents = [
        _content(content, vertex) for content in request.messages("contents", CONTENT_FIELDS, "Content")
    ]
    if not contents:
        raise violation(REQUEST_TYPE, "contents", "contents is not specified")
    _check_turn_order(contents, signatures_required)
    for content in contents:
        turns.extend(Turn(Role.TOOL, _tool_output(response)) for _, response in content.responses)
        if content.role == "model" or content.texts or content.images:
            role = Role.USER if content.role == "user" else Role.ASSISTANT
            turns.append(Turn(role, " ".join(content.texts), content.images))
    return tuple(turns)
