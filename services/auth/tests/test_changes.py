"""The in-process change feed: fan-out, overflow into RESET, shutdown, and the wire encoding."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from aigw_auth.changes import (
    RESET,
    Change,
    ChangeKind,
    MemoryChangeFeed,
    decode_change,
    encode_change,
)
from aigw_runtime.errors import ServiceUnavailableError


def revoked(key_id: str) -> Change:
    return Change(ChangeKind.KEY_REVOKED, key_id)


async def next_change(changes: AsyncIterator[Change]) -> Change:
    return await asyncio.wait_for(anext(changes), 1.0)


async def test_every_subscriber_receives_every_change_in_order() -> None:
    feed = MemoryChangeFeed()
    async with feed.subscribe() as first, feed.subscribe() as second:
        await feed.publish(Change(ChangeKind.KEY_CREATED, "key_a"))
        await feed.publish(revoked("key_a"))

        for changes in (first, second):
            assert await next_change(changes) == Change(ChangeKind.KEY_CREATED, "key_a")
            assert await next_change(changes) == revoked("key_a")


async def test_subscription_only_sees_changes_published_after_it_began() -> None:
    feed = MemoryChangeFeed()
    await feed.publish(revoked("key_before"))
    async with feed.subscribe() as changes:
        await feed.publish(revoked("key_after"))

        assert await next_change(changes) == revoked("key_after")


async def test_subscriber_that_falls_behind_gets_one_reset_instead_of_the_backlog() -> None:
    feed = MemoryChangeFeed(capacity=3)
    async with feed.subscribe() as changes:
        for index in range(10):
            await feed.publish(revoked(f"key_{index}"))

        assert await next_change(changes) == RESET
        await feed.publish(revoked("key_after_reset"))
        assert await next_change(changes) == revoked("key_after_reset")


async def test_subscriber_within_capacity_gets_no_reset() -> None:
    feed = MemoryChangeFeed(capacity=3)
    async with feed.subscribe() as changes:
        for index in range(3):
            await feed.publish(revoked(f"key_{index}"))

        assert [await next_change(changes) for _ in range(3)] == [revoked(f"key_{i}") for i in range(3)]


async def test_published_reset_reaches_subscribers_as_reset() -> None:
    feed = MemoryChangeFeed()
    async with feed.subscribe() as changes:
        await feed.publish(revoked("key_dropped"))
        await feed.publish(RESET)

        assert await next_change(changes) == RESET


async def test_close_ends_subscriptions_with_a_reset_then_unavailable() -> None:
    feed = MemoryChangeFeed()
    async with feed.subscribe() as changes:
        await feed.publish(revoked("key_pending"))
        await feed.close()

        assert await next_change(changes) == RESET
        with pytest.raises(ServiceUnavailableError):
            await next_change(changes)


async def test_closed_feed_refuses_new_subscriptions() -> None:
    feed = MemoryChangeFeed()
    await feed.close()

    with pytest.raises(ServiceUnavailableError):
        async with feed.subscribe():
            pass


def test_changes_round_trip_through_the_pubsub_encoding() -> None:
    change = Change(ChangeKind.KEY_CREATED, "key_0123456789abcdef")

    assert decode_change(encode_change(change)) == change


@pytest.mark.parametrize(
    "payload", [b"", b"not json", b"[]", b'{"kind": "key_exploded"}', b'{"key_id": "x"}']
)
def test_unreadable_pubsub_messages_become_reset(payload: bytes) -> None:
    assert decode_change(payload) == RESET
