"""What Google's two Gemini front ends (AI Studio and Vertex AI) share over HTTP.

Query parameters are Google's system parameters (`alt`, `key`): any other
is refused like an unknown field. `alt=sse` streams as server-sent events; a
stream without it is one JSON array sent piece by piece; the unary methods
take `alt=json` only. Errors are the `google.rpc.Status` envelope, with no
`Retry-After` header (AI Studio says when to retry inside the body, as
`RetryInfo`). Answers are deterministic (`answers.py`) and delivered under
the request's knobs and faults (`delivery.py`); a started stream fails in
band with the front end's `stream_error` fault error, framed as the stream is
(see `gemini_response.py`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import parse_qs

from aigw_fakeprovider._http import Request
from aigw_fakeprovider.answers import answer
from aigw_fakeprovider.delivery import JsonResponse, Response, answer_json, answer_stream, deliver
from aigw_fakeprovider.errors import ProviderError
from aigw_fakeprovider.faults import FaultPlanner, RequestPlan
from aigw_fakeprovider.gemini_fields import (
    GoogleError,
    invalid_argument,
    status_body,
    unknown_query_parameter,
)
from aigw_fakeprovider.gemini_request import GenerateRequest
from aigw_fakeprovider.gemini_response import (
    ARRAY_TERMINATOR,
    Envelope,
    error_piece,
    response_body,
    stream_frames,
)
from aigw_fakeprovider.knobs import FaultKind

_SYSTEM_PARAMETERS = ("alt", "key")
_ALT_VALUES = ("json", "sse")


@dataclass(frozen=True, slots=True)
class Query:
    """A request's system parameters."""

    alt: str
    key: str | None


def parse_query(request: Request, *, streaming: bool) -> Query:
    params = parse_qs(request.query, keep_blank_values=True)
    for name in params:
        if name not in _SYSTEM_PARAMETERS:
            raise unknown_query_parameter(name)
    alt = params.get("alt", ["json"])[-1]
    if alt not in _ALT_VALUES:
        raise invalid_argument(f"Invalid value for alt: {alt}. Use json or sse.")
    if alt == "sse" and not streaming:
        raise invalid_argument(
            "alt=sse is only available on streaming methods, such as streamGenerateContent."
        )
    key = params.get("key", [None])[-1]
    return Query(alt=alt, key=key or None)


def new_response_id() -> str:
    return secrets.token_urlsafe(15)


@dataclass(frozen=True, slots=True)
class Generation:
    """One valid generate call: what to answer, how to deliver it, and as which model."""

    request: GenerateRequest
    model: str
    streaming: bool
    sse: bool


def deliver_generation(
    generation: Generation,
    planner: FaultPlanner,
    fault_error: Callable[[RequestPlan, FaultKind], ProviderError],
    envelope: Callable[[], Envelope],
) -> Response:
    """The answer to a generate call, or the fault the knobs planned for it."""
    plan = planner.plan(generation.model)
    return deliver(
        plan,
        streaming=generation.streaming,
        fault_error=partial(fault_error, plan),
        answer=partial(_generated, generation, plan, envelope, partial(fault_error, plan)),
    )


def deliver_body(
    model: str,
    planner: FaultPlanner,
    fault_error: Callable[[RequestPlan, FaultKind], ProviderError],
    body: Callable[[], dict[str, Any]],
) -> Response:
    """The JSON answer of a unary method (`body` builds it), or the fault the knobs planned for it."""
    plan = planner.plan(model)
    return deliver(
        plan,
        streaming=False,
        fault_error=partial(fault_error, plan),
        answer=lambda: answer_json(plan, body()),
    )


def _generated(
    generation: Generation,
    plan: RequestPlan,
    envelope: Callable[[], Envelope],
    fault_error: Callable[[FaultKind], ProviderError],
) -> Response:
    result = answer(generation.request.prompt)
    if generation.streaming:
        return answer_stream(
            plan,
            stream_frames(result, envelope(), sse=generation.sse),
            terminator=None if generation.sse else ARRAY_TERMINATOR,
            content_type="text/event-stream" if generation.sse else "application/json",
            in_band_error=partial(_in_band_error, fault_error, generation.sse),
        )
    return answer_json(plan, response_body(result, envelope()))


def _in_band_error(fault_error: Callable[[FaultKind], ProviderError], sse: bool, sent: int) -> bytes:
    """How Google fails a stream it started: the Status envelope where the next response would be."""
    return error_piece(status_body(fault_error(FaultKind.STREAM_ERROR)), sent, sse=sse)


class GoogleErrors:
    """The errors of a Google front end's wire protocol: the `google.rpc.Status` envelope, its 404 and 405."""

    def error_response(self, error: ProviderError) -> Response:
        return JsonResponse(error.status, status_body(error))

    def unknown_route(self, request: Request, allowed_methods: Sequence[str]) -> ProviderError:
        if allowed_methods:
            return GoogleError(405, f"Method {request.method} is not allowed on {request.path}.")
        return GoogleError(404, f"The requested URL {request.path} was not found on this server.")
