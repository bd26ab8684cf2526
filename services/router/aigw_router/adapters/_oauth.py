"""OAuth access tokens for an adapter: cached until shortly before they expire, fetched one request at a time.

Each kind of credential (Entra ID client credentials, a Google service
account) says how a token is fetched (`_fetch`); the caching, the lock that
makes concurrent requests share one fetch, `invalidate` for a token the
provider refused, and the token endpoint's transport errors are the same
for all of them.
"""

from __future__ import annotations

import abc
import asyncio
import logging
from typing import Any

import httpx

from aigw_router.adapters._errors import error_json, scrub
from aigw_runtime.clock import Clock
from aigw_runtime.errors import UpstreamError, UpstreamTimeoutError

# Refresh this long before expiry (at most half the lifetime), so a token never expires on its way.
_REFRESH_MARGIN_S = 300.0


def answer_json(content: bytes) -> dict[str, Any]:
    """A token endpoint's answer as a JSON object (empty when it is not one)."""
    answer = error_json(content)
    return answer if isinstance(answer, dict) else {}


log = logging.getLogger(__name__)


class OAuthTokens(abc.ABC):
    """Access tokens from one token endpoint, cached per adapter (never in module state)."""

    # How errors name the token endpoint ("the OAuth token endpoint").
    endpoint_name: str

    def __init__(
        self,
        *,
        token_url: str,
        http: httpx.AsyncClient,
        provider: str,
        clock: Clock,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        self._token_url = token_url
        self._http = http
        self._provider = provider
        self._clock = clock
        self._timeout = timeout or httpx.Timeout(30.0, connect=10.0)
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def token_url(self) -> str:
        return self._token_url

    async def token(self) -> str:
        """A valid access token, fetched when there is none or it is about to expire."""
        token = self._current()
        if token is not None:
            return token
        async with self._lock:
            token = self._current()
            if token is None:
                started = self._clock.monotonic()
                token, lifetime = await self._fetch()
                margin = min(_REFRESH_MARGIN_S, lifetime / 2)
                self._token, self._refresh_at = token, started + lifetime - margin
            return token

    def invalidate(self) -> None:
        """Forgets the cached token (the provider refused it)."""
        self._token = None

    def _current(self) -> str | None:
        if self._token is not None and self._clock.monotonic() < self._refresh_at:
            return self._token
        return None

    @abc.abstractmethod
    async def _fetch(self) -> tuple[str, float]:
        """A new access token and its lifetime in seconds (see `_post` and `_access_token`)."""

    async def _post(self, form: dict[str, str]) -> httpx.Response:
        """The token endpoint's answer to `form`; a gateway error when it cannot be reached in time."""
        try:
            return await self._http.post(
                self._token_url, data=form, headers={"accept": "application/json"}, timeout=self._timeout
            )
        except httpx.TimeoutException:
            raise UpstreamTimeoutError(
                f"Provider {self._provider}: {self.endpoint_name} did not answer in time."
            ) from None
        except httpx.HTTPError:
            raise UpstreamError(
                f"Provider {self._provider}: {self.endpoint_name} could not be reached.",
                code="upstream_unreachable",
            ) from None

    def _refused(self, status: int, reason: str) -> UpstreamError:
        """The client's error when the token endpoint refused the gateway's credentials.

        The endpoint's own reason (an Entra or Google error code and text) is for
        the operator, so it goes to the log; the client learns only that the
        gateway's credentials were refused, as for any provider's 401.
        """
        log.warning(
            "provider %s: %s refused the credentials (HTTP %d): %s",
            self._provider,
            self.endpoint_name,
            status,
            scrub(reason) or "no reason given",
        )
        return UpstreamError(
            f"Provider {self._provider} refused the gateway's credentials.", code="upstream_auth_failed"
        )

    def _access_token(self, answer: dict[str, Any]) -> str:
        """The `access_token` of a successful answer, which must hold one."""
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise UpstreamError(
                f"Provider {self._provider}: {self.endpoint_name} sent no access token.",
                code="upstream_auth_failed",
            )
        return token
