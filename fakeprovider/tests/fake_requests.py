"""What the tests of every protocol do alike: vary a valid request, and set the fake's knobs."""

from __future__ import annotations

from typing import Any

import httpx


def replaced(request: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`request` with fields replaced (a value of ... removes the field)."""
    for key, value in changes.items():
        if value is ...:
            request.pop(key, None)
        else:
            request[key] = value
    return request


async def set_knobs(http: httpx.AsyncClient, **knobs: Any) -> None:
    (await http.put("/_fake/knobs", json=knobs)).raise_for_status()
