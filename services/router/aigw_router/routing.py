"""Choosing a deployment and falling back: the router's domain logic, free of gRPC types.

Deployments of a model are tried in the order the config lists them. A
retryable failure (rate limit, overload, timeout, 5xx, unreachable) moves on
to the next one, as long as nothing has been sent to the client yet; a fatal
one (a bad request) is returned at once. An operation sent as several upstream
requests (a large embeddings batch) fails, and falls back, as a whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from aigw_router.adapters import CompletionResult, TokenUsage
from aigw_router.catalog import Catalog, Deployment
from aigw_router.operations import NO_OPTIONS, CallOptions, Operation, exchange_for, unreadable_answer
from aigw_router.upstream import UpstreamCaller
from aigw_runtime.errors import GatewayError, InvalidRequestError, ServiceUnavailableError


@dataclass(frozen=True, slots=True)
class RouteTaken:
    provider: str
    deployment: str
    attempts: int


@dataclass(frozen=True, slots=True)
class StreamStarted:
    route: RouteTaken


@dataclass(frozen=True, slots=True)
class StreamFinished:
    usage: TokenUsage


StreamEvent = StreamStarted | list[bytes] | StreamFinished


def _route(deployment: Deployment, attempt: int) -> RouteTaken:
    return RouteTaken(provider=deployment.provider, deployment=deployment.upstream_model, attempts=attempt)


class Router:
    def __init__(self, catalog: Catalog, caller: UpstreamCaller) -> None:
        self.catalog = catalog
        self._caller = caller

    async def complete(
        self, operation: Operation, model: str, body: bytes, options: CallOptions = NO_OPTIONS
    ) -> tuple[CompletionResult, RouteTaken]:
        last: GatewayError = ServiceUnavailableError(f"No deployment of {model} is available.")
        for attempt, deployment in enumerate(self.catalog.get(model).deployments, start=1):
            exchange = exchange_for(operation, deployment, body, False, options)
            try:
                return await exchange.complete(self._caller), _route(deployment, attempt)
            except GatewayError as exc:
                if not exc.retryable:
                    raise
                last = exc
        raise last

    async def stream(
        self,
        operation: Operation,
        model: str,
        body: bytes,
        include_usage: bool,
        options: CallOptions = NO_OPTIONS,
    ) -> AsyncIterator[StreamEvent]:
        last: GatewayError = ServiceUnavailableError(f"No deployment of {model} is available.")
        for attempt, deployment in enumerate(self.catalog.get(model).deployments, start=1):
            exchange = exchange_for(operation, deployment, body, True, options)
            translator = exchange.translator(include_usage)
            started = False
            try:
                request = await exchange.request()
                if request is None:
                    raise InvalidRequestError("This operation cannot be streamed.", param="stream")
                async with self._caller.stream(deployment, request) as upstream:
                    started = True
                    yield StreamStarted(_route(deployment, attempt))
                    async for data in upstream:
                        payloads = translator.feed(data)
                        if payloads:
                            yield payloads
                    final = translator.finish()
                    if final:
                        yield final
                    yield StreamFinished(translator.usage or TokenUsage())
                    return
            except GatewayError as exc:
                # Once the stream has started the client has part of it: no fallback.
                if started or not exc.retryable:
                    raise
                last = exc
            except Exception:
                if not started:
                    raise
                raise unreadable_answer(deployment) from None
        raise last
