"""The change feed: every change that can invalidate a principal cached by an edge.

Two implementations share one Protocol. `MemoryChangeFeed` fans changes out
inside one process (one auth replica, no Redis). `RedisChangeFeed` carries
them over Redis pub/sub so that every replica's watchers hear the changes
made on any replica.

Pub/sub is at-most-once, and a subscriber may fall behind, so the feed never
promises every change: it promises that a watcher is told when it may have
missed one. A subscription yields a RESET after any gap (its bounded buffer
overflowed, or the Redis subscription was re-established), and when the feed
can no longer deliver at all it yields a RESET and then raises
`ServiceUnavailableError`, ending the stream so the watcher reconnects.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from aigw_runtime.clock import Clock, SystemClock
from aigw_runtime.errors import GatewayError, ServiceUnavailableError

log = logging.getLogger(__name__)

DEFAULT_SUBSCRIBER_CAPACITY = 1024
DEFAULT_CHANNEL = "aigw:auth:changes"
_POLL_S = 1.0
_RETRY_MIN_S = 0.1
_RETRY_MAX_S = 5.0


class ChangeKind(enum.Enum):
    RESET = "reset"
    KEY_CREATED = "key_created"
    KEY_REVOKED = "key_revoked"


@dataclass(frozen=True, slots=True)
class Change:
    """One change; key_id is empty for RESET."""

    kind: ChangeKind
    key_id: str = ""


RESET = Change(ChangeKind.RESET)


class ChangeFeed(Protocol):
    async def publish(self, change: Change) -> None:
        """Announces a change to every subscriber (of every replica, for a shared feed)."""

    def subscribe(self) -> AbstractAsyncContextManager[AsyncIterator[Change]]:
        """A live subscription: changes from the moment it is entered, RESET after any gap."""

    def end_subscriptions(self) -> None:
        """Ends every subscription now (RESET, then UNAVAILABLE), so watchers move elsewhere."""

    async def close(self) -> None:
        """Ends every subscription and releases connections."""


class Subscriber:
    """One subscription's bounded buffer; overflow turns into a single pending RESET."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._pending: deque[Change] = deque()
        self._gap = False
        self._ended: GatewayError | None = None
        self._wakeup = asyncio.Event()

    def offer(self, change: Change) -> None:
        if self._ended is not None or self._gap:
            return  # the RESET to come covers this change
        if len(self._pending) >= self._capacity:
            # Everything buffered is superseded by the RESET the watcher will get.
            self._pending.clear()
            self._gap = True
        else:
            self._pending.append(change)
        self._wakeup.set()

    def mark_gap(self) -> None:
        """Changes may have been lost upstream: the next thing delivered is a RESET."""
        if self._ended is None:
            self._pending.clear()
            self._gap = True
            self._wakeup.set()

    def end(self, error: GatewayError) -> None:
        """No more changes can be delivered: deliver a RESET, then raise error."""
        if self._ended is None:
            self._pending.clear()
            self._ended = error
            self._wakeup.set()

    async def changes(self) -> AsyncIterator[Change]:
        while True:
            if self._ended is not None:
                yield RESET
                raise self._ended
            if self._gap:
                self._gap = False
                yield RESET
            elif self._pending:
                yield self._pending.popleft()
            else:
                self._wakeup.clear()
                await self._wakeup.wait()


class Fanout:
    """The subscribers of one process, and delivery to all of them without waiting."""

    def __init__(self, capacity: int = DEFAULT_SUBSCRIBER_CAPACITY) -> None:
        self._capacity = capacity
        self._subscribers: set[Subscriber] = set()

    @asynccontextmanager
    async def subscription(self) -> AsyncIterator[AsyncIterator[Change]]:
        """A subscriber for as long as the context lasts."""
        subscriber = Subscriber(self._capacity)
        self._subscribers.add(subscriber)
        try:
            yield subscriber.changes()
        finally:
            self._subscribers.discard(subscriber)

    def deliver(self, change: Change) -> None:
        if change.kind is ChangeKind.RESET:
            self.mark_gap()
            return
        for subscriber in self._subscribers:
            subscriber.offer(change)

    def mark_gap(self) -> None:
        for subscriber in self._subscribers:
            subscriber.mark_gap()

    def end_all(self, error: GatewayError) -> None:
        for subscriber in self._subscribers:
            subscriber.end(error)
        self._subscribers.clear()


class MemoryChangeFeed:
    """Fan-out within one process: for a single auth replica without Redis."""

    def __init__(self, capacity: int = DEFAULT_SUBSCRIBER_CAPACITY) -> None:
        self._fanout = Fanout(capacity)
        self._closed = False

    async def publish(self, change: Change) -> None:
        self._fanout.deliver(change)

    def subscribe(self) -> AbstractAsyncContextManager[AsyncIterator[Change]]:
        if self._closed:
            raise ServiceUnavailableError("The auth service is shutting down.")
        return self._fanout.subscription()

    def end_subscriptions(self) -> None:
        self._fanout.end_all(ServiceUnavailableError("The auth service is shutting down."))

    async def close(self) -> None:
        self._closed = True
        self.end_subscriptions()


def encode_change(change: Change) -> bytes:
    return orjson.dumps({"kind": change.kind.value, "key_id": change.key_id})


