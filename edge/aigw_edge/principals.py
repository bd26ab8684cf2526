"""Who is calling: an in-process cache of principals, kept coherent by AuthService.WatchChanges.

On the warm path a key is checked with one dict lookup and no RPC. The cache
is trusted only while the change feed is connected: the feed starts with a
RESET, and a revocation arrives as KEY_REVOKED and drops the key at once. If
the feed breaks, the cache is emptied and every request asks auth until the
feed is back, so a revoked key is never served from a stale cache.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time

import grpc

from aigw.auth.v1 import auth_pb2, auth_pb2_grpc
from aigw_runtime.errors import AuthenticationError, GatewayError, from_rpc_error

log = logging.getLogger(__name__)

_NEGATIVE_TTL_S = 30.0
_MAX_ENTRIES = 100_000
_MAX_NEGATIVE = 10_000
_RECONNECT_DELAY_S = 0.5


def _digest(api_key: str) -> bytes:
    # The cache never keeps the key itself.
    return hashlib.sha256(api_key.encode()).digest()


class PrincipalCache:
    """Authenticates keys, from memory when the change feed allows it."""

    def __init__(self, auth: auth_pb2_grpc.AuthServiceStub) -> None:
        self._auth = auth
        self._principals: dict[bytes, auth_pb2.Principal] = {}
        self._digests_by_key: dict[str, set[bytes]] = {}
        self._unknown: dict[bytes, float] = {}
        self._live = False
        # Bumped by changes that can make a cached answer wrong, so that an RPC
        # answer older than such a change is not cached: a revocation can only
        # invalidate "valid", a creation only "unknown".
        self._valid_generation = 0
        self._unknown_generation = 0

    @property
    def live(self) -> bool:
        return self._live

    async def authenticate(self, api_key: str | None) -> auth_pb2.Principal:
        if not api_key:
            raise AuthenticationError(
                "You didn't provide an API key. Provide it in the Authorization header (Bearer auth).",
                code="missing_api_key",
            )
        digest = _digest(api_key)
        cached = self._principals.get(digest)
        if cached is not None:
            return cached
        expires = self._unknown.get(digest)
        if expires is not None and expires > time.monotonic():
            raise AuthenticationError("Incorrect API key provided.")
        valid_generation, unknown_generation = self._valid_generation, self._unknown_generation
        try:
            response = await self._auth.Authenticate(auth_pb2.AuthenticateRequest(api_key=api_key), timeout=5)
        except grpc.aio.AioRpcError as exc:
            error = from_rpc_error(exc)
            if error.status == 401 and self._live and unknown_generation == self._unknown_generation:
                self._remember_unknown(digest)
            raise error from None
        principal: auth_pb2.Principal = response.principal
        if self._live and valid_generation == self._valid_generation:
            self._remember(digest, principal)
        return principal

    def _remember(self, digest: bytes, principal: auth_pb2.Principal) -> None:
        if len(self._principals) >= _MAX_ENTRIES:
            self._clear_positive()
        self._principals[digest] = principal
        self._digests_by_key.setdefault(principal.key_id, set()).add(digest)

    def _remember_unknown(self, digest: bytes) -> None:
        if len(self._unknown) >= _MAX_NEGATIVE:
            self._unknown.clear()
        self._unknown[digest] = time.monotonic() + _NEGATIVE_TTL_S

    def _clear_positive(self) -> None:
        self._principals.clear()
        self._digests_by_key.clear()

    def apply(self, change: auth_pb2.WatchChangesResponse) -> None:
        """Applies one message of the change feed."""
        kind = change.kind
        if kind == auth_pb2.CHANGE_KIND_RESET:
            self._valid_generation += 1
            self._unknown_generation += 1
            self._clear_positive()
            self._unknown.clear()
            self._live = True
        elif kind == auth_pb2.CHANGE_KIND_KEY_CREATED:
            self._unknown_generation += 1
            self._unknown.clear()
        elif kind in (auth_pb2.CHANGE_KIND_KEY_REVOKED, auth_pb2.CHANGE_KIND_KEY_UPDATED):
            self._valid_generation += 1
            for digest in self._digests_by_key.pop(change.key_id, ()):
                self._principals.pop(digest, None)

    def _go_dark(self) -> None:
        self._live = False
        self._valid_generation += 1
        self._unknown_generation += 1
        self._clear_positive()
        self._unknown.clear()

    async def watch(self) -> None:
        """Follows the change feed forever, reconnecting; run it as a background task."""
        while True:
            call = self._auth.WatchChanges(auth_pb2.WatchChangesRequest())
            try:
                async for change in call:
                    self.apply(change)
            except grpc.aio.AioRpcError as exc:
                if self._live:
                    log.warning(
                        "auth change feed lost (%s); authenticating every request until it is back",
                        exc.code().name,
                    )
            except GatewayError:
                log.exception("bad message on the auth change feed")
            finally:
                call.cancel()
                self._go_dark()
            await asyncio.sleep(_RECONNECT_DELAY_S)
