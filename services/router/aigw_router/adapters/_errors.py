"""Mapping a provider's HTTP error to the gateway's, the same way for every adapter.

The client's request was accepted by the gateway, so a provider's 401/403/404
is the gateway's problem (a bad credential or a wrong deployment), not the
client's: it becomes a 502. Client-side faults the provider found (400, 413,
422) keep their status and a scrubbed message; rate limits and overloads keep
their meaning and their Retry-After.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from aigw_runtime.errors import GatewayError, error_for_status

_SECRET_LIKE = re.compile(
    r"(sk-[A-Za-z0-9_\-*]{6,}|AKIA[0-9A-Z]{12,}|AIza[0-9A-Za-z_\-]{20,}|Bearer\s+\S+|key-[A-Za-z0-9]{16,})"
)
_MAX_MESSAGE = 500


def scrub(message: str) -> str:
    """Removes anything that looks like a credential and bounds the length."""
    cleaned = _SECRET_LIKE.sub("[redacted]", message)
    return cleaned if len(cleaned) <= _MAX_MESSAGE else cleaned[: _MAX_MESSAGE - 1] + "…"


def error_json(content: bytes) -> Any:
    """A provider's error body as JSON (of any shape), or None when it is not JSON.

    Error bodies are read leniently: whatever they hold, the status alone still maps to an error.
    """
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return None


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Retry-After in seconds (delta-seconds form; an HTTP date is ignored)."""
    for name in ("retry-after-ms", "retry-after"):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value)
        except ValueError:
            continue
        return seconds / 1000 if name == "retry-after-ms" else seconds
    return None


def upstream_error(
    provider: str,
    status: int,
    message: str | None,
    *,
    retry_after_s: float | None = None,
    param: str | None = None,
    overloaded: bool = False,
) -> GatewayError:
    """The gateway error for a provider's failure with HTTP `status`."""
    detail = scrub(message) if message else None
    if overloaded or status in (503, 529):
        return error_for_status(
            503,
            f"Provider {provider} is overloaded; try again later.",
            code="upstream_overloaded",
            retry_after_s=retry_after_s,
        )
    if status in (400, 413, 422):
        return error_for_status(
            413 if status == 413 else 400,
            detail or f"Provider {provider} rejected the request.",
            param=param,
            code="upstream_invalid_request",
        )
    if status == 429:
        return error_for_status(
            429,
            f"Provider {provider} is rate limiting the gateway; try again later.",
            code="upstream_rate_limited",
            retry_after_s=retry_after_s,
        )
    if status in (401, 403):
        return error_for_status(
            502, f"Provider {provider} refused the gateway's credentials.", code="upstream_auth_failed"
        )
    if status == 404:
        return error_for_status(
            502,
            f"Provider {provider} does not know this deployment's model or path.",
            code="upstream_not_found",
        )
    if status in (408, 504):
        return error_for_status(504, f"Provider {provider} timed out.", code="upstream_timeout")
    return error_for_status(
        502,
        f"Provider {provider} failed with HTTP {status}.",
        code="upstream_error",
        retry_after_s=retry_after_s,
    )
