"""The Azure OpenAI adapter, errors: content filter refusals, rate limits and Azure's error codes mapped."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from azure_samples import KEY, azure_adapter

CONTENT_FILTER = {
    "error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management "
        "policy. Please modify your prompt and retry.",
        "type": None,
        "param": "prompt",
        "code": "content_filter",
        "status": 400,
        "innererror": {
            "code": "ResponsibleAIPolicyViolation",
            "content_filter_result": {
                "hate": {"filtered": False, "severity": "safe"},
                "jailbreak": {"filtered": False, "detected": False},
                "violence": {"filtered": True, "severity": "medium"},
            },
        },
    }
}


def test_a_content_filter_refusal_is_a_400_naming_the_categories() -> None:
    error = azure_adapter().map_error(400, {}, orjson.dumps(CONTENT_FILTER))

    assert (error.status, error.code, error.param) == (400, "content_filter", "messages")
    assert "content filter of provider azure-east (violence: medium)" in error.message


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [({"retry-after": "1", "retry-after-ms": "1500"}, 1.5), ({"retry-after": "7"}, 7.0)],
)
def test_a_rate_limit_keeps_its_retry_after(headers: dict[str, str], retry_after: float) -> None:
    body = {
        "error": {
            "code": "429",
            "message": "Requests to the ChatCompletions_Create Operation ... retry after 1",
        }
    }

    error = azure_adapter().map_error(429, headers, orjson.dumps(body))

    assert (error.status, error.code, error.retry_after_s) == (429, "upstream_rate_limited", retry_after)


@pytest.mark.parametrize(
    ("status", "body", "expected_status", "expected_code"),
    [
        (401, {"error": {"code": "401", "message": "Access denied due to invalid subscription key"}}, 502,
         "upstream_auth_failed"),
        (404, {"error": {"code": "DeploymentNotFound", "message": "The API deployment for this resource does not "
                         "exist."}}, 502, "upstream_not_found"),
        (404, {"error": {"code": "404", "message": "Resource not found"}}, 502, "upstream_not_found"),
        (400, {"error": {"code": "BadRequest", "message": "API version not supported"}}, 502,
         "upstream_api_version"),
        (400, {"error": {"message": "Unrecognized request argument supplied: foo", "type": "invalid_request_error",
                         "param": None, "code": None}}, 400, "upstream_invalid_request"),
        (503, {"error": {"code": "ServiceUnavailable", "message": "Try again later."}}, 503, "upstream_overloaded"),
        (500, {"error": {"message": "The server had an error", "type": "server_error"}}, 502, "upstream_error"),
    ],
)  # fmt: skip
def test_azures_errors_are_mapped(status: int, body: Any, expected_status: int, expected_code: str) -> None:
    error = azure_adapter().map_error(status, {}, orjson.dumps(body))

    assert (error.status, error.code) == (expected_status, expected_code)
    assert KEY not in error.message


def test_an_unknown_field_refusal_keeps_azures_message() -> None:
    body = {
        "error": {"message": "Unrecognized request argument supplied: foo", "type": "invalid_request_error"}
    }

    error = azure_adapter().map_error(400, {}, orjson.dumps(body))

    assert error.message == "Unrecognized request argument supplied: foo"
