"""The edge's client of RouterService.Complete, multiplexed on one stream (traced like a unary call)."""

from __future__ import annotations

from aigw.router.v1 import router_pb2, router_pb2_grpc
from aigw_runtime.multiplex import MultiplexClient, error_from_detail

COMPLETE_METHOD = "/aigw.router.v1.RouterService/Complete"


def _cancel(call_id: int) -> router_pb2.CompleteManyRequest:
    return router_pb2.CompleteManyRequest(call_id=call_id, cancel=True)


def _unwrap(envelope: router_pb2.CompleteManyResponse) -> router_pb2.CompleteResponse:
    if envelope.HasField("error"):
        raise error_from_detail(envelope.error)
    response: router_pb2.CompleteResponse = envelope.response
    return response


class RouterClient:
    def __init__(self, stub: router_pb2_grpc.RouterServiceStub, *, tracing: bool) -> None:
        self._calls: MultiplexClient[
            router_pb2.CompleteManyRequest, router_pb2.CompleteManyResponse, router_pb2.CompleteResponse
        ] = MultiplexClient(
            stub.CompleteMany, _cancel, _unwrap, traced_method=COMPLETE_METHOD if tracing else None
        )

    async def complete(self, request: router_pb2.CompleteRequest) -> router_pb2.CompleteResponse:
        """The router's answer; a failure raises GatewayError."""
        return await self._calls.call(
            lambda call_id, trace_context: router_pb2.CompleteManyRequest(
                call_id=call_id, request=request, trace_context=trace_context
            )
        )

    async def close(self) -> None:
        await self._calls.close()
