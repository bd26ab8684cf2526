"""The edge's client of MeteringService.Admit, multiplexed on one stream (traced like a unary call)."""

from __future__ import annotations

from aigw.metering.v1 import metering_pb2, metering_pb2_grpc
from aigw_runtime.multiplex import MultiplexClient, error_from_detail

ADMIT_METHOD = "/aigw.metering.v1.MeteringService/Admit"


def _cancel(call_id: int) -> metering_pb2.AdmitManyRequest:
    return metering_pb2.AdmitManyRequest(call_id=call_id, cancel=True)


def _unwrap(envelope: metering_pb2.AdmitManyResponse) -> metering_pb2.AdmitResponse:
    if envelope.HasField("error"):
        raise error_from_detail(envelope.error)
    response: metering_pb2.AdmitResponse = envelope.response
    return response


class AdmissionClient:
    def __init__(self, stub: metering_pb2_grpc.MeteringServiceStub, *, tracing: bool) -> None:
        self._calls: MultiplexClient[
            metering_pb2.AdmitManyRequest, metering_pb2.AdmitManyResponse, metering_pb2.AdmitResponse
        ] = MultiplexClient(stub.AdmitMany, _cancel, _unwrap, traced_method=ADMIT_METHOD if tracing else None)

    async def admit(self, request: metering_pb2.AdmitRequest) -> metering_pb2.AdmitResponse:
        """Metering's decision; a failure raises GatewayError."""
        return await self._calls.call(
            lambda call_id, trace_context: metering_pb2.AdmitManyRequest(
                call_id=call_id, request=request, trace_context=trace_context
            )
        )

    async def close(self) -> None:
        await self._calls.close()
