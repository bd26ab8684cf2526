"""The gateway's error hierarchy and its two wire shapes.

Every failure a client can see is a `GatewayError`. It is mapped in exactly
one place to each wire: a gRPC status carrying a `google.rpc.Status` with an
`aigw.common.v1.GatewayError` detail inside the suite, and OpenAI's error JSON
`{"error": {"message", "type", "param", "code"}}` at the edge. The detail keeps
the HTTP status, type, code, param and Retry-After exact across hops.
"""

from __future__ import annotations

from typing import ClassVar

import grpc
import orjson
from google.protobuf import any_pb2
from google.rpc import status_pb2
from grpc_status import rpc_status

from aigw.common.v1 import common_pb2

_STATUS_DETAILS_KEY = "grpc-status-details-bin"

_GRPC_CODE_BY_HTTP: dict[int, grpc.StatusCode] = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    408: grpc.StatusCode.DEADLINE_EXCEEDED,
    409: grpc.StatusCode.ALREADY_EXISTS,
    413: grpc.StatusCode.INVALID_ARGUMENT,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    500: grpc.StatusCode.INTERNAL,
    502: grpc.StatusCode.UNAVAILABLE,
    503: grpc.StatusCode.UNAVAILABLE,
    504: grpc.StatusCode.DEADLINE_EXCEEDED,
}


class GatewayError(Exception):
    """A failure with a place in OpenAI's error shape and a gRPC status."""

    http_status: ClassVar[int] = 500
    error_type: ClassVar[str] = "server_error"
    default_code: ClassVar[str | None] = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        retry_after_s: float | None = None,
        http_status: int | None = None,
        error_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code if code is not None else self.default_code
        self.retry_after_s = retry_after_s
        self.status = http_status if http_status is not None else self.http_status
        self.type = error_type if error_type is not None else self.error_type

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {self.message!r}, code={self.code!r})"

    @property
    def retryable(self) -> bool:
        """Whether trying again (elsewhere or later) may succeed."""
        return self.status in (408, 429) or self.status >= 500


class InvalidRequestError(GatewayError):
    http_status = 400
    error_type = "invalid_request_error"


class RequestTooLargeError(GatewayError):
    http_status = 413
    error_type = "invalid_request_error"
    default_code = "request_too_large"


class AuthenticationError(GatewayError):
    http_status = 401
    error_type = "invalid_request_error"
    default_code = "invalid_api_key"


class PermissionDeniedError(GatewayError):
    http_status = 403
    error_type = "permission_error"
    default_code = "permission_denied"


class NotFoundError(GatewayError):
    http_status = 404
    error_type = "invalid_request_error"
    default_code = "not_found"


class ModelNotFoundError(NotFoundError):
    default_code = "model_not_found"

    def __init__(self, model: str) -> None:
        super().__init__(
            f"The model `{model}` does not exist or you do not have access to it.", param="model"
        )


class RateLimitError(GatewayError):
    http_status = 429
    error_type = "requests"
    default_code = "rate_limit_exceeded"


class InternalError(GatewayError):
    http_status = 500
    error_type = "server_error"
    default_code = "internal_error"


class UpstreamError(GatewayError):
    """The provider failed in a way the gateway cannot hide (bad gateway)."""

    http_status = 502
    error_type = "server_error"
    default_code = "upstream_error"


class ServiceUnavailableError(GatewayError):
    http_status = 503
    error_type = "server_error"
    default_code = "service_unavailable"


class UpstreamTimeoutError(GatewayError):
    http_status = 504
    error_type = "server_error"
    default_code = "upstream_timeout"


