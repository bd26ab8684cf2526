"""Gemini on Vertex AI: `POST /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:<method>`.

Methods: `generateContent`, `streamGenerateContent` (the same body as AI
Studio's, with Vertex's extra fields, see `gemini_request.py`), `countTokens`
(see `gemini_count.py`) and `predict` on the text-embedding models (see
`gemini_embeddings.py`).

Requests need `Authorization: Bearer <token>` with a token the fake's own
token endpoint issued and that has not expired or been revoked (see
`google_oauth.py`), for the cloud-platform scope: no token is a 401
`UNAUTHENTICATED` (CREDENTIALS_MISSING), a bad one a 401 too, a token without
the scope a 403. When the service account's key names its `project_id`, the
project in the path must be it (403 `PERMISSION_DENIED` otherwise).

Faults: 429 `RESOURCE_EXHAUSTED` (Vertex gives no retry delay), 500
`INTERNAL`, 503 `UNAVAILABLE`; `stream_error` fails a started stream with
that `UNAVAILABLE` in band.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from functools import partial

from aigw_fakeprovider._http import Request
from aigw_fakeprovider.app import Route
from aigw_fakeprovider.delivery import Response
from aigw_fakeprovider.errors import ProviderError
from aigw_fakeprovider.faults import FaultPlanner, RequestPlan
from aigw_fakeprovider.gemini_count import count_body, parse_vertex_count
from aigw_fakeprovider.gemini_embeddings import is_embedding_model, parse_predict, predict_body
from aigw_fakeprovider.gemini_fields import VERTEX_PACKAGE, GoogleError
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
from aigw_fakeprovider.google_oauth import CLOUD_PLATFORM, ServiceAccount, TokenStore
from aigw_fakeprovider.knobs import FaultKind
from aigw_runtime.clock import Clock

_PREFIX = "/v1/projects/{project}/locations/{location}/publishers/google/models/{model}"
_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
_EXPECTED = (
    "Expected OAuth 2 access token, login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


def _reason(reason: str) -> dict[str, object]:
    return {
        "@type": _ERROR_INFO,
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {
            "service": "aiplatform.googleapis.com",
            "method": "google.cloud.aiplatform.v1.PredictionService",
        },
    }


def _fault_error(plan: RequestPlan, fault: FaultKind) -> ProviderError:
    """Vertex AI's answer for an injected error-status fault; `stream_error` is the unavailability."""
    if fault is FaultKind.RATE_LIMITED:
        return GoogleError(
            429,
            "Resource exhausted. Please try again later. Please refer to "
            "https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.",
        )
    if fault in (FaultKind.OVERLOADED, FaultKind.STREAM_ERROR):
        return GoogleError(503, "The service is currently unavailable.")
    return GoogleError(500, "Internal error encountered.")


class VertexProtocol(GoogleErrors):
    """The Vertex AI prediction endpoints of Google's publisher models."""

    def __init__(
        self, *, tokens: TokenStore, account: ServiceAccount | None, planner: FaultPlanner, clock: Clock
    ) -> None:
        self._tokens = tokens
        self._account = account
        self._planner = planner
        self._clock = clock

    def routes(self) -> Sequence[Route]:
        return (
            Route("POST", f"{_PREFIX}:generateContent", partial(self._generate, streaming=False)),
            Route("POST", f"{_PREFIX}:streamGenerateContent", partial(self._generate, streaming=True)),
            Route("POST", f"{_PREFIX}:predict", self._predict),
            Route("POST", f"{_PREFIX}:countTokens", self._count_tokens),
        )

    def _resource(self, request: Request) -> str:
        params = request.path_params
        return (
            f"projects/{params['project']}/locations/{params['location']}/publishers/google/models/"
            f"{params['model']}"
        )

    def _authorize(self, request: Request) -> None:
        token = request.bearer_token()
        if token is None:
            raise GoogleError(
                401,
                f"Request is missing required authentication credential. {_EXPECTED}",
                details=[_reason("CREDENTIALS_MISSING")],
            )
        issued = self._tokens.lookup(token)
        if issued is None:
            raise GoogleError(401, f"Request had invalid authentication credentials. {_EXPECTED}")
        if CLOUD_PLATFORM not in issued.scopes:
            raise GoogleError(
                403,
                "Request had insufficient authentication scopes.",
                details=[_reason("ACCESS_TOKEN_SCOPE_INSUFFICIENT")],
            )
        project = self._account.project_id if self._account else None
        if project is not None and request.path_params["project"] != project:
            raise GoogleError(
                403,
                f"Permission 'aiplatform.endpoints.predict' denied on resource "
                f"'//aiplatform.googleapis.com/{self._resource(request)}' (or it may not exist).",
                details=[_reason("IAM_PERMISSION_DENIED")],
            )

    def _envelope(self, model: str) -> Envelope:
        created = datetime.datetime.fromtimestamp(self._clock.now(), datetime.UTC)
        return Envelope(new_response_id(), model, created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))

    async def _generate(self, request: Request, *, streaming: bool) -> Response:
        query = parse_query(request, streaming=streaming)
        self._authorize(request)
        model = request.path_params["model"]
        if is_embedding_model(model):
            raise GoogleError(
                400,
                f"Publisher model `{self._resource(request)}` does not support "
                f"{'streamGenerateContent' if streaming else 'generateContent'}.",
                google_status="FAILED_PRECONDITION",
            )
        generate = parse_generate_request(
            request.body, package=VERTEX_PACKAGE, vertex=True, signatures_required=signs_calls(model)
        )
        generation = Generation(generate, model, streaming=streaming, sse=query.alt == "sse")
        return deliver_generation(generation, self._planner, _fault_error, lambda: self._envelope(model))

    async def _count_tokens(self, request: Request) -> Response:
        parse_query(request, streaming=False)
        self._authorize(request)
        model = request.path_params["model"]
        prompt = parse_vertex_count(request.body, signatures_required=signs_calls(model))
        return deliver_body(model, self._planner, _fault_error, lambda: count_body(prompt, vertex=True))

    async def _predict(self, request: Request) -> Response:
        parse_query(request, streaming=False)
        self._authorize(request)
        model = request.path_params["model"]
        if not is_embedding_model(model):
            raise GoogleError(
                400,
                "Gemini cannot be accessed through Vertex Predict/RawPredict API. Please follow https://"
                "cloud.google.com/vertex-ai/docs/generative-ai/start/quickstarts/quickstart-multimodal for "
                "Gemini usage.",
                google_status="FAILED_PRECONDITION",
            )
        instances = parse_predict(request.body, model, VERTEX_PACKAGE)
        return deliver_body(model, self._planner, _fault_error, lambda: predict_body(instances))
