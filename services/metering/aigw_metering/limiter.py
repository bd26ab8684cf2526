"""Admission by requests per minute, as GCRA (the generic cell rate algorithm).

Each key has one stored value, its theoretical arrival time (TAT): the moment
its bucket would be full again. A limit of N per minute gives an emission
interval of 60 s / N and a burst of N, so a fresh key may make N requests at
once and then one every interval. Times are whole microseconds so that the
Redis script and the in-process limiter compute exactly the same answers.

Both limiters sit on every request's hot path: one Redis round trip or one
dict lookup per decision, no database, and no logging unless Redis fails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from aigw_runtime.clock import Clock, SystemClock
from aigw_runtime.errors import ServiceUnavailableError

log = logging.getLogger(__name__)

MICROS_PER_MINUTE = 60_000_000
_MICROS = 1_000_000.0


@dataclass(frozen=True, slots=True)
class AdmissionDecision:
    """Whether one request may go ahead, and the state of its key's limit.

    `limit` 0 means the key is unlimited; the other numbers are then 0.
    """

    allowed: bool
    limit: int
    # Whole requests still allowed right now, after this decision.
    remaining: int
    # Seconds until the bucket is full again.
    reset_s: float
    # When refused: seconds until one more request is allowed; otherwise 0.
    retry_after_s: float

    @property
    def limited(self) -> bool:
        return self.limit > 0


UNLIMITED = AdmissionDecision(allowed=True, limit=0, remaining=0, reset_s=0.0, retry_after_s=0.0)


class RateLimiter(Protocol):
    async def admit(self, key_id: str, limit: int) -> AdmissionDecision:
        """Decides one request of key_id under `limit` per minute, counting it if allowed.

        A limit of 0 (or less) is unlimited: always allowed, nothing stored.
        """

    async def close(self) -> None:
        """Releases connections and state."""


def emission_interval_us(limit: int) -> int:
    """Microseconds between requests at `limit` per minute (at least 1)."""
    return max(1, round(MICROS_PER_MINUTE / limit))


@dataclass(frozen=True, slots=True)
class GcraStep:
    """One GCRA decision in microseconds; `tat_us` is the value to store when allowed."""

    allowed: bool
    tat_us: int
    remaining: int
    reset_us: int
    retry_after_us: int


def gcra_step(stored_tat_us: int | None, now_us: int, limit: int) -> GcraStep:
    """The GCRA arithmetic; `GCRA_SCRIPT` is the same in Lua, for Redis."""
    interval = emission_interval_us(limit)
    tolerance = interval * limit
    tat = now_us if stored_tat_us is None or stored_tat_us < now_us else stored_tat_us
    new_tat = tat + interval
    allow_at = new_tat - tolerance
    if allow_at > now_us:
        remaining = max(0, (now_us + tolerance - tat) // interval)
        return GcraStep(False, tat, remaining, tat - now_us, allow_at - now_us)
    remaining = (now_us + tolerance - new_tat) // interval
    return GcraStep(True, new_tat, remaining, new_tat - now_us, 0)


def _decision(
    allowed: bool, limit: int, remaining: int, reset_us: int, retry_after_us: int
) -> AdmissionDecision:
    return AdmissionDecision(
        allowed=allowed,
        limit=limit,
        remaining=remaining,
        reset_s=reset_us / _MICROS,
        retry_after_s=retry_after_us / _MICROS,
    )


class MemoryRateLimiter:
    """GCRA state in a dict for one process; expired entries are pruned as it grows."""

    def __init__(self, clock: Clock | None = None, min_prune_size: int = 1024) -> None:
        self._clock = clock or SystemClock()
        self._tats: dict[str, int] = {}
        self._min_prune_size = min_prune_size
        self._prune_at = min_prune_size

    def __len__(self) -> int:
        """Keys currently holding state."""
        return len(self._tats)

    async def admit(self, key_id: str, limit: int) -> AdmissionDecision:
        if limit <= 0:
            return UNLIMITED
        now_us = int(self._clock.monotonic() * _MICROS)
        step = gcra_step(self._tats.get(key_id), now_us, limit)
        if step.allowed:
            self._tats[key_id] = step.tat_us
            if len(self._tats) >= self._prune_at:
                self._prune(now_us)
        return _decision(step.allowed, limit, step.remaining, step.reset_us, step.retry_after_us)

    async def close(self) -> None:
        self._tats.clear()

    def _prune(self, now_us: int) -> None:
        # A key whose TAT has passed is indistinguishable from a fresh key.
        # Sweeping only when the dict has doubled keeps the cost amortised O(1)
        # and the size within twice the number of keys active in the last minute.
        self._tats = {key: tat for key, tat in self._tats.items() if tat > now_us}
        self._prune_at = max(self._min_prune_size, 2 * len(self._tats))


# `gcra_step` in Lua. KEYS[1]: the key's TAT; ARGV: interval (us), limit.
# Lua numbers are doubles: microsecond timestamps (~1.7e15) are exact, but
# tostring() keeps only 14 digits, hence string.format('%d') when storing.
GCRA_SCRIPT = """
local interval = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tolerance = interval * limit
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - tolerance
if allow_at > now then
  local remaining = math.max(0, math.floor((now + tolerance - tat) / interval))
  return {0, remaining, tat - now, allow_at - now}
end
local ttl_ms = math.ceil((new_tat - now) / 1000)
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', ttl_ms)
return {1, math.floor((now + tolerance - new_tat) / interval), new_tat - now, 0}
"""


class RedisRateLimiter:
    """GCRA state in Redis, shared by every metering replica.

    One EVALSHA per decision; the script reads Redis's own clock (`TIME`) so
    replicas on different hosts agree, and sets the key to expire when its TAT
    passes, so idle keys vanish.
    """

    def __init__(self, redis: Redis, prefix: str = "aigw:metering:") -> None:
        self._redis = redis
        self._prefix = prefix + "rl:"
        self._script = redis.register_script(GCRA_SCRIPT)

    async def admit(self, key_id: str, limit: int) -> AdmissionDecision:
        if limit <= 0:
            return UNLIMITED
        try:
            reply = await self._script(
                keys=[self._prefix + key_id], args=[emission_interval_us(limit), limit]
            )
        except RedisError as exc:
            # Retryable for the caller, which decides whether to fail open or closed.
            log.warning("rate limit store unavailable: %s", exc)
            raise ServiceUnavailableError("The rate limit store is unavailable.") from exc
        allowed, remaining, reset_us, retry_after_us = (int(value) for value in reply)
        return _decision(allowed == 1, limit, remaining, reset_us, retry_after_us)

    async def close(self) -> None:
        await self._redis.aclose()