def decode_change(payload: bytes) -> Change:
    """The change in a pub/sub message; anything unreadable becomes a RESET (never a silent loss)."""
    try:
        fields = orjson.loads(payload)
        return Change(ChangeKind(fields["kind"]), str(fields.get("key_id", "")))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return RESET


class _SubscriptionLost(Exception):
    """The Redis subscription can no longer be trusted to deliver every message."""


class RedisChangeFeed:
    """Changes over Redis pub/sub, shared by every auth replica subscribed to `channel`.

    One reader task per feed holds the SUBSCRIBE and fans messages out to this
    process's subscribers. When the connection drops and redis-py quietly
    re-subscribes, the new subscription confirmation marks a gap (RESET to
    every subscriber). When the subscription fails outright or stops
    answering PINGs, every subscription is ended (RESET, then
    ServiceUnavailableError) and new ones wait until it is back.
    """

    def __init__(
        self,
        redis: Redis,
        channel: str = DEFAULT_CHANNEL,
        *,
        capacity: int = DEFAULT_SUBSCRIBER_CAPACITY,
        ready_timeout_s: float = 5.0,
        ping_interval_s: float = 5.0,
        clock: Clock | None = None,
    ) -> None:
        self._redis = redis
        self._channel = channel
        self._fanout = Fanout(capacity)
        self._ready_timeout_s = ready_timeout_s
        self._ping_interval_s = ping_interval_s
        self._clock = clock or SystemClock()
        self._ready = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._closed = False

    async def publish(self, change: Change) -> None:
        try:
            await self._redis.publish(self._channel, encode_change(change))
        except (RedisError, OSError) as exc:
            raise ServiceUnavailableError(
                "The change could not be announced to the gateway: Redis is unavailable."
            ) from exc

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[Change]]:
        await self._wait_until_subscribed()
        async with self._fanout.subscription() as changes:
            yield changes

    def end_subscriptions(self) -> None:
        self._fanout.end_all(ServiceUnavailableError("The auth service is shutting down."))

    async def close(self) -> None:
        self._closed = True
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        self.end_subscriptions()
        await self._redis.aclose()

    async def _wait_until_subscribed(self) -> None:
        if self._closed:
            raise ServiceUnavailableError("The auth service is shutting down.")
        if self._reader is None:
            self._reader = asyncio.create_task(self._run(), name=f"auth-changes:{self._channel}")
        deadline = self._clock.monotonic() + self._ready_timeout_s
        # Re-check after every wake-up: the subscription may have broken again meanwhile.
        while not self._ready.is_set():
            remaining = deadline - self._clock.monotonic()
            if remaining <= 0 or self._closed:
                raise ServiceUnavailableError("The auth change feed is unavailable: Redis cannot be reached.")
            try:
                await asyncio.wait_for(self._ready.wait(), remaining)
            except TimeoutError:
                continue

    async def _run(self) -> None:
        delay_s = _RETRY_MIN_S
        while not self._closed:
            try:
                await self._listen()
            except (RedisError, OSError, TimeoutError, _SubscriptionLost) as exc:
                log.warning("auth change feed: the Redis subscription to %s broke: %s", self._channel, exc)
            except Exception:
                # Whatever happened, watchers must not be left trusting a dead reader.
                log.exception("auth change feed: the reader of %s failed", self._channel)
            if self._ready.is_set():
                delay_s = _RETRY_MIN_S  # it had been working: retry promptly
            self._ready.clear()
            self._fanout.end_all(
                ServiceUnavailableError("The auth change feed lost its Redis subscription; watch again.")
            )
            await asyncio.sleep(delay_s)
            delay_s = min(delay_s * 2, _RETRY_MAX_S)

    async def _listen(self) -> None:
        """Holds one subscription until it breaks (raises) or the task is cancelled."""
        async with self._redis.pubsub() as pubsub:
            await pubsub.subscribe(self._channel)
            confirmed = False
            heard_at = self._clock.monotonic()
            ping_sent_at: float | None = None
            while True:
                # redis-py may retry a broken read for a while; a stuck read counts as broken.
                message = await asyncio.wait_for(
                    pubsub.get_message(timeout=_POLL_S), _POLL_S + self._ping_interval_s
                )
                now = self._clock.monotonic()
                if message is None:
                    if ping_sent_at is not None and now - ping_sent_at > self._ping_interval_s:
                        raise _SubscriptionLost("Redis did not answer a PING")
                    if ping_sent_at is None and now - heard_at > self._ping_interval_s:
                        await pubsub.ping()
                        ping_sent_at = now
                    continue
                heard_at, ping_sent_at = now, None
                confirmed = self._handle(message, confirmed)

    def _handle(self, message: Mapping[str, Any], confirmed: bool) -> bool:
        """Acts on one pub/sub message; returns whether the subscription has been confirmed."""
        kind = message.get("type")
        if kind == "subscribe":
            if confirmed:
                # redis-py reconnected and re-subscribed on its own: whatever was
                # published in between is lost, so every watcher must reset.
                log.warning(
                    "auth change feed: re-subscribed to %s after a gap; resetting watchers", self._channel
                )
                self._fanout.mark_gap()
            self._ready.set()
            return True
        if kind == "message":
            self._fanout.deliver(decode_change(message["data"]))
        elif kind == "unsubscribe":
            raise _SubscriptionLost("Redis ended the subscription")
        return confirmed
