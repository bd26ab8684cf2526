"""Amazon Bedrock Runtime's wire protocol: Converse, ConverseStream, and InvokeModel for embeddings.

`POST /model/{modelId}/converse`, `/converse-stream`, `/count-tokens` (see
`bedrock_count.py`) and `/invoke`, where the
model id is one path segment as it arrived (`%2F` inside an ARN stays part of
the id; a bare `/` makes another path, which Bedrock does not serve).

Authentication is either a SigV4 signature made with the fake's AWS
credentials for service `bedrock` (checked by `SigV4Verifier` against the
path exactly as sent), or `Authorization: Bearer <api key>` (a Bedrock API
key: the fake's `api_key`, or any non-empty key when none is configured).
Bodies are checked against the service model's shapes (`bedrock_shapes.py`)
and, for Converse, the conversation rules (`bedrock_converse.py`); InvokeModel
bodies against the Titan and Cohere embedding schemas (`bedrock_invoke.py`).
Answers are deterministic (`answers.py`) and delivered under the knobs
(`delivery.py`); a stream is an `application/vnd.amazon.eventstream`.

Errors are AWS's: `{"message": ...}` with the kind in `x-amzn-errortype`
(`ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/`
for the service's own exceptions). Fault 429 is a `ThrottlingException`
(with `retry-after`, the knob's value), 500 an `InternalServerException`, 503
a `ServiceUnavailableException`. `stream_error` fails a started ConverseStream
with a `throttlingException` exception message, the in-stream failure
ConverseStream clients commonly see ("An error occurred (ThrottlingException)
when calling the ConverseStream operation", raised while iterating the
stream); a request that does not stream gets the 429.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from functools import partial
from typing import Any
from urllib.parse import unquote

import orjson

from aigw_fakeprovider._http import Request
from aigw_fakeprovider.answers import answer
from aigw_fakeprovider.app import Route
from aigw_fakeprovider.bedrock_converse import ConverseRequest, parse_converse
from aigw_fakeprovider.bedrock_count import count_tokens_body
from aigw_fakeprovider.bedrock_invoke import Embedded, embed
from aigw_fakeprovider.bedrock_response import converse_body, exception_event, stream_frames
from aigw_fakeprovider.bedrock_shapes import OperationInput, load_service_model, validation_error
from aigw_fakeprovider.bedrock_sigv4 import AwsCredentials, SigV4Verifier
from aigw_fakeprovider.delivery import JsonResponse, Response, answer_json, answer_stream, deliver
from aigw_fakeprovider.errors import ProviderError, retry_after
from aigw_fakeprovider.faults import FaultPlanner, RequestPlan
from aigw_fakeprovider.knobs import FaultKind
from aigw_runtime.clock import Clock

EVENT_STREAM = "application/vnd.amazon.eventstream"
_CORAL = ":http://internal.amazon.com/coral/com.amazon.bedrock/"
# The exceptions the Bedrock Runtime service model declares; their error type carries the Coral suffix.
_MODELED = frozenset(
    {
        "AccessDeniedException", "InternalServerException", "ModelErrorException", "ModelNotReadyException",
        "ModelTimeoutException", "ResourceNotFoundException", "ServiceQuotaExceededException",
        "ServiceUnavailableException", "ThrottlingException", "ValidationException",
    }
)  # fmt: skip
_RAW_PATH = re.compile(r"/model/(?P<model>[^/]+)/(?:converse|converse-stream|invoke|count-tokens)")
_BAD_API_KEY = "Authentication failed: Please make sure your API Key is valid."


class _ModelRoute(Route):
    """`/model/{modelId}/<action>`, the id matched greedily: decoded, an ARN's `%2F` is a `/`."""

    __slots__ = ()

    def __post_init__(self) -> None:
        prefix, _, action = self.path.partition("{modelId}")
        pattern = re.compile(re.escape(prefix) + "(?P<modelId>.+)" + re.escape(action))
        object.__setattr__(self, "_pattern", pattern)


def _unknown_operation() -> ProviderError:
    return ProviderError(
        404, "The requested operation is not recognized.", error_type="UnknownOperationException"
    )


def _request_id() -> str:
    return str(uuid.uuid4())


