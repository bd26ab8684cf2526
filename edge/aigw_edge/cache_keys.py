"""The exact-match cache key of a chat request.

Two requests share a key when they ask the same operation of the same model,
the same thing, in the same form (JSON or stream, with or without usage), with
the same Anthropic beta features. Fields that only label a
request (user, metadata) do not count; key order in the JSON does not count.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

_IGNORED = ("stream", "stream_options", "user", "metadata")
_VERSION = b"aigw-cache-v1"


def cache_key(
    operation: str, body: dict[str, Any], stream: bool, include_usage: bool, betas: tuple[str, ...] = ()
) -> str:
    canonical = {k: v for k, v in body.items() if k not in _IGNORED}
    form = b"stream+usage" if stream and include_usage else b"stream" if stream else b"json"
    digest = hashlib.sha256()
    digest.update(_VERSION + b"\0" + operation.encode() + b"\0" + form + b"\0")
    if betas:
        digest.update(b"betas:" + ",".join(sorted(betas)).encode() + b"\0")
    digest.update(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()
