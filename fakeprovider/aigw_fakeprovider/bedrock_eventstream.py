"""Encoding AWS event-stream messages (`application/vnd.amazon.eventstream`), as Bedrock streams them.

A message is `total_length:u32 | headers_length:u32 | prelude_crc:u32 |
headers | payload | message_crc:u32`, big-endian, where the prelude CRC32
covers the first 8 bytes and the message CRC32 everything before it. A header
is `name_length:u8 | name | type:u8 | value`; strings and byte arrays carry a
u16 length. The encoder reproduces botocore's test vectors byte for byte.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import orjson

# Bedrock pads each event's JSON with a `p` member so that sizes do not reveal content.
_PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_PRELUDE = struct.Struct("!II")
_CRC = struct.Struct("!I")


class HeaderType(IntEnum):
    TRUE = 0
    FALSE = 1
    BYTE = 2
    SHORT = 3
    INTEGER = 4
    LONG = 5
    BYTE_ARRAY = 6
    STRING = 7
    TIMESTAMP = 8
    UUID = 9


_INTEGER_FORMATS = {
    HeaderType.BYTE: "!b",
    HeaderType.SHORT: "!h",
    HeaderType.INTEGER: "!i",
    HeaderType.LONG: "!q",
    HeaderType.TIMESTAMP: "!q",
}


@dataclass(frozen=True, slots=True)
class TypedHeader:
    """A header value whose wire type is not implied by its Python type (integers, timestamps, UUIDs)."""

    type: HeaderType
    value: int | bytes


HeaderValue = bool | str | bytes | TypedHeader


def _encode_value(value: HeaderValue) -> bytes:
    if isinstance(value, bool):
        return bytes([HeaderType.TRUE if value else HeaderType.FALSE])
    if isinstance(value, str):
        data = value.encode("utf-8")
        return bytes([HeaderType.STRING]) + struct.pack("!H", len(data)) + data
    if isinstance(value, bytes):
        return bytes([HeaderType.BYTE_ARRAY]) + struct.pack("!H", len(value)) + value
    kind = value.type
    if kind is HeaderType.UUID and isinstance(value.value, bytes) and len(value.value) == 16:
        return bytes([kind]) + value.value
    if kind in _INTEGER_FORMATS and isinstance(value.value, int):
        return bytes([kind]) + struct.pack(_INTEGER_FORMATS[kind], value.value)
    raise ValueError(f"cannot encode a header of type {kind.name} from {value.value!r}")


def encode_headers(headers: Mapping[str, HeaderValue]) -> bytes:
    encoded = bytearray()
    for name, value in headers.items():
        raw_name = name.encode("utf-8")
        encoded += bytes([len(raw_name)]) + raw_name + _encode_value(value)
    return bytes(encoded)


def encode_message(headers: Mapping[str, HeaderValue], payload: bytes) -> bytes:
    """One complete event-stream message."""
    raw_headers = encode_headers(headers)
    total = _PRELUDE.size + _CRC.size + len(raw_headers) + len(payload) + _CRC.size
    prelude = _PRELUDE.pack(total, len(raw_headers))
    head = prelude + _CRC.pack(zlib.crc32(prelude))
    body = head + raw_headers + payload
    return body + _CRC.pack(zlib.crc32(body))


def _padded(payload: Mapping[str, Any]) -> bytes:
    size = len(orjson.dumps(payload))
    return orjson.dumps({**payload, "p": _PADDING[: size % len(_PADDING) + 1]})


def event_frame(event_type: str, payload: Mapping[str, Any]) -> bytes:
    """A ConverseStream event, as Bedrock frames it."""
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return encode_message(headers, _padded(payload))


def exception_frame(exception_type: str, message: str) -> bytes:
    """An in-stream exception (e.g. `throttlingException`), which ends the stream."""
    headers = {
        ":exception-type": exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_message(headers, orjson.dumps({"message": message}))
