"""Cohere's v2 wire protocol: `POST /v2/chat` (streamed or not) and `POST /v2/embed`.

Requests need `Authorization: Bearer <key>` (the configured key, or any
non-empty key when none is configured). Bodies are validated strictly (see
`cohere_request.py` and `cohere_messages.py`: an unknown field is a 422,
any other invalid body a 400), answered deterministically (see `answers.py`
and `cohere_response.py`) and delivered under the request's knobs and faults
(see `delivery.py`): fault 429 carries `retry-after`, 503 is Cohere's
service-unavailable answer; `stream_error` ends a started stream with a
`message-end` whose finish reason is `ERROR` (Cohere's stream has no error
event), carrying the 500's message. Errors use Cohere's envelope `{"id",
"message"}`.
Any model name is accepted.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import partial

from aigw_fakeprovider._http import Request
from aigw_fakeprovider.answers import answer
from aigw_fakeprovider.app import Route
from aigw_fakeprovider.cohere_request import (
    ChatRequest,
    EmbedRequest,
    parse_chat_request,
    parse_embed_request,
    parse_json_object,
)
from aigw_fakeprovider.cohere_response import (
    chat_body,
    embed_body,
    error_body,
    failed_end_event,
    stream_frames,
)
from aigw_fakeprovider.delivery import JsonResponse, Response, answer_json, answer_stream, deliver
from aigw_fakeprovider.errors import ProviderError, retry_after
from aigw_fakeprovider.faults import FaultPlanner, RequestPlan
from aigw_fakeprovider.knobs import FaultKind

_RATE_LIMITED = (
    "You are using a Trial key, which is limited to 10 API calls / minute. You can continue to use the "
    "Trial key for free or upgrade to a Production key with higher rate limits."
)


def _id() -> str:
    return str(uuid.uuid4())


def _unauthorized(message: str) -> ProviderError:
    return ProviderError(401, message, error_type="unauthorized")


class CohereProtocol:
    """The Cohere v2 chat and embed endpoints."""

    def __init__(self, *, api_key: str | None, planner: FaultPlanner) -> None:
        self._api_key = api_key
        self._planner = planner

    def routes(self) -> Sequence[Route]:
        return (Route("POST", "/v2/chat", self._chat), Route("POST", "/v2/embed", self._embed))

    def error_response(self, error: ProviderError) -> Response:
        headers = [("x-request-id", _id()), *retry_after(error)]
        return JsonResponse(error.status, error_body(error, _id()), headers=headers)

    def unknown_route(self, request: Request, allowed_methods: Sequence[str]) -> ProviderError:
        if allowed_methods:
            return ProviderError(405, "Method Not Allowed", error_type="method_not_allowed")
        return ProviderError(404, "Not Found", error_type="not_found")

    def _authenticate(self, request: Request) -> None:
        key = request.bearer_token()
        if key is None:
            raise _unauthorized("no api key supplied")
        if self._api_key is not None and key != self._api_key:
            raise _unauthorized("invalid api token")

    async def _chat(self, request: Request) -> Response:
        self._authenticate(request)
        chat = parse_chat_request(parse_json_object(request.body))
        plan = self._planner.plan(chat.model)
        return deliver(
            plan,
            streaming=chat.stream,
            fault_error=partial(_fault_error, plan),
            answer=partial(_chat_answer, chat, plan),
        )

    async def _embed(self, request: Request) -> Response:
        self._authenticate(request)
        embed = parse_embed_request(parse_json_object(request.body))
        plan = self._planner.plan(embed.model)
        return deliver(
            plan,
            streaming=False,
            fault_error=partial(_fault_error, plan),
            answer=partial(_embed_answer, embed, plan),
        )


def _chat_answer(chat: ChatRequest, plan: RequestPlan) -> Response:
    result = answer(chat.prompt)
    headers = [("x-request-id", _id())]
    if chat.stream:
        return answer_stream(
            plan,
            stream_frames(result, _id()),
            headers=headers,
            in_band_error=partial(_in_band_error, plan),
        )
    return answer_json(plan, chat_body(result, _id()), headers)


def _embed_answer(embed: EmbedRequest, plan: RequestPlan) -> Response:
    body = embed_body(_id(), embed.texts, dimensions=embed.dimensions, input_tokens=embed.input_tokens)
    return answer_json(plan, body, [("x-request-id", _id())])


def _in_band_error(plan: RequestPlan, sent: int) -> bytes:
    """How Cohere fails a stream it started: a `message-end` with finish reason `ERROR`."""
    return failed_end_event(_fault_error(plan, FaultKind.STREAM_ERROR))


def _fault_error(plan: RequestPlan, fault: FaultKind) -> ProviderError:
    """Cohere's answer for an injected error-status fault; `stream_error` is the 500 internal error."""
    if fault is FaultKind.RATE_LIMITED:
        return ProviderError(
            429, _RATE_LIMITED, error_type="too_many_requests", retry_after_s=plan.knobs.retry_after
        )
    if fault is FaultKind.OVERLOADED:
        return ProviderError(
            503, "service unavailable, please try again later", error_type="service_unavailable"
        )
    return ProviderError(
        500, "internal server error, this has been reported to our developers", error_type="internal"
    )
