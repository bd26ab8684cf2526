"""OpenAI's wire protocol: `/v1/models`, `/v1/chat/completions`, `/v1/embeddings`.

Requests need `Authorization: Bearer <key>`: the configured key, or any
non-empty key when none is configured. Bodies are validated strictly (see
`openai_request.py`), answered deterministically (see `answers.py`) and
delivered under the request's knobs and faults (see `delivery.py`). Any model
name is accepted; `/v1/models` lists a few fake ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import partial

from aigw_fakeprovider._http import Request
from aigw_fakeprovider.answers import answer
from aigw_fakeprovider.app import Route
from aigw_fakeprovider.delivery import JsonResponse, Response, answer_json, answer_stream, deliver
from aigw_fakeprovider.errors import InvalidRequestError, ProviderError, retry_after
from aigw_fakeprovider.faults import FaultPlanner, RequestPlan
from aigw_fakeprovider.knobs import FaultKind
from aigw_fakeprovider.openai_request import (
    ChatRequest,
    EmbeddingRequest,
    parse_chat_request,
    parse_embedding_request,
    parse_json_object,
)
from aigw_fakeprovider.openai_response import (
    DONE,
    completion_body,
    embeddings_body,
    error_body,
    error_event,
    new_envelope,
    stream_frames,
)
from aigw_runtime.clock import Clock

MODELS = ("fake-gpt-4o", "fake-gpt-4o-mini", "fake-o3-mini", "fake-embedding-small", "fake-embedding-large")
_MODEL_CREATED = 1_715_367_049
_OWNER = "aigw-fake-provider"
_NO_DIMENSIONS_MODELS = frozenset({"text-embedding-ada-002"})
_KEY_PAGE = "https://platform.openai.com/account/api-keys"
_NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer "
    "auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're "
    "accessing the API from your browser and are prompted for a username and password. You can obtain an API "
    f"key from {_KEY_PAGE}."
)


def mask_key(key: str) -> str:
    """The key as OpenAI echoes it: a few characters at each end, the rest starred."""
    if len(key) > 12:
        return key[:8] + "*" * (len(key) - 12) + key[-4:]
    return key[:2] + "*" * max(len(key) - 2, 1)


def _model_card(model: str) -> dict[str, object]:
    return {"id": model, "object": "model", "created": _MODEL_CREATED, "owned_by": _OWNER}


def _authentication_error(message: str) -> ProviderError:
    return ProviderError(401, message, error_type="invalid_request_error", code="invalid_api_key")


def retry_headers(error: ProviderError) -> list[tuple[str, str]]:
    """OpenAI's `retry-after` and `retry-after-ms` for an error that says when to retry (Azure's too)."""
    if error.retry_after_s is None:
        return []
    return [*retry_after(error), ("retry-after-ms", str(round(error.retry_after_s * 1000)))]


def embeddings_answer(plan: RequestPlan, embedding: EmbeddingRequest) -> Response:
    """The `list` of embeddings for a valid request (Azure OpenAI answers the same)."""
    return answer_json(plan, embeddings_body(embedding))


class OpenAIProtocol:
    """The OpenAI-compatible endpoints."""

    def __init__(self, *, api_key: str | None, planner: FaultPlanner, clock: Clock) -> None:
        self._api_key = api_key
        self._planner = planner
        self._clock = clock

    def routes(self) -> Sequence[Route]:
        return (
            Route("GET", "/v1/models", self._list_models),
            Route("GET", "/v1/models/{model}", self._get_model),
            Route("POST", "/v1/chat/completions", self._chat_completions),
            Route("POST", "/v1/embeddings", self._embeddings),
        )

    def error_response(self, error: ProviderError) -> Response:
        headers = [("x-request-id", _request_id()), *retry_headers(error)]
        return JsonResponse(error.status, error_body(error), headers=headers)

    def unknown_route(self, request: Request, allowed_methods: Sequence[str]) -> ProviderError:
        if allowed_methods:
            message = f"Invalid method for URL ({request.method} {request.path})"
            return ProviderError(405, message, error_type="invalid_request_error")
        return ProviderError(
            404, f"Invalid URL ({request.method} {request.path})", error_type="invalid_request_error"
        )

    def _authenticate(self, request: Request) -> None:
        key = request.bearer_token()
        if key is None:
            raise _authentication_error(_NO_KEY)
        if self._api_key is not None and key != self._api_key:
            raise _authentication_error(
                f"Incorrect API key provided: {mask_key(key)}. You can find your API key at {_KEY_PAGE}."
            )

    async def _list_models(self, request: Request) -> Response:
        self._authenticate(request)
        return JsonResponse(200, {"object": "list", "data": [_model_card(model) for model in MODELS]})

    async def _get_model(self, request: Request) -> Response:
        self._authenticate(request)
        model = request.path_params["model"]
        if model not in MODELS:
            raise ProviderError(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                error_type="invalid_request_error",
                code="model_not_found",
            )
        return JsonResponse(200, _model_card(model))

    async def _chat_completions(self, request: Request) -> Response:
        self._authenticate(request)
        chat = parse_chat_request(parse_json_object(request.body))
        plan = self._planner.plan(chat.model)
        return deliver(
            plan,
            streaming=chat.stream,
            fault_error=partial(_fault_error, chat.model, plan),
            answer=partial(self._chat_answer, chat, plan),
        )

    def _chat_answer(self, chat: ChatRequest, plan: RequestPlan) -> Response:
        result = answer(chat.prompt)
        envelope = new_envelope(chat.model, self._clock.now())
        headers = [("x-request-id", _request_id())]
        if chat.stream:
            frames = stream_frames(result, envelope, include_usage=chat.include_usage)
            return answer_stream(
                plan,
                frames,
                headers=headers,
                terminator=DONE,
                in_band_error=partial(_in_band_error, chat.model, plan),
            )
        return answer_json(plan, completion_body(result, envelope), headers)

    async def _embeddings(self, request: Request) -> Response:
        self._authenticate(request)
        embedding = parse_embedding_request(parse_json_object(request.body))
        if embedding.dimensions is not None and embedding.model in _NO_DIMENSIONS_MODELS:
            raise InvalidRequestError("This model does not support specifying dimensions.")
        plan = self._planner.plan(embedding.model)
        return deliver(
            plan,
            streaming=False,
            fault_error=partial(_fault_error, embedding.model, plan),
            answer=partial(embeddings_answer, plan, embedding),
        )


def _request_id() -> str:
    return f"req_{uuid.uuid4().hex}"


def _in_band_error(model: str, plan: RequestPlan, sent: int) -> bytes:
    """How OpenAI fails a stream it started: its error object in a `data:` event, and no `[DONE]`."""
    return error_event(_fault_error(model, plan, FaultKind.STREAM_ERROR))


def _fault_error(model: str, plan: RequestPlan, fault: FaultKind) -> ProviderError:
    """OpenAI's answer for an injected error-status fault; `stream_error` is its 500 `server_error`."""
    if fault is FaultKind.RATE_LIMITED:
        wait = f"{plan.knobs.retry_after:g}"
        return ProviderError(
            429,
            f"Rate limit reached for {model} in organization org-fake on requests per min (RPM): "
            f"Limit 3, Used 3. Please try again in {wait}s.",
            error_type="requests",
            code="rate_limit_exceeded",
            retry_after_s=plan.knobs.retry_after,
        )
    if fault is FaultKind.OVERLOADED:
        return ProviderError(
            503, "The engine is currently overloaded, please try again later", error_type="server_error"
        )
    return ProviderError(
        500,
        "The server had an error while processing your request. Sorry about that!",
        error_type="server_error",
    )
