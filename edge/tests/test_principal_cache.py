"""The edge's principal cache: no RPC on the warm path, revocations applied at once, fail closed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest

from aigw.auth.v1 import auth_pb2, auth_pb2_grpc
from aigw_edge.principals import PrincipalCache
from aigw_runtime.errors import GatewayError
from edge_services import ADMIN_KEY, AuthServer


class CountingInterceptor(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def intercept_unary_unary(
        self, continuation: Callable[[Any, Any], Awaitable[Any]], details: Any, request: Any
    ) -> Any:
        self.calls.append(details.method.decode() if isinstance(details.method, bytes) else details.method)
        return await continuation(details, request)


async def _create_key(stub: auth_pb2_grpc.AuthServiceStub, name: str) -> auth_pb2.CreateKeyResponse:
    return await stub.CreateKey(
        auth_pb2.CreateKeyRequest(name=name), metadata=(("authorization", f"Bearer {ADMIN_KEY}"),)
    )


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(2):
        while not condition():  # noqa: ASYNC110 - the condition is another object's state, polled
            await asyncio.sleep(0.01)


async def test_a_warm_key_is_served_without_an_rpc_and_a_revoked_one_is_dropped(
    auth_server: AuthServer,
) -> None:
    counter = CountingInterceptor()
    async with grpc.aio.insecure_channel(auth_server.address, interceptors=[counter]) as channel:
        stub = auth_pb2_grpc.AuthServiceStub(channel)
        cache = PrincipalCache(stub)
        watcher = asyncio.create_task(cache.watch())
        await _until(lambda: cache.live)
        created = await _create_key(stub, "warm")

        first = await cache.authenticate(created.secret)
        for _ in range(50):
            again = await cache.authenticate(created.secret)
        authentications = counter.calls.count("/aigw.auth.v1.AuthService/Authenticate")

        await stub.RevokeKey(
            auth_pb2.RevokeKeyRequest(id=created.key.id), metadata=(("authorization", f"Bearer {ADMIN_KEY}"),)
        )
        await asyncio.sleep(0.2)
        with pytest.raises(GatewayError) as caught:
            await cache.authenticate(created.secret)
        watcher.cancel()

    assert first.key_id == again.key_id == created.key.id
    assert authentications == 1
    assert caught.value.status == 401


async def test_an_unknown_key_is_remembered_until_a_key_is_created(auth_server: AuthServer) -> None:
    counter = CountingInterceptor()
    async with grpc.aio.insecure_channel(auth_server.address, interceptors=[counter]) as channel:
        stub = auth_pb2_grpc.AuthServiceStub(channel)
        cache = PrincipalCache(stub)
        watcher = asyncio.create_task(cache.watch())
        await _until(lambda: cache.live)
        for _ in range(5):
            with pytest.raises(GatewayError):
                await cache.authenticate("sk-aigw-unknown-key-000000000000000000000000000000000")
        refusals = counter.calls.count("/aigw.auth.v1.AuthService/Authenticate")
        await _create_key(stub, "new")
        await asyncio.sleep(0.1)
        with pytest.raises(GatewayError):
            await cache.authenticate("sk-aigw-unknown-key-000000000000000000000000000000000")
        watcher.cancel()

    assert refusals == 1
    assert counter.calls.count("/aigw.auth.v1.AuthService/Authenticate") == 2


async def test_when_the_feed_breaks_the_cache_is_dropped_and_auth_is_asked_every_time(
    auth_server: AuthServer,
) -> None:
    async with grpc.aio.insecure_channel(auth_server.address) as channel:
        stub = auth_pb2_grpc.AuthServiceStub(channel)
        cache = PrincipalCache(stub)
        watcher = asyncio.create_task(cache.watch())
        await _until(lambda: cache.live)
        created = await _create_key(stub, "dark")
        await cache.authenticate(created.secret)

        await auth_server.stop()
        await _until(lambda: not cache.live)
        with pytest.raises(GatewayError) as caught:
            await cache.authenticate(created.secret)
        watcher.cancel()

    assert caught.value.status == 503  # auth is down: refused, never served from a stale cache


class _SlowAuth:
    """Answers Authenticate only when told to, so a change can arrive while the RPC is in flight."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.calls = 0

    async def Authenticate(
        self, request: auth_pb2.AuthenticateRequest, **options: float
    ) -> auth_pb2.AuthenticateResponse:
        self.calls += 1
        await self.release.wait()
        return auth_pb2.AuthenticateResponse(principal=auth_pb2.Principal(key_id="key_1", name="k"))


async def test_an_answer_that_started_before_a_revocation_is_not_cached() -> None:
    auth = _SlowAuth()
    cache = PrincipalCache(auth)  # type: ignore[arg-type]
    cache.apply(auth_pb2.WatchChangesResponse(kind=auth_pb2.CHANGE_KIND_RESET))

    in_flight = asyncio.create_task(cache.authenticate("sk-aigw-racing"))
    await asyncio.sleep(0.01)
    cache.apply(auth_pb2.WatchChangesResponse(kind=auth_pb2.CHANGE_KIND_KEY_REVOKED, key_id="key_1"))
    auth.release.set()
    await in_flight
    await cache.authenticate("sk-aigw-racing")

    assert auth.calls == 2  # the answer from before the revocation was used once, never cached
