"""The one way aigw opens a Redis client."""

from __future__ import annotations

from redis.asyncio import Redis


def open_redis(url: str) -> Redis:
    """A pooled asyncio client; values are bytes."""
    return Redis.from_url(url, decode_responses=False, health_check_interval=30, socket_keepalive=True)
