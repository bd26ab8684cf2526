"""Test images served by the control API (`GET /_fake/images/{name}.png`), for gateways that fetch image URLs.

Each name gives its own small, valid PNG (one colour derived from the name),
so a test can send an image URL through a gateway and check that the bytes
that reached the provider are the ones served here.
"""

from __future__ import annotations

import hashlib
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SIDE = 4


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))


def png_for(name: str) -> bytes:
    """A 4x4 RGB PNG whose colour is derived from `name` (the same name, the same bytes)."""
    red, green, blue = hashlib.sha256(name.encode()).digest()[:3]
    row = b"\x00" + bytes((red, green, blue)) * _SIDE  # filter type 0, then the pixels
    header = struct.pack("!IIBBBBB", _SIDE, _SIDE, 8, 2, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * _SIDE))
        + _chunk(b"IEND", b"")
    )
