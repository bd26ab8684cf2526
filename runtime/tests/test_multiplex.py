"""Unary calls multiplexed on one stream, over a real gRPC server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import grpc
import pytest

from aigw.router.v1 import router_pb2, router_pb2_grpc
from aigw_runtime.errors import GatewayError, InvalidRequestError, to_detail
from aigw_runtime.multiplex import MultiplexClient, MultiplexServer, error_from_detail

Handler = Callable[[router_pb2.CompleteManyRequest], Awaitable[router_pb2.CompleteManyResponse]]


class _Servicer(router_pb2_grpc.RouterServiceServicer):
    def __init__(self, handle: Handler) -> None:
        self.mux: MultiplexServer[router_pb2.CompleteManyRequest, router_pb2.CompleteManyResponse] = (
            MultiplexServer(
                handle,
                lambda e: e.WhichOneof("kind") == "cancel",
                lambda e, error: router_pb2.CompleteManyResponse(call_id=e.call_id, error=to_detail(error)),
            )
        )

    async def CompleteMany(
        self, request_iterator: AsyncIterator[router_pb2.CompleteManyRequest], context: object
    ) -> AsyncIterator[router_pb2.CompleteManyResponse]:
        async for envelope in self.mux.serve(request_iterator):
            yield envelope


def _answer(envelope: router_pb2.CompleteManyRequest, body: bytes) -> router_pb2.CompleteManyResponse:
    return router_pb2.CompleteManyResponse(
        call_id=envelope.call_id, response=router_pb2.CompleteResponse(body=body)
    )


def _unwrap(envelope: router_pb2.CompleteManyResponse) -> bytes:
    if envelope.HasField("error"):
        raise error_from_detail(envelope.error)
    return bytes(envelope.response.body)


async def _serve(address: str, handle: Handler) -> tuple[grpc.aio.Server, _Servicer]:
    server = grpc.aio.server()
    servicer = _Servicer(handle)
    router_pb2_grpc.add_RouterServiceServicer_to_server(servicer, server)
    server.add_insecure_port(address)
    await server.start()
    return server, servicer


def _client(
    channel: grpc.aio.Channel,
) -> MultiplexClient[router_pb2.CompleteManyRequest, router_pb2.CompleteManyResponse, bytes]:
    return MultiplexClient(
        router_pb2_grpc.RouterServiceStub(channel).CompleteMany,
        lambda call_id: router_pb2.CompleteManyRequest(call_id=call_id, cancel=True),
        _unwrap,
    )


def _ask(text: str) -> Callable[[int, dict[str, str]], router_pb2.CompleteManyRequest]:
    return lambda call_id, trace: router_pb2.CompleteManyRequest(
        call_id=call_id, request=router_pb2.CompleteRequest(model=text), trace_context=trace
    )


async def test_concurrent_calls_get_their_own_answers_whatever_the_order(tmp_path: Path) -> None:
    async def handle(envelope: router_pb2.CompleteManyRequest) -> router_pb2.CompleteManyResponse:
        delay = int(envelope.request.model)
        await asyncio.sleep(delay / 1000)
        return _answer(envelope, f"answer-{delay}".encode())

    address = f"unix:{tmp_path}/mux.sock"
    server, _ = await _serve(address, handle)
    async with grpc.aio.insecure_channel(address) as channel:
        client = _client(channel)
        delays = [30, 5, 20, 0, 10] * 4
        answers = await asyncio.gather(*(client.call(_ask(str(d))) for d in delays))
        await client.close()
    await server.stop(0)

    assert answers == [f"answer-{d}".encode() for d in delays]


async def test_an_error_comes_back_as_the_same_gateway_error(tmp_path: Path) -> None:
    async def handle(envelope: router_pb2.CompleteManyRequest) -> router_pb2.CompleteManyResponse:
        raise InvalidRequestError("no such thing", param="model")

    address = f"unix:{tmp_path}/mux.sock"
    server, _ = await _serve(address, handle)
    async with grpc.aio.insecure_channel(address) as channel:
        client = _client(channel)
        with pytest.raises(GatewayError) as caught:
            await client.call(_ask("x"))
        await client.close()
    await server.stop(0)

    assert (caught.value.status, caught.value.param, caught.value.message) == (400, "model", "no such thing")


async def test_a_cancelled_call_cancels_the_work_on_the_server(tmp_path: Path) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def handle(envelope: router_pb2.CompleteManyRequest) -> router_pb2.CompleteManyResponse:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return _answer(envelope, b"late")

    address = f"unix:{tmp_path}/mux.sock"
    server, _ = await _serve(address, handle)
    async with grpc.aio.insecure_channel(address) as channel:
        client = _client(channel)
        call = asyncio.create_task(client.call(_ask("slow")))
        await started.wait()
        call.cancel()
        await asyncio.wait_for(cancelled.wait(), 5)
        await client.close()
    await server.stop(0)

    assert cancelled.is_set()


async def test_draining_answers_accepted_calls_refuses_new_ones_and_ends_the_stream(tmp_path: Path) -> None:
    release = asyncio.Event()

    async def handle(envelope: router_pb2.CompleteManyRequest) -> router_pb2.CompleteManyResponse:
        await release.wait()
        return _answer(envelope, b"finished")

    address = f"unix:{tmp_path}/mux.sock"
    server, servicer = await _serve(address, handle)
    async with grpc.aio.insecure_channel(address) as channel:
        client = _client(channel)
        accepted = asyncio.create_task(client.call(_ask("in flight")))
        await asyncio.sleep(0.2)
        servicer.mux.drain()
        with pytest.raises(GatewayError) as refused:
            await client.call(_ask("too late"))
        release.set()
        assert await accepted == b"finished"
        await client.close()
    await server.stop(0)

    assert refused.value.status == 503 and refused.value.code == "stream_ended"


async def test_a_restarted_service_is_reached_on_a_fresh_stream(tmp_path: Path) -> None:
    async def handle(envelope: router_pb2.CompleteManyRequest) -> router_pb2.CompleteManyResponse:
        return _answer(envelope, b"ok")

    address = f"unix:{tmp_path}/mux.sock"
    server, _ = await _serve(address, handle)
    async with grpc.aio.insecure_channel(address) as channel:
        client = _client(channel)
        assert await client.call(_ask("a")) == b"ok"
        await server.stop(0)
        with pytest.raises(GatewayError) as caught:
            await client.call(_ask("b"))
        assert caught.value.status == 503
        server, _ = await _serve(address, handle)
        await channel.channel_ready()
        assert await client.call(_ask("c")) == b"ok"
        await client.close()
    await server.stop(0)
