"""Azure OpenAI's wire protocol: deployment paths with an api-version, and the `/openai/v1` API.

- `POST /openai/deployments/{deployment}/chat/completions?api-version=...` and
  `.../embeddings`: the api-version is required (missing: 404 "Resource not
  found"; one the fake does not serve: 400 "API version not supported") and
  decides which fields the body may hold (`azure_request.py`).
- `POST /openai/v1/chat/completions` and `/openai/v1/embeddings`: OpenAI's
  bodies, `model` naming the deployment; no api-version, or `preview`.

Authentication: an `api-key` header (the configured key, or any non-empty key
when none is configured), or `Authorization: Bearer` with a token the fake's
Entra ID endpoint issued for `https://cognitiveservices.azure.com`
(`azure_entra.py`); on `/openai/v1` the key may also come as the bearer, as
OpenAI's own client sends it. Bodies are then validated by the OpenAI
protocol's rules, answered by `answers.py`, annotated and filtered as
`azure_filter.py` describes, and delivered under the knobs and faults of the
deployment (`delivery.py`): fault 429 is Azure's rate-limit error with
`retry-after` and `retry-after-ms`, 503 its "ServiceUnavailable", 500 the
model service's server error; `stream_error` fails a started stream with that
server error in a `data:` event, as OpenAI does, and no `[DONE]`.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from functools import partial
from typing import Any
from urllib.parse import parse_qs

import orjson

from aigw_fakeprovider._http import Request
from aigw_fakeprovider.answers import answer
from aigw_fakeprovider.app import Route
from aigw_fakeprovider.azure_entra import COGNITIVE_SERVICES, TokenIssuer
from aigw_fakeprovider.azure_errors import (
    AzureError,
    AzureTokenError,
    api_version_not_supported,
    invalid_key,
    missing_key,
    resource_not_found,
    service_error,
)
from aigw_fakeprovider.azure_filter import (
    ContentFilterError,
    annotate_completion,
    annotate_frames,
    filtered_answer,
    judge,
)
from aigw_fakeprovider.azure_request import (
    API_VERSIONS,
    V1_API_VERSIONS,
    parse_deployment_chat,
    parse_deployment_embeddings,
)
from aigw_fakeprovider.delivery import JsonResponse, Response, answer_json, answer_stream, deliver
from aigw_fakeprovider.errors import ProviderError
from aigw_fakeprovider.faults import FaultPlanner, RequestPlan
from aigw_fakeprovider.knobs import FaultKind
from aigw_fakeprovider.openai import embeddings_answer, retry_headers
from aigw_fakeprovider.openai_request import (
    ChatRequest,
    EmbeddingRequest,
    parse_chat_request,
    parse_embedding_request,
    parse_json_object,
)
from aigw_fakeprovider.openai_response import DONE, completion_body, error_body, new_envelope, stream_frames
from aigw_runtime.clock import Clock

_CHAT_OPERATION = "ChatCompletions_Create"
_EMBEDDINGS_OPERATION = "Embeddings_Create"


class AzureOpenAIProtocol:
    """The Azure OpenAI data-plane endpoints for chat and embeddings."""

    def __init__(
        self, *, api_key: str | None, planner: FaultPlanner, clock: Clock, issuer: TokenIssuer
    ) -> None:
        self._api_key = api_key
        self._planner = planner
        self._clock = clock
        self._issuer = issuer

    def routes(self) -> Sequence[Route]:
        return (
            Route("POST", "/openai/deployments/{deployment}/chat/completions", self._deployment_chat),
            Route("POST", "/openai/deployments/{deployment}/embeddings", self._deployment_embeddings),
            Route("POST", "/openai/v1/chat/completions", self._v1_chat),
            Route("POST", "/openai/v1/embeddings", self._v1_embeddings),
        )

    def error_response(self, error: ProviderError) -> Response:
        headers = [("apim-request-id", str(uuid.uuid4())), *retry_headers(error)]
        return JsonResponse(error.status, _error_json(error), headers=headers)

    def unknown_route(self, request: Request, allowed_methods: Sequence[str]) -> ProviderError:
        if allowed_methods:
            return service_error(
                405, "405", f"The HTTP method {request.method} is not supported for this resource."
            )
        return resource_not_found()

    # --- what every request goes through -----------------------------------------

    def _admit(self, request: Request, *, v1: bool) -> str:
        """Checks the api-version, then the credentials; returns the api-version (`v1` on the v1 API)."""
        versions = parse_qs(request.query).get("api-version")
        version = versions[0] if versions else None
        if v1:
            if version is not None and version not in V1_API_VERSIONS:
                raise api_version_not_supported()
        elif version is None:
            raise resource_not_found()
        elif version not in API_VERSIONS:
            raise api_version_not_supported()
        self._authenticate(request, v1=v1)
        return version or "v1"

    def _authenticate(self, request: Request, *, v1: bool) -> None:
        key = request.headers.get("api-key", "").strip()
        if key:
            if self._api_key is not None and key != self._api_key:
                raise invalid_key()
            return
        token = request.bearer_token()
        if token is None:
            raise missing_key()
        if self._issuer.valid(token, COGNITIVE_SERVICES):
            return
        if v1 and (self._api_key is None or token == self._api_key):
            return
        raise AzureTokenError()

    # --- chat --------------------------------------------------------------------------

    async def _deployment_chat(self, request: Request) -> Response:
        version = self._admit(request, v1=False)
        deployment = request.path_params["deployment"]
        chat = parse_deployment_chat(parse_json_object(request.body), deployment, version)
        return self._chat(chat, version)

    async def _v1_chat(self, request: Request) -> Response:
        version = self._admit(request, v1=True)
        return self._chat(parse_chat_request(parse_json_object(request.body)), version)

    def _chat(self, chat: ChatRequest, version: str) -> Response:
        verdict = judge(chat.prompt.turns)
        if verdict.prompt is not None:
            raise ContentFilterError(verdict.prompt)
        plan = self._planner.plan(chat.model)
        return deliver(
            plan,
            streaming=chat.stream,
            fault_error=partial(_fault_error, plan, _CHAT_OPERATION, version),
            answer=partial(self._chat_answer, chat, plan, version, verdict.completion),
        )

    def _chat_answer(
        self, chat: ChatRequest, plan: RequestPlan, version: str, filtered: str | None
    ) -> Response:
        result, cut = filtered_answer(answer(chat.prompt), filtered)
        envelope = new_envelope(chat.model, self._clock.now())
        headers = [("apim-request-id", str(uuid.uuid4()))]
        if chat.stream:
            frames = stream_frames(result, envelope, include_usage=chat.include_usage)
            return answer_stream(
                plan,
                annotate_frames(frames, cut, filtered),
                headers=headers,
                terminator=DONE,
                in_band_error=partial(_in_band_error, plan, version),
            )
        body = annotate_completion(completion_body(result, envelope), cut, filtered)
        return answer_json(plan, body, headers)

    # --- embeddings ----------------------------------------------------------------

    async def _deployment_embeddings(self, request: Request) -> Response:
        version = self._admit(request, v1=False)
        deployment = request.path_params["deployment"]
        return self._embeddings(
            parse_deployment_embeddings(parse_json_object(request.body), deployment), version
        )

    async def _v1_embeddings(self, request: Request) -> Response:
        version = self._admit(request, v1=True)
        return self._embeddings(parse_embedding_request(parse_json_object(request.body)), version)

    def _embeddings(self, embedding: EmbeddingRequest, version: str) -> Response:
        plan = self._planner.plan(embedding.model)
        return deliver(
            plan,
            streaming=False,
            fault_error=partial(_fault_error, plan, _EMBEDDINGS_OPERATION, version),
            answer=partial(embeddings_answer, plan, embedding),
        )


def _error_json(error: ProviderError) -> dict[str, Any]:
    return error.body() if isinstance(error, AzureError) else error_body(error)


def _in_band_error(plan: RequestPlan, version: str, sent: int) -> bytes:
    """How Azure OpenAI fails a stream it started: OpenAI's `data:` event with the error object."""
    error = _fault_error(plan, _CHAT_OPERATION, version, FaultKind.STREAM_ERROR)
    return b"data: " + orjson.dumps(_error_json(error)) + b"\n\n"


def _fault_error(plan: RequestPlan, operation: str, version: str, fault: FaultKind) -> ProviderError:
    """Azure's answer for an injected error-status fault; `stream_error` is the 500 server error."""
    if fault is FaultKind.RATE_LIMITED:
        wait = math.ceil(plan.knobs.retry_after)
        return service_error(
            429,
            "429",
            f"Requests to the {operation} Operation under Azure OpenAI API version {version} have exceeded "
            f"token rate limit of your current OpenAI S0 pricing tier. Please retry after {wait} "
            f"second{'s' if wait != 1 else ''}.",
            retry_after_s=plan.knobs.retry_after,
        )
    if fault is FaultKind.OVERLOADED:
        return service_error(
            503,
            "ServiceUnavailable",
            "The service is temporarily unable to process your request. Please try again later.",
        )
    return ProviderError(
        500,
        "The server had an error while processing your request. Sorry about that!",
        error_type="server_error",
    )
