"""GCRA semantics, on the in-process limiter with a clock the test moves."""

from __future__ import annotations

from typing import Any

import pytest

from aigw_metering.limiter import UNLIMITED, MemoryRateLimiter, emission_interval_us, gcra_step


async def test_fresh_key_may_burst_exactly_limit_requests_with_remaining_counting_down(clock: Any) -> None:
    limiter = MemoryRateLimiter(clock)

    decisions = [await limiter.admit("key-a", 5) for _ in range(5)]

    assert [d.allowed for d in decisions] == [True] * 5
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0]
    assert [d.reset_s for d in decisions] == [12.0, 24.0, 36.0, 48.0, 60.0]
    assert [d.retry_after_s for d in decisions] == [0.0] * 5
    assert {d.limit for d in decisions} == {5}


async def test_request_over_the_burst_is_refused_with_retry_after_one_interval(clock: Any) -> None:
    limiter = MemoryRateLimiter(clock)
    for _ in range(5):
        await limiter.admit("key-a", 5)

    refused = await limiter.admit("key-a", 5)

    assert refused.allowed is False
    assert refused.limit == 5
    assert refused.remaining == 0
    assert refused.retry_after_s == 12.0
    assert refused.reset_s == 60.0


async def test_refusals_are_not_counted(clock: Any) -> None:
    limiter = MemoryRateLimiter(clock)
    for _ in range(5):
        await limiter.admit("key-a", 5)
    for _ in range(10):
        assert (await limiter.admit("key-a", 5)).allowed is False

    clock.advance(12.0)

    assert (await limiter.admit("key-a", 5)).allowed is True


async def test_one_request_is_allowed_again_after_each_interval(clock: Any) -> None:
    limiter = MemoryRateLimiter(clock)
    for _ in range(5):
        await limiter.admit("key-a", 5)

    clock.advance(11.5)
    early = await limiter.admit("key-a", 5)
    clock.advance(0.5)
    on_time = await limiter.admit("key-a", 5)
    right_after = await limiter.admit("key-a", 5)

    assert early.allowed is False
    assert early.retry_after_s == pytest.approx(0.5)
    assert on_time.allowed is True
    assert on_time.remaining == 0
    assert on_time.reset_s == 60.0
    assert right_after.allowed is False
    assert right_after.retry_after_s == 12.0


async def test_bucket_is_full_again_after_reset_s(clock: Any) -> None:
    limiter = MemoryRateLimiter(clock)
    for _ in range(3):
        last = await limiter.admit("key-a", 5)

    clock.advance(last.reset_s)
    after = await limiter.admit("key-a", 5)

    assert after.allowed is True
    assert after.remaining == 4
    assert after.reset_s == 12.0


async def test_partial_recovery_gives_back_whole_requests_only(clock: Any) -> None:
    limiter = MemoryRateLimiter(clock)
    for _ in range(5):
        await limiter.admit("key-a", 5)

    clock.advance(30.0)  # two and a half intervals
    decision = await limiter.admit("key-a", 5)

    assert decision.allowed is True
    assert decision.remaining == 1
    assert decision.reset_s == 42.0


async def test_unlimited_key_is_always_allowed_and_keeps_no_state(clock: Any) -> None:
    limiter = MemoryRateLimiter(clock)

    decisions = [await limiter.admit("key-a", 0) for _ in range(1_000)]

    assert all(d is UNLIMITED for d in decisions)
    assert UNLIMITED.allowed is True
    assert UNLIMITED.limited is False
    assert len(limiter) == 0


async def test_keys_are_limited_independently(clock: Any) -> None:
    limiter = MemoryRateLimiter(clock)

    first_a = await limiter.admit("key-a", 1)
    second_a = await limiter.admit("key-a", 1)
    first_b = await limiter.admit("key-b", 1)

    assert (first_a.allowed, second_a.allowed, first_b.allowed) == (True, False, True)
    assert second_a.retry_after_s == 60.0
    assert first_b.remaining == 0


@pytest.mark.parametrize("limit", [1, 7, 60, 1_000, 6_000])
async def test_burst_is_exactly_limit_even_when_60s_does_not_divide_evenly(clock: Any, limit: int) -> None:
    limiter = MemoryRateLimiter(clock)

    allowed = [(await limiter.admit("key-a", limit)).allowed for _ in range(limit + 1)]

    assert allowed.count(True) == limit
    assert allowed[-1] is False


def test_emission_interval_is_60s_over_limit_in_whole_microseconds() -> None:
    assert emission_interval_us(1) == 60_000_000
    assert emission_interval_us(7) == 8_571_429
    assert emission_interval_us(6_000) == 10_000
    assert emission_interval_us(2**31 - 1) == 1


def test_lowered_limit_refuses_without_negative_remaining() -> None:
    # The key spent a burst of 100 under a limit of 100, then its limit became 2.
    step = gcra_step(stored_tat_us=60_000_000, now_us=0, limit=2)

    assert step.allowed is False
    assert step.remaining == 0
    assert step.retry_after_us == 30_000_000


async def test_expired_entries_are_pruned_as_the_table_grows(clock: Any) -> None:
    limiter = MemoryRateLimiter(clock, min_prune_size=4)
    for index in range(4):
        await limiter.admit(f"old-{index}", 60)

    clock.advance(1.0)  # every old key's bucket is full again
    for index in range(4):
        await limiter.admit(f"new-{index}", 60)

    assert len(limiter) == 4
    assert (await limiter.admit("old-0", 60)).remaining == 59
