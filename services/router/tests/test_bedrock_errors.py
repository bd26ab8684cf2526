"""The Bedrock adapter, errors: AWS error types, from the header or the body, mapped to the gateway's."""

from __future__ import annotations

import orjson
import pytest

from bedrock_samples import bedrock_adapter


@pytest.mark.parametrize(
    ("status", "error_type", "gateway_status", "code"),
    [
        (429, "ThrottlingException", 429, "upstream_rate_limited"),
        (
            503,
            "ServiceUnavailableException:http://internal.amazon.com/coral/com.amazon.bedrock/",
            503,
            "upstream_overloaded",
        ),
        (429, "ModelNotReadyException", 503, "upstream_overloaded"),
        (
            400,
            "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/",
            400,
            "upstream_invalid_request",
        ),
        (403, "AccessDeniedException", 502, "upstream_auth_failed"),
        (403, "InvalidSignatureException", 502, "upstream_auth_failed"),
        (404, "ResourceNotFoundException", 502, "upstream_not_found"),
        (408, "ModelTimeoutException", 504, "upstream_timeout"),
        (424, "ModelErrorException", 502, "upstream_error"),
        (500, "InternalServerException", 502, "upstream_error"),
    ],
)
def test_bedrock_errors_map_to_gateway_errors(
    status: int, error_type: str, gateway_status: int, code: str
) -> None:
    error = bedrock_adapter().map_error(status, {"x-amzn-ErrorType": error_type}, b'{"message": "m"}')

    assert (error.status, error.code) == (gateway_status, code)


def test_the_error_kind_may_come_in_the_body() -> None:
    body = b'{"__type": "com.amazon.coral.availability#ThrottlingException", "message": "slow down"}'

    error = bedrock_adapter().map_error(400, {}, body)

    assert error.status == 429


def test_a_throttled_request_keeps_its_retry_after() -> None:
    error = bedrock_adapter().map_error(
        429, {"x-amzn-errortype": "ThrottlingException", "Retry-After": "7"}, b"{}"
    )

    assert error.retry_after_s == 7


def test_a_validation_message_reaches_the_client_without_any_credential() -> None:
    body = orjson.dumps({"Message": "The security token AKIAIOSFODNN7EXAMPLE is not valid for temperature"})

    error = bedrock_adapter().map_error(400, {"x-amzn-errortype": "ValidationException"}, body)

    assert error.status == 400 and "temperature" in error.message
    assert "AKIAIOSFODNN7EXAMPLE" not in error.message
