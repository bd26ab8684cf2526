"""The Redis change feed: changes cross replicas, and every gap becomes a RESET (real Redis)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import grpc
import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from aigw.auth.v1 import auth_pb2
from aigw_auth.changes import RESET, Change, ChangeKind, RedisChangeFeed
from aigw_runtime.errors import ServiceUnavailableError, from_rpc_error
from aigw_runtime.redis_client import open_redis


def revoked(key_id: str) -> Change:
    return Change(ChangeKind.KEY_REVOKED, key_id)


def bearer(key: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {key}"),)


async def next_change(changes: AsyncIterator[Change], timeout_s: float = 2.0) -> Change:
    return await asyncio.wait_for(anext(changes), timeout_s)


def named_client(redis_url: str, name: str, **options: Any) -> Redis:
    """A client like `open_redis` gives, whose connections can be found by name in CLIENT LIST."""
    return Redis.from_url(
        redis_url,
        decode_responses=False,
        health_check_interval=30,
        socket_keepalive=True,
        client_name=name,
        **options,
    )


async def kill_pubsub_connection(redis_url: str, name: str) -> None:
    admin = open_redis(redis_url)
    try:
        clients = await admin.client_list(_type="pubsub")
        ids = [client["id"] for client in clients if client.get("name") == name]
        assert len(ids) == 1, clients
        await admin.client_kill_filter(_id=ids[0])
    finally:
        await admin.aclose()


@asynccontextmanager
async def subscriber_and_publisher(
    client: Redis, redis_url: str, channel: str, **options: Any
) -> AsyncIterator[tuple[RedisChangeFeed, RedisChangeFeed]]:
    """A feed to subscribe to (on `client`) and another to publish from, both closed afterwards."""
    feed = RedisChangeFeed(client, channel, **options)
    publisher = RedisChangeFeed(open_redis(redis_url), channel)
    try:
        yield feed, publisher
    finally:
        await feed.close()
        await publisher.close()


async def test_revocation_on_one_replica_reaches_a_watcher_on_another(
    migrated_url: str, redis_url: str, unique_prefix: str, start_auth: Callable[..., Any], admin_key: str
) -> None:
    channel = unique_prefix + "changes"
    replica_a = await start_auth(migrated_url, feed=RedisChangeFeed(open_redis(redis_url), channel))
    replica_b = await start_auth(migrated_url, feed=RedisChangeFeed(open_redis(redis_url), channel))
    watch = replica_b.stub.WatchChanges(auth_pb2.WatchChangesRequest())
    stream = watch.__aiter__()
    assert (await asyncio.wait_for(anext(stream), 5.0)).kind == auth_pb2.CHANGE_KIND_RESET

    created = await replica_a.stub.CreateKey(auth_pb2.CreateKeyRequest(name="x"), metadata=bearer(admin_key))
    assert await asyncio.wait_for(anext(stream), 1.0) == auth_pb2.WatchChangesResponse(
        kind=auth_pb2.CHANGE_KIND_KEY_CREATED, key_id=created.key.id
    )
    started = time.monotonic()
    await replica_a.stub.RevokeKey(auth_pb2.RevokeKeyRequest(id=created.key.id), metadata=bearer(admin_key))
    message = await asyncio.wait_for(anext(stream), 1.0)

    assert message == auth_pb2.WatchChangesResponse(
        kind=auth_pb2.CHANGE_KIND_KEY_REVOKED, key_id=created.key.id
    )
    assert time.monotonic() - started < 0.5
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await replica_b.stub.Authenticate(auth_pb2.AuthenticateRequest(api_key=created.secret))
    assert from_rpc_error(caught.value).status == 401
    watch.cancel()


async def test_redis_subscriber_that_falls_behind_gets_a_reset(redis_url: str, unique_prefix: str) -> None:
    channel = unique_prefix + "changes"
    async with (
        subscriber_and_publisher(open_redis(redis_url), redis_url, channel, capacity=4) as (feed, publisher),
        feed.subscribe() as changes,
    ):
        for index in range(20):
            await publisher.publish(revoked(f"key_{index}"))
        await asyncio.sleep(0.3)  # the reader takes them all in while nobody consumes

        assert await next_change(changes) == RESET
        await publisher.publish(revoked("key_after_reset"))
        assert await next_change(changes) == revoked("key_after_reset")


async def test_broken_redis_subscription_ends_subscriptions_with_a_reset(
    redis_url: str, unique_prefix: str
) -> None:
    channel, name = unique_prefix + "changes", unique_prefix.replace(":", "") + "-feed"
    async with subscriber_and_publisher(named_client(redis_url, name), redis_url, channel) as (
        feed,
        publisher,
    ):
        async with feed.subscribe() as changes:
            await publisher.publish(revoked("key_before"))
            assert await next_change(changes) == revoked("key_before")

            await kill_pubsub_connection(redis_url, name)

            assert await next_change(changes) == RESET
            with pytest.raises(ServiceUnavailableError):
                await next_change(changes)

        # The feed subscribes again by itself; new subscriptions work once it has.
        async with feed.subscribe() as changes:
            await publisher.publish(revoked("key_after"))
            assert await next_change(changes) == revoked("key_after")


async def test_quiet_redis_resubscription_still_resets_subscribers(
    redis_url: str, unique_prefix: str
) -> None:
    # With retries enabled, redis-py reconnects and re-subscribes inside get_message;
    # messages published in between are lost, so the feed must announce a gap.
    channel, name = unique_prefix + "changes", unique_prefix.replace(":", "") + "-feed"
    client = named_client(redis_url, name, retry=Retry(NoBackoff(), 3))
    async with (
        subscriber_and_publisher(client, redis_url, channel) as (feed, publisher),
        feed.subscribe() as changes,
    ):
        await publisher.publish(revoked("key_before"))
        assert await next_change(changes) == revoked("key_before")

        await kill_pubsub_connection(redis_url, name)

        assert await next_change(changes) == RESET
        await publisher.publish(revoked("key_after"))
        assert await next_change(changes) == revoked("key_after")


async def test_without_redis_revocation_is_saved_but_reported_unannounced(
    sqlite_url: str,
    apply_migrations: Callable[[str], Awaitable[None]],
    start_auth: Callable[..., Any],
    admin_key: str,
    free_port: int,
) -> None:
    await apply_migrations(sqlite_url)
    feed = RedisChangeFeed(open_redis(f"redis://127.0.0.1:{free_port}/0"), "unused", ready_timeout_s=0.3)
    stub = (await start_auth(sqlite_url, feed=feed)).stub

    created = await stub.CreateKey(auth_pb2.CreateKeyRequest(name="x"), metadata=bearer(admin_key))
    with pytest.raises(grpc.aio.AioRpcError) as revoke_error:
        await stub.RevokeKey(auth_pb2.RevokeKeyRequest(id=created.key.id), metadata=bearer(admin_key))
    with pytest.raises(grpc.aio.AioRpcError) as watch_error:
        await anext(stub.WatchChanges(auth_pb2.WatchChangesRequest()).__aiter__())
    with pytest.raises(grpc.aio.AioRpcError) as authenticate_error:
        await stub.Authenticate(auth_pb2.AuthenticateRequest(api_key=created.secret))

    assert revoke_error.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "Retry RevokeKey" in from_rpc_error(revoke_error.value).message
    assert watch_error.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "revoked" in from_rpc_error(authenticate_error.value).message


async def test_idle_subscription_is_kept_alive_by_pings(redis_url: str, unique_prefix: str) -> None:
    channel = unique_prefix + "changes"
    async with (
        subscriber_and_publisher(open_redis(redis_url), redis_url, channel, ping_interval_s=0.2) as (
            feed,
            publisher,
        ),
        feed.subscribe() as changes,
    ):
        await asyncio.sleep(2.5)  # several ping rounds (the reader polls once a second)

        await publisher.publish(revoked("key_after_idle"))
        assert await next_change(changes) == revoked("key_after_idle")
