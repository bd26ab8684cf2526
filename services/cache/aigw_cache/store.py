"""Where cached responses live: Redis in production, process memory by default.

Both stores keep opaque bytes under a key with a TTL; the service decides
what the bytes are.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

from redis.asyncio import Redis

from aigw_runtime.clock import Clock, SystemClock


class ResponseStore(Protocol):
    async def get(self, key: str) -> bytes | None:
        """The value stored under key, or None when absent or expired."""

    async def put(self, key: str, value: bytes, ttl_s: int) -> None:
        """Stores value for ttl_s seconds, replacing any earlier value."""

    async def close(self) -> None:
        """Releases connections."""


class RedisResponseStore:
    """Entries as Redis strings with an expiry; shared by every cache replica."""

    def __init__(self, redis: Redis, prefix: str = "aigw:cache:") -> None:
        self._redis = redis
        self._prefix = prefix

    async def get(self, key: str) -> bytes | None:
        value = await self._redis.get(self._prefix + key)
        return value if isinstance(value, bytes) else None

    async def put(self, key: str, value: bytes, ttl_s: int) -> None:
        await self._redis.set(self._prefix + key, value, ex=ttl_s)

    async def close(self) -> None:
        await self._redis.aclose()


class MemoryResponseStore:
    """An LRU of bounded total size, with per-entry expiry, for one process."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024, clock: Clock | None = None) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max_bytes = max_bytes
        self._size = 0
        self._clock = clock or SystemClock()

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if expires_at <= self._clock.monotonic():
            self._remove(key)
            return None
        self._entries.move_to_end(key)
        return value

    async def put(self, key: str, value: bytes, ttl_s: int) -> None:
        if len(value) > self._max_bytes:
            return
        if key in self._entries:
            self._remove(key)
        self._entries[key] = (self._clock.monotonic() + ttl_s, value)
        self._size += len(value)
        while self._size > self._max_bytes:
            oldest = next(iter(self._entries))
            self._remove(oldest)

    async def close(self) -> None:
        self._entries.clear()
        self._size = 0

    def _remove(self, key: str) -> None:
        _, value = self._entries.pop(key)
        self._size -= len(value)
