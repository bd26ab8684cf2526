"""Anthropic's wire protocol: `POST /v1/messages` and `POST /v1/messages/count_tokens`.

Requests need a key, as `x-api-key` or as `Authorization: Bearer` (the
configured key, or any non-empty key when none is configured; `x-api-key`
wins when both come), and an `anthropic-version` header naming a published
version (`API_VERSIONS`; the version decides which sampling fields exist,
see `anthropic_request.py`). Bodies are validated strictly (see
`anthropic_request.py` and `anthropic_messages.py`), answered
deterministically (see `answers.py`) and delivered under the request's knobs
and faults (see `delivery.py`): fault 429 is a `rate_limit_error` with
`retry-after`, 500 an `api_error`, 503 Anthropic's 529 `overloaded_error`;
`stream_error` fails a started stream with an `event: error` holding that
`overloaded_error` (and fails a request that does not stream with the 529).
Errors use Anthropic's envelope `{"type": "error", "error": {"type",
"message"}, "request_id"}`. Any model name is accepted.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import partial

from aigw_fakeprovider._http import Request
from aigw_fakeprovider.answers import answer
from aigw_fakeprovider.anthropic_request import (
    API_VERSIONS,
    MessagesRequest,
    parse_count_tokens_request,
    parse_json_object,
    parse_messages_request,
)
from aigw_fakeprovider.anthropic_response import (
    MessageEnvelope,
    error_body,
    error_event,
    message_body,
    stream_frames,
)
from aigw_fakeprovider.app import Route
from aigw_fakeprovider.delivery import JsonResponse, Response, answer_json, answer_stream, deliver
from aigw_fakeprovider.errors import ProviderError, retry_after
from aigw_fakeprovider.faults import FaultPlanner, RequestPlan
from aigw_fakeprovider.knobs import FaultKind

OVERLOADED_STATUS = 529
"""Anthropic's status for an overloaded API (the fake's `503` fault)."""


def _request_id() -> str:
    return f"req_{uuid.uuid4().hex[:24]}"


def _authentication_error(message: str) -> ProviderError:
    return ProviderError(401, message, error_type="authentication_error")


class AnthropicProtocol:
    """The Anthropic Messages endpoints."""

    def __init__(self, *, api_key: str | None, planner: FaultPlanner) -> None:
        self._api_key = api_key
        self._planner = planner

    def routes(self) -> Sequence[Route]:
        return (
            Route("POST", "/v1/messages", self._messages),
            Route("POST", "/v1/messages/count_tokens", self._count_tokens),
        )

    def error_response(self, error: ProviderError) -> Response:
        request_id = _request_id()
        retryable = error.status in (408, 409, 429) or error.status >= 500
        headers = [
            ("request-id", request_id),
            ("x-should-retry", "true" if retryable else "false"),
            *retry_after(error),
        ]
        return JsonResponse(error.status, error_body(error, request_id), headers=headers)

    def unknown_route(self, request: Request, allowed_methods: Sequence[str]) -> ProviderError:
        if allowed_methods:
            return ProviderError(
                405,
                f"Method {request.method} not allowed on {request.path}",
                error_type="invalid_request_error",
            )
        return ProviderError(404, "Not Found", error_type="not_found_error")

    def _check_headers(self, request: Request) -> str:
        """Authenticates the request; returns its API version."""
        key = request.headers.get("x-api-key", "").strip() or request.bearer_token()
        if not key:
            raise _authentication_error("x-api-key header is required")
        if self._api_key is not None and key != self._api_key:
            raise _authentication_error("invalid x-api-key")
        version = request.headers.get("anthropic-version", "").strip()
        if not version:
            raise ProviderError(
                400, "anthropic-version: header is required", error_type="invalid_request_error"
            )
        if version not in API_VERSIONS:
            raise ProviderError(
                400,
                f"anthropic-version: {version!r} is not a valid version",
                error_type="invalid_request_error",
            )
        return version

    async def _messages(self, request: Request) -> Response:
        version = self._check_headers(request)
        messages = parse_messages_request(parse_json_object(request.body), version)
        plan = self._planner.plan(messages.model)
        return deliver(
            plan,
            streaming=messages.stream,
            fault_error=partial(_fault_error, plan),
            answer=partial(_answer, messages, plan),
        )

    async def _count_tokens(self, request: Request) -> Response:
        self._check_headers(request)
        counted = parse_count_tokens_request(parse_json_object(request.body))
        body = {"input_tokens": answer(counted.prompt).prompt_tokens}
        return JsonResponse(200, body, headers=[("request-id", _request_id())])


def _answer(messages: MessagesRequest, plan: RequestPlan) -> Response:
    result = answer(messages.prompt)
    envelope = MessageEnvelope(id=f"msg_{uuid.uuid4().hex[:24]}", model=messages.model)
    headers = [("request-id", _request_id())]
    if messages.stream:
        return answer_stream(
            plan,
            stream_frames(result, envelope),
            headers=headers,
            in_band_error=partial(_in_band_error, plan),
        )
    return answer_json(plan, message_body(result, envelope), headers)


def _in_band_error(plan: RequestPlan, sent: int) -> bytes:
    """How Anthropic fails a stream it started: an `error` event, and no `message_stop`."""
    return error_event(_fault_error(plan, FaultKind.STREAM_ERROR))


def _fault_error(plan: RequestPlan, fault: FaultKind) -> ProviderError:
    """Anthropic's answer for an injected error-status fault; `stream_error` is the overload."""
    if fault is FaultKind.RATE_LIMITED:
        return ProviderError(
            429,
            "This request would exceed your organization's rate limit. Please try again later.",
            error_type="rate_limit_error",
            retry_after_s=plan.knobs.retry_after,
        )
    if fault in (FaultKind.OVERLOADED, FaultKind.STREAM_ERROR):
        return ProviderError(OVERLOADED_STATUS, "Overloaded", error_type="overloaded_error")
    return ProviderError(500, "Internal server error", error_type="api_error")
