"""The Cohere adapter, errors: Cohere's error answers mapped to the gateway's, with no credential in them."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from cohere_samples import cohere_adapter


@pytest.mark.parametrize(
    ("status", "body", "expected_status", "code"),
    [
        (
            400,
            {"id": "b1", "message": "invalid request: message must be at least 1 token long"},
            400,
            "upstream_invalid_request",
        ),
        (
            422,
            {"message": "unknown field: parameter 'strict' is not a valid field."},
            400,
            "upstream_invalid_request",
        ),
        (401, {"id": "a1", "message": "invalid api token"}, 502, "upstream_auth_failed"),
        (498, {"message": "invalid token"}, 502, "upstream_auth_failed"),
        (402, {"message": "Please add a payment method"}, 502, "upstream_error"),
        (404, {"message": "model 'x' not found"}, 502, "upstream_not_found"),
        (499, {"message": "request cancelled"}, 502, "upstream_error"),
        (500, {"id": "d1", "message": "internal server error"}, 502, "upstream_error"),
        (503, {"message": "service unavailable"}, 503, "upstream_overloaded"),
        (504, {"message": "timed out"}, 504, "upstream_timeout"),
    ],
)
def test_cohere_errors_map_to_gateway_errors(
    status: int, body: dict[str, Any], expected_status: int, code: str
) -> None:
    error = cohere_adapter().map_error(status, {}, orjson.dumps(body))

    assert (error.status, error.code) == (expected_status, code)
    if expected_status == 400:
        assert error.message == body["message"]


def test_a_429_keeps_retry_after_and_no_credential_leaks() -> None:
    body = {"id": "c1", "message": "Trial key limit; sent Bearer co-upstream-secret"}

    limited = cohere_adapter().map_error(429, {"retry-after": "7"}, orjson.dumps(body))
    echoed = cohere_adapter().map_error(400, {}, orjson.dumps(body))

    assert (limited.status, limited.retry_after_s) == (429, 7.0)
    assert "co-upstream-secret" not in limited.message and "co-upstream-secret" not in echoed.message


def test_an_error_body_that_is_not_json_still_maps_by_status() -> None:
    assert cohere_adapter().map_error(500, {}, b"<html>bad gateway</html>").status == 502