class BedrockProtocol:
    """The Bedrock Runtime endpoints the gateway uses."""

    def __init__(
        self,
        *,
        api_key: str | None,
        credentials: AwsCredentials,
        region: str | None,
        planner: FaultPlanner,
        clock: Clock,
    ) -> None:
        self._api_key = api_key
        self._verifier = SigV4Verifier(credentials, clock, region)
        self._planner = planner
        model = load_service_model()
        self._inputs = {
            "converse": OperationInput(model, "Converse"),
            "converse-stream": OperationInput(model, "ConverseStream"),
            "invoke": OperationInput(model, "InvokeModel"),
            "count-tokens": OperationInput(model, "CountTokens"),
        }

    def routes(self) -> Sequence[Route]:
        return (
            _ModelRoute("POST", "/model/{modelId}/converse", partial(self._converse, stream=False)),
            _ModelRoute("POST", "/model/{modelId}/converse-stream", partial(self._converse, stream=True)),
            _ModelRoute("POST", "/model/{modelId}/invoke", self._invoke),
            _ModelRoute("POST", "/model/{modelId}/count-tokens", self._count_tokens),
        )

    def error_response(self, error: ProviderError) -> Response:
        kind = error.error_type + (_CORAL if error.error_type in _MODELED else "")
        headers = [("x-amzn-requestid", _request_id()), ("x-amzn-errortype", kind), *retry_after(error)]
        return JsonResponse(error.status, {"message": error.message}, headers=headers)

    def unknown_route(self, request: Request, allowed_methods: Sequence[str]) -> ProviderError:
        return _unknown_operation()

    def _authenticate(self, request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            self._verifier.verify(request, request.raw_path)
            return
        token = token.strip()
        if not token or (self._api_key is not None and token != self._api_key):
            raise ProviderError(403, _BAD_API_KEY, error_type="AccessDeniedException")

    def _admit(self, request: Request, action: str) -> str:
        """The request's model id, once the path, the authentication and the content type are right."""
        found = _RAW_PATH.fullmatch(request.raw_path)
        if found is None:
            raise _unknown_operation()
        self._authenticate(request)
        model = unquote(found["model"])
        self._inputs[action].check_uri_member("modelId", model)
        # A missing content type means JSON (botocore sends none for InvokeModel without contentType).
        content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise validation_error("The request's content type must be application/json.")
        return model

    async def _converse(self, request: Request, *, stream: bool) -> Response:
        action = "converse-stream" if stream else "converse"
        model = self._admit(request, action)
        body = _json_body(request.body)
        self._inputs[action].check_body(body)
        converse = parse_converse(body, model)
        plan = self._planner.plan(model)
        return deliver(
            plan,
            streaming=stream,
            fault_error=partial(_fault_error, plan),
            answer=partial(_converse_answer, converse, plan, stream),
        )

    async def _count_tokens(self, request: Request) -> Response:
        model = self._admit(request, "count-tokens")
        counted = count_tokens_body(_json_body(request.body), model, self._inputs["count-tokens"])
        plan = self._planner.plan(model)
        headers = [("x-amzn-requestid", _request_id())]
        return deliver(
            plan,
            streaming=False,
            fault_error=partial(_fault_error, plan),
            answer=lambda: answer_json(plan, counted, headers),
        )

    async def _invoke(self, request: Request) -> Response:
        model = self._admit(request, "invoke")
        embedded = embed(model, _json_body(request.body))
        plan = self._planner.plan(model)
        return deliver(
            plan,
            streaming=False,
            fault_error=partial(_fault_error, plan),
            answer=partial(_invoke_answer, embedded, plan),
        )


def _json_body(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise validation_error("Malformed input request, please reformat your input and try again.") from None


def _converse_answer(converse: ConverseRequest, plan: RequestPlan, stream: bool) -> Response:
    result = answer(converse.prompt)
    latency_ms = round(plan.knobs.latency_ms)
    headers = [("x-amzn-requestid", _request_id())]
    if stream:
        return answer_stream(
            plan,
            stream_frames(result, latency_ms),
            headers=headers,
            content_type=EVENT_STREAM,
            in_band_error=partial(_in_band_error, plan),
        )
    return answer_json(plan, converse_body(result, latency_ms), headers)


def _invoke_answer(embedded: Embedded, plan: RequestPlan) -> Response:
    headers = [
        ("x-amzn-requestid", _request_id()),
        ("x-amzn-bedrock-input-token-count", str(embedded.input_tokens)),
    ]
    return answer_json(plan, embedded.body, headers)


def _in_band_error(plan: RequestPlan, sent: int) -> bytes:
    """How Bedrock fails a stream it started: an exception message, after which nothing follows."""
    return exception_event(_fault_error(plan, FaultKind.STREAM_ERROR))


def _fault_error(plan: RequestPlan, fault: FaultKind) -> ProviderError:
    """Bedrock's answer for an injected error-status fault; `stream_error` is the throttling."""
    if fault in (FaultKind.RATE_LIMITED, FaultKind.STREAM_ERROR):
        return ProviderError(
            429,
            "Too many requests, please wait before trying again.",
            error_type="ThrottlingException",
            retry_after_s=plan.knobs.retry_after,
        )
    if fault is FaultKind.OVERLOADED:
        return ProviderError(
            503, "Bedrock is unable to process your request.", error_type="ServiceUnavailableException"
        )
    return ProviderError(
        500, "The server encountered an error processing your request.", error_type="InternalServerException"
    )
