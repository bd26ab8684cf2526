"""Azure OpenAI's own error shapes, beside the OpenAI envelope it forwards for validation errors.

Errors of Azure's service layer are `{"error": {"code", "message"}}` (a
missing api-version: 404 "Resource not found"; an unknown one: 400
"BadRequest" "API version not supported"; a wrong key: "401"; rate limits:
"429"), and an invalid bearer token is refused by the gateway in front with
`{"statusCode": 401, "message"}`. Errors the model service finds in the body
are OpenAI's `{"error": {"message", "type", "param", "code"}}`.
"""

from __future__ import annotations

from typing import Any

from aigw_fakeprovider.errors import ProviderError

_INVALID_KEY = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)
_MISSING_KEY = (
    "Access denied due to missing subscription key. Make sure to include subscription key when making "
    "requests to an API."
)
_INVALID_TOKEN = (
    "Unauthorized. Access token is missing, invalid, audience is incorrect "
    "(https://cognitiveservices.azure.com), or have expired."
)


class AzureError(ProviderError):
    """An error Azure renders in a shape of its own (see `body`)."""

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


class AzureTokenError(AzureError):
    """A bearer token the gateway in front of Azure OpenAI does not accept."""

    def __init__(self) -> None:
        super().__init__(401, _INVALID_TOKEN, error_type="unauthorized", code="401")

    def body(self) -> dict[str, Any]:
        return {"statusCode": self.status, "message": self.message}


def service_error(status: int, code: str, message: str, *, retry_after_s: float | None = None) -> AzureError:
    return AzureError(status, message, error_type="azure", code=code, retry_after_s=retry_after_s)


def invalid_key() -> AzureError:
    return service_error(401, "401", _INVALID_KEY)


def missing_key() -> AzureError:
    return service_error(401, "401", _MISSING_KEY)


def resource_not_found() -> AzureError:
    return service_error(404, "404", "Resource not found")


def api_version_not_supported() -> AzureError:
    return service_error(400, "BadRequest", "API version not supported")
