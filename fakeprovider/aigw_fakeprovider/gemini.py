"""Google AI Studio's Gemini API: `POST /v1beta/models/{model}:<method>`.

Methods: `generateContent`, `streamGenerateContent` (SSE with `alt=sse`, a
streamed JSON array without), `embedContent`, `batchEmbedContents`, and
`countTokens` (see `gemini_count.py`). The key
goes in `x-goog-api-key` (or the `key` query parameter): the configured key,
or any non-empty key when none is configured. No key is Google's 403; a wrong
one its 400 `API_KEY_INVALID`. Generating with an embedding model (a name
containing "embedding"), or embedding with any other, is a 404 naming the
method. Bodies are validated strictly (see `gemini_request.py`,
`gemini_embeddings.py`).

Faults: 429 is `RESOURCE_EXHAUSTED` with a `RetryInfo` delay (the knob's
retry-after), 500 `INTERNAL`, 503 `UNAVAILABLE` ("The model is overloaded");
`stream_error` fails a started stream with that `UNAVAILABLE` in band.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from aigw_fakeprovider._http import Request
from aigw_fakeprovider.app import Route
from aigw_fakeprovider.delivery import Response
from aigw_fakeprovider.errors import ProviderError
from aigw_fakeprovider.faults import FaultPlanner, RequestPlan
from aigw_fakeprovider.gemini_count import count_body, parse_ai_studio_count
from aigw_fakeprovider.gemini_embeddings import (
    batch_body,
    embedding_body,
    is_embedding_model,
    parse_batch_embed,
    parse_embed_content,
)
from aigw_fakeprovider.gemini_fields import AI_STUDIO_PACKAGE, GoogleError
from aigw_fakeprovider.gemini_http import (
    Generation,
    GoogleErrors,
    deliver_body,
    deliver_generation,
    new_response_id,
    parse_query,
)
from aigw_fakeprovider.gemini_request import parse_generate_request
from aigw_fakeprovider.gemini_response import Envelope, signs_calls
from aigw_fakeprovider.knobs import FaultKind

_PREFIX = "/v1beta/models/{model}"
_NO_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key "
    "or other form of API consumer identity to call this API."
)
_BAD_KEY = "API key not valid. Please pass a valid API key."
_TYPE = "type.googleapis.com/google.rpc."


def _not_found(model: str, method: str) -> GoogleError:
    return GoogleError(
        404,
        f"models/{model} is not found for API version v1beta, or is not supported for {method}. Call "
        "ListModels to see the list of available models and their supported methods.",
    )


def _fault_error(plan: RequestPlan, fault: FaultKind) -> ProviderError:
    """AI Studio's answer for an injected error-status fault; `stream_error` is the overload."""
    if fault is FaultKind.RATE_LIMITED:
        return GoogleError(
            429,
            "You exceeded your current quota, please check your plan and billing details. For more "
            "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
            details=[{"@type": f"{_TYPE}RetryInfo", "retryDelay": f"{plan.knobs.retry_after:g}s"}],
        )
    if fault in (FaultKind.OVERLOADED, FaultKind.STREAM_ERROR):
        return GoogleError(503, "The model is overloaded. Please try again later.")
    return GoogleError(
        500,
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting",
    )


class GeminiProtocol(GoogleErrors):
    """The AI Studio (Generative Language API) endpoints."""

    def __init__(self, *, api_key: str | None, planner: FaultPlanner) -> None:
        self._api_key = api_key
        self._planner = planner

    def routes(self) -> Sequence[Route]:
        return (
            Route("POST", f"{_PREFIX}:generateContent", partial(self._generate, streaming=False)),
            Route("POST", f"{_PREFIX}:streamGenerateContent", partial(self._generate, streaming=True)),
            Route("POST", f"{_PREFIX}:embedContent", self._embed_content),
            Route("POST", f"{_PREFIX}:batchEmbedContents", self._batch_embed),
            Route("POST", f"{_PREFIX}:countTokens", self._count_tokens),
        )

    def _authenticate(self, request: Request, key: str | None) -> None:
        key = request.headers.get("x-goog-api-key", "").strip() or key
        if not key:
            raise GoogleError(403, _NO_KEY)
        if self._api_key is not None and key != self._api_key:
            raise GoogleError(
                400,
                _BAD_KEY,
                details=[
                    {
                        "@type": f"{_TYPE}ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                        "metadata": {"service": "generativelanguage.googleapis.com"},
                    },
                    {"@type": f"{_TYPE}LocalizedMessage", "locale": "en-US", "message": _BAD_KEY},
                ],
            )

    async def _generate(self, request: Request, *, streaming: bool) -> Response:
        query = parse_query(request, streaming=streaming)
        self._authenticate(request, query.key)
        model = request.path_params["model"]
        if is_embedding_model(model):
            raise _not_found(model, "streamGenerateContent" if streaming else "generateContent")
        generate = parse_generate_request(
            request.body, package=AI_STUDIO_PACKAGE, vertex=False, signatures_required=signs_calls(model)
        )
        generation = Generation(generate, model, streaming=streaming, sse=query.alt == "sse")
        return deliver_generation(
            generation, self._planner, _fault_error, lambda: Envelope(new_response_id(), model)
        )

    def _embedding_model(self, request: Request, method: str) -> str:
        self._authenticate(request, parse_query(request, streaming=False).key)
        model = request.path_params["model"]
        if not is_embedding_model(model):
            raise _not_found(model, method)
        return model

    async def _count_tokens(self, request: Request) -> Response:
        self._authenticate(request, parse_query(request, streaming=False).key)
        model = request.path_params["model"]
        prompt = parse_ai_studio_count(request.body, signatures_required=signs_calls(model))
        return deliver_body(model, self._planner, _fault_error, lambda: count_body(prompt, vertex=False))

    async def _embed_content(self, request: Request) -> Response:
        model = self._embedding_model(request, "embedContent")
        embed = parse_embed_content(request.body, model, AI_STUDIO_PACKAGE)
        return deliver_body(model, self._planner, _fault_error, lambda: embedding_body(embed))

    async def _batch_embed(self, request: Request) -> Response:
        model = self._embedding_model(request, "batchEmbedContents")
        batch = parse_batch_embed(request.body, model, AI_STUDIO_PACKAGE)
        return deliver_body(model, self._planner, _fault_error, lambda: batch_body(batch))
