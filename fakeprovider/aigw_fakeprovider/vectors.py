"""Deterministic embedding vectors: the same text always maps to the same unit vector.

Values come from SHAKE-256 of the text, so a shorter vector (`dimensions`) is
the renormalised prefix of the longer one, as with real shortened embeddings.
Values are float32, so the float and base64 encodings carry identical numbers.
"""

from __future__ import annotations

import base64
import hashlib
import math
import struct

_UINT32_MAX = 2**32 - 1


def embedding_vector(text: str, dimensions: int) -> list[float]:
    """A unit-length vector of `dimensions` float32 values derived from `text`."""
    raw = hashlib.shake_256(text.encode("utf-8")).digest(4 * dimensions)
    values = [(n / _UINT32_MAX) * 2.0 - 1.0 for n in struct.unpack(f"<{dimensions}I", raw)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return list(struct.unpack(f"<{dimensions}f", struct.pack(f"<{dimensions}f", *(v / norm for v in values))))


def encode_base64(vector: list[float]) -> str:
    """The vector as base64 of little-endian float32 bytes, as OpenAI encodes it."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
