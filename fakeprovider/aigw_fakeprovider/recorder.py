"""Recording what reached the fake provider, so tests can assert what a gateway sent."""

from __future__ import annotations

from collections import deque
from typing import Any

import orjson

from aigw_fakeprovider._http import Request

DEFAULT_CAPACITY = 1000


def _parsed_body(body: bytes) -> Any:
    if not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


class RequestRecorder:
    """The most recent requests, oldest first, as `{method, path, headers, body}`."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._requests: deque[dict[str, Any]] = deque(maxlen=capacity)

    def record(self, request: Request) -> None:
        self._requests.append(
            {
                "method": request.method,
                "path": request.path,
                "headers": dict(request.headers),
                "body": _parsed_body(request.body),
            }
        )

    def recorded(self) -> list[dict[str, Any]]:
        return list(self._requests)

    def clear(self) -> int:
        """Forgets every recorded request; returns how many there were."""
        count = len(self._requests)
        self._requests.clear()
        return count
