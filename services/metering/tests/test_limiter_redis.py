"""The Redis limiter against a real Redis: same GCRA semantics, on the server's clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from aigw_metering.limiter import UNLIMITED, RedisRateLimiter
from aigw_runtime.errors import ServiceUnavailableError
from aigw_runtime.redis_client import open_redis

# Real time passes between calls: a few milliseconds at most on a local Redis.
SLACK_S = 0.5


@pytest.fixture
async def redis(redis_url: str, unique_prefix: str) -> AsyncIterator[Redis]:
    client = open_redis(redis_url)
    yield client
    keys = [key async for key in client.scan_iter(match=unique_prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
async def limiter(redis_url: str, unique_prefix: str, redis: Redis) -> AsyncIterator[RedisRateLimiter]:
    limiter = RedisRateLimiter(open_redis(redis_url), prefix=unique_prefix)
    yield limiter
    await limiter.close()


async def test_fresh_key_may_burst_exactly_limit_requests_then_is_refused(limiter: RedisRateLimiter) -> None:
    decisions = [await limiter.admit("key-a", 5) for _ in range(6)]

    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0]
    assert {d.limit for d in decisions} == {5}
    for count, decision in enumerate(decisions[:5], start=1):
        assert decision.reset_s == pytest.approx(12.0 * count, abs=SLACK_S)
        assert decision.retry_after_s == 0.0
    refused = decisions[5]
    assert refused.retry_after_s == pytest.approx(12.0, abs=SLACK_S)
    assert 0 < refused.retry_after_s <= 12.0
    assert refused.reset_s == pytest.approx(60.0, abs=SLACK_S)


async def test_request_is_allowed_again_after_retry_after(limiter: RedisRateLimiter) -> None:
    # 600 per minute: one request every 100 ms after a burst of 600.
    for _ in range(2_000):
        refused = await limiter.admit("key-a", 600)
        if not refused.allowed:
            break
    assert refused.allowed is False
    assert 0 < refused.retry_after_s <= 0.1

    await asyncio.sleep(refused.retry_after_s + 0.02)
    again = await limiter.admit("key-a", 600)

    assert again.allowed is True
    assert again.remaining == 0


async def test_unlimited_key_is_allowed_without_touching_redis(
    limiter: RedisRateLimiter, redis: Redis, unique_prefix: str
) -> None:
    decisions = [await limiter.admit("key-a", 0) for _ in range(100)]

    assert all(d is UNLIMITED for d in decisions)
    assert [key async for key in redis.scan_iter(match=unique_prefix + "*")] == []


async def test_keys_are_limited_independently(limiter: RedisRateLimiter) -> None:
    first_a = await limiter.admit("key-a", 1)
    second_a = await limiter.admit("key-a", 1)
    first_b = await limiter.admit("key-b", 1)

    assert (first_a.allowed, second_a.allowed, first_b.allowed) == (True, False, True)
    assert second_a.retry_after_s == pytest.approx(60.0, abs=SLACK_S)


async def test_two_limiters_on_one_redis_share_each_keys_budget(
    limiter: RedisRateLimiter, redis_url: str, unique_prefix: str
) -> None:
    other = RedisRateLimiter(open_redis(redis_url), prefix=unique_prefix)
    try:
        first = await limiter.admit("key-a", 2)
        second = await other.admit("key-a", 2)
        third = await limiter.admit("key-a", 2)
    finally:
        await other.close()

    assert (first.allowed, second.allowed, third.allowed) == (True, True, False)
    assert second.remaining == 0


async def test_state_is_one_key_per_api_key_that_expires_when_the_bucket_is_full(
    limiter: RedisRateLimiter, redis: Redis, unique_prefix: str
) -> None:
    # 6000 per minute: the bucket is full again 10 ms after one request.
    await limiter.admit("key-a", 6_000)

    keys = [key async for key in redis.scan_iter(match=unique_prefix + "*")]
    ttl_ms = await redis.pttl(f"{unique_prefix}rl:key-a")
    await asyncio.sleep(0.05)

    assert keys == [f"{unique_prefix}rl:key-a".encode()]
    assert 0 < ttl_ms <= 10
    assert await redis.exists(f"{unique_prefix}rl:key-a") == 0


async def test_unreachable_redis_is_a_retryable_service_unavailable_error(free_port: int) -> None:
    limiter = RedisRateLimiter(open_redis(f"redis://127.0.0.1:{free_port}/0"))
    try:
        with pytest.raises(ServiceUnavailableError) as caught:
            await limiter.admit("key-a", 5)
    finally:
        await limiter.close()

    assert caught.value.status == 503
    assert caught.value.retryable is True
