"""The Anthropic adapter, errors: Anthropic's error answers mapped to the gateway's, credentials redacted."""

from __future__ import annotations

import orjson
import pytest

from anthropic_samples import KEY, anthropic_adapter


def _error(kind: str, message: str) -> bytes:
    return orjson.dumps({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_1"})


@pytest.mark.parametrize(
    ("status", "body", "expected_status", "expected_code"),
    [
        (400, _error("invalid_request_error", "max_tokens: Field required"), 400, "upstream_invalid_request"),
        (401, _error("authentication_error", "invalid x-api-key"), 502, "upstream_auth_failed"),
        (403, _error("permission_error", "not allowed"), 502, "upstream_auth_failed"),
        (404, _error("not_found_error", "model: claude-x"), 502, "upstream_not_found"),
        (
            413,
            _error("request_too_large", "Request exceeds the maximum size"),
            413,
            "upstream_invalid_request",
        ),
        (500, _error("api_error", "Internal server error"), 502, "upstream_error"),
        (529, _error("overloaded_error", "Overloaded"), 503, "upstream_overloaded"),
        (503, b"<html>unavailable</html>", 503, "upstream_overloaded"),
    ],
)
def test_provider_errors_are_mapped(
    status: int, body: bytes, expected_status: int, expected_code: str
) -> None:
    error = anthropic_adapter().map_error(status, {}, body)

    assert (error.status, error.code) == (expected_status, expected_code)


def test_a_client_fault_keeps_anthropics_message() -> None:
    error = anthropic_adapter().map_error(
        400, {}, _error("invalid_request_error", "max_tokens: Field required")
    )
    assert error.message == "max_tokens: Field required"


def test_a_rate_limit_keeps_its_retry_after() -> None:
    error = anthropic_adapter().map_error(429, {"retry-after": "17"}, _error("rate_limit_error", "slow down"))

    assert (error.status, error.retry_after_s, error.retryable) == (429, 17.0, True)


def test_an_error_never_carries_a_credential() -> None:
    error = anthropic_adapter().map_error(
        400, {}, _error("invalid_request_error", f"bad key {KEY} in header")
    )

    assert KEY not in error.message and "[redacted]" in error.message
