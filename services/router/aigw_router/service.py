"""The RouterService RPCs: thin handlers over the Router."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aigw.common.v1 import common_pb2
from aigw.router.v1 import router_pb2, router_pb2_grpc
from aigw_router.adapters import TokenUsage
from aigw_router.operations import NO_OPTIONS, CallOptions, Operation
from aigw_router.routing import Router, RouteTaken, StreamFinished, StreamStarted
from aigw_runtime.errors import GatewayError, InvalidRequestError, to_detail
from aigw_runtime.multiplex import MultiplexServer
from aigw_runtime.servicer import Context, stream_errors, unary_errors

COMPLETE_METHOD = "/aigw.router.v1.RouterService/Complete"


OPERATIONS = {
    router_pb2.OPERATION_CHAT_COMPLETIONS: Operation.CHAT_COMPLETIONS,
    router_pb2.OPERATION_EMBEDDINGS: Operation.EMBEDDINGS,
    router_pb2.OPERATION_ANTHROPIC_MESSAGES: Operation.ANTHROPIC_MESSAGES,
    router_pb2.OPERATION_ANTHROPIC_COUNT_TOKENS: Operation.ANTHROPIC_COUNT_TOKENS,
}


def operation_of(request: router_pb2.CompleteRequest) -> Operation:
    operation = OPERATIONS.get(request.operation)
    if operation is None:
        raise InvalidRequestError("The request names no known operation.", param="operation")
    return operation


def options_of(request: router_pb2.CompleteRequest) -> CallOptions:
    if not request.anthropic_beta:
        return NO_OPTIONS
    return CallOptions(anthropic_beta=tuple(request.anthropic_beta))


def usage_message(usage: TokenUsage) -> common_pb2.Usage:
    return common_pb2.Usage(
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
        cached_tokens=usage.cached_tokens,
        reasoning_tokens=usage.reasoning_tokens,
    )


def route_message(route: RouteTaken) -> router_pb2.Route:
    return router_pb2.Route(provider=route.provider, deployment=route.deployment, attempts=route.attempts)


def _refuse(envelope: router_pb2.CompleteManyRequest, error: GatewayError) -> router_pb2.CompleteManyResponse:
    return router_pb2.CompleteManyResponse(call_id=envelope.call_id, error=to_detail(error))


def _is_cancel(envelope: router_pb2.CompleteManyRequest) -> bool:
    return bool(envelope.WhichOneof("kind") == "cancel")


class RouterServicer(router_pb2_grpc.RouterServiceServicer):
    def __init__(self, router: Router, *, tracing: bool) -> None:
        self._router = router
        self.multiplexed: MultiplexServer[router_pb2.CompleteManyRequest, router_pb2.CompleteManyResponse] = (
            MultiplexServer(
                self._complete_one,
                _is_cancel,
                _refuse,
                traced_method=COMPLETE_METHOD if tracing else None,
                trace_context=lambda envelope: envelope.trace_context,
            )
        )

    async def _complete(self, request: router_pb2.CompleteRequest) -> router_pb2.CompleteResponse:
        result, route = await self._router.complete(
            operation_of(request), request.model, request.body, options_of(request)
        )
        return router_pb2.CompleteResponse(
            body=result.body, usage=usage_message(result.usage), route=route_message(route)
        )

    @unary_errors
    async def Complete(
        self, request: router_pb2.CompleteRequest, context: Context
    ) -> router_pb2.CompleteResponse:
        return await self._complete(request)

    async def _complete_one(
        self, envelope: router_pb2.CompleteManyRequest
    ) -> router_pb2.CompleteManyResponse:
        return router_pb2.CompleteManyResponse(
            call_id=envelope.call_id, response=await self._complete(envelope.request)
        )

    async def CompleteMany(
        self, request_iterator: AsyncIterator[router_pb2.CompleteManyRequest], context: Context
    ) -> AsyncIterator[router_pb2.CompleteManyResponse]:
        async for envelope in self.multiplexed.serve(request_iterator):
            yield envelope

    @stream_errors
    async def CompleteStream(
        self, request: router_pb2.CompleteRequest, context: Context
    ) -> AsyncIterator[router_pb2.CompleteStreamResponse]:
        operation = operation_of(request)
        events = self._router.stream(
            operation, request.model, request.body, request.include_usage, options_of(request)
        )
        async for event in events:
            if isinstance(event, list):
                yield router_pb2.CompleteStreamResponse(chunks=router_pb2.StreamChunks(data=event))
            elif isinstance(event, StreamStarted):
                yield router_pb2.CompleteStreamResponse(
                    start=router_pb2.StreamStart(route=route_message(event.route))
                )
            elif isinstance(event, StreamFinished):
                yield router_pb2.CompleteStreamResponse(
                    end=router_pb2.StreamEnd(usage=usage_message(event.usage))
                )

    @unary_errors
    async def ListModels(
        self, request: router_pb2.ListModelsRequest, context: Context
    ) -> router_pb2.ListModelsResponse:
        return router_pb2.ListModelsResponse(
            models=[
                router_pb2.Model(
                    name=model.name,
                    cache=router_pb2.CachePolicy(enabled=model.cache.enabled, ttl_s=model.cache.ttl_s),
                    created=model.created,
                    owned_by=model.owned_by,
                )
                for model in self._router.catalog.models()
            ]
        )
