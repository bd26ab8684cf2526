"""The access tokens a fake identity provider (Entra ID, Google OAuth) hands out, and what each grants.

The token endpoint issues them; the APIs that take them look them up. A
token lives `lifetime_s` seconds on the clock's monotonic scale, or until it
is revoked (the control API's way to make a client recover from a refused
token).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Generic, TypeVar

from aigw_runtime.clock import Clock

Grant = TypeVar("Grant")


@dataclass(frozen=True, slots=True)
class _Issued(Generic[Grant]):
    grant: Grant
    expires_at: float
    """On the clock's monotonic scale."""


class IssuedTokens(Generic[Grant]):
    """The tokens handed out so far, each `prefix` and a random part, with what it grants."""

    def __init__(self, clock: Clock, *, prefix: str, lifetime_s: float) -> None:
        self._clock = clock
        self._prefix = prefix
        self._lifetime_s = lifetime_s
        self._tokens: dict[str, _Issued[Grant]] = {}

    def issue(self, grant: Grant) -> str:
        now = self._clock.monotonic()
        # Forget expired tokens, so a long-running fake does not grow without bound.
        self._tokens = {token: kept for token, kept in self._tokens.items() if kept.expires_at > now}
        token = self._prefix + secrets.token_urlsafe(32)
        self._tokens[token] = _Issued(grant, now + self._lifetime_s)
        return token

    def lookup(self, token: str) -> Grant | None:
        """What the token grants, or None when it was never issued, has expired or was revoked."""
        issued = self._tokens.get(token)
        if issued is None or self._clock.monotonic() >= issued.expires_at:
            return None
        return issued.grant

    def revoke(self, token: str) -> bool:
        return self._tokens.pop(token, None) is not None

    def revoke_all(self) -> int:
        """Forgets every token issued; returns how many there were."""
        count = len(self._tokens)
        self._tokens.clear()
        return count