_CLASS_BY_STATUS: dict[int, type[GatewayError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    413: RequestTooLargeError,
    429: RateLimitError,
    500: InternalError,
    502: UpstreamError,
    503: ServiceUnavailableError,
    504: UpstreamTimeoutError,
}


def error_for_status(
    status: int,
    message: str,
    *,
    error_type: str | None = None,
    code: str | None = None,
    param: str | None = None,
    retry_after_s: float | None = None,
) -> GatewayError:
    """Builds the error class that fits an HTTP status, keeping the exact status."""
    cls = _CLASS_BY_STATUS.get(status, GatewayError if status >= 500 else InvalidRequestError)
    return cls(
        message,
        param=param,
        code=code,
        retry_after_s=retry_after_s,
        http_status=status,
        error_type=error_type,
    )


# --- gRPC -------------------------------------------------------------------


def grpc_code(error: GatewayError) -> grpc.StatusCode:
    return _GRPC_CODE_BY_HTTP.get(
        error.status, grpc.StatusCode.INTERNAL if error.status >= 500 else grpc.StatusCode.INVALID_ARGUMENT
    )


def to_detail(error: GatewayError) -> common_pb2.GatewayError:
    """The typed detail that carries an error exactly across a hop."""
    return common_pb2.GatewayError(
        http_status=error.status,
        type=error.type,
        code=error.code or "",
        param=error.param or "",
        message=error.message,
        retry_after_s=error.retry_after_s or 0.0,
    )


def from_detail(detail: common_pb2.GatewayError) -> GatewayError:
    return error_for_status(
        detail.http_status,
        detail.message,
        error_type=detail.type,
        code=detail.code or None,
        param=detail.param or None,
        retry_after_s=detail.retry_after_s or None,
    )


def to_grpc_status(error: GatewayError) -> grpc.Status:
    """The status a servicer aborts with: code, message and the typed detail."""
    packed = any_pb2.Any()
    packed.Pack(to_detail(error))
    status = status_pb2.Status(code=grpc_code(error).value[0], message=error.message, details=[packed])
    result: grpc.Status = rpc_status.to_status(status)
    return result


_FALLBACK_BY_GRPC_CODE: dict[grpc.StatusCode, tuple[int, str]] = {
    grpc.StatusCode.UNAVAILABLE: (503, "A gateway service is unavailable."),
    grpc.StatusCode.DEADLINE_EXCEEDED: (504, "A gateway service did not answer in time."),
    grpc.StatusCode.CANCELLED: (503, "The call was cancelled."),
    grpc.StatusCode.UNAUTHENTICATED: (401, "Authentication failed."),
    grpc.StatusCode.PERMISSION_DENIED: (403, "Permission denied."),
    grpc.StatusCode.NOT_FOUND: (404, "Not found."),
    grpc.StatusCode.INVALID_ARGUMENT: (400, "Invalid request."),
    grpc.StatusCode.RESOURCE_EXHAUSTED: (429, "Too many requests."),
}


def from_rpc_error(error: grpc.aio.AioRpcError) -> GatewayError:
    """Rebuilds the GatewayError a service aborted with; maps a bare status sensibly."""
    trailing = error.trailing_metadata() or ()
    for key, value in trailing:
        if key == _STATUS_DETAILS_KEY and isinstance(value, bytes):
            status = status_pb2.Status.FromString(value)
            for packed in status.details:
                if packed.Is(common_pb2.GatewayError.DESCRIPTOR):
                    detail = common_pb2.GatewayError()
                    packed.Unpack(detail)
                    return from_detail(detail)
    status_code, message = _FALLBACK_BY_GRPC_CODE.get(error.code(), (500, "Internal gateway error."))
    return error_for_status(status_code, message)


# --- OpenAI's error JSON -----------------------------------------------------


def openai_error_body(error: GatewayError) -> bytes:
    """`{"error": {"message", "type", "param", "code"}}`, as OpenAI sends it."""
    return orjson.dumps(
        {"error": {"message": error.message, "type": error.type, "param": error.param, "code": error.code}}
    )


def retry_after_header(error: GatewayError) -> str | None:
    """Whole seconds for the Retry-After header, rounded up, or None."""
    if error.retry_after_s is None or error.retry_after_s <= 0:
        return None
    return str(max(1, int(-(-error.retry_after_s // 1))))
