"""OAuth access tokens for Google Cloud (Vertex AI) from a service-account key.

The RFC 7523 JWT bearer grant, as Google's token endpoint takes it: the
key's RSA private key signs a JWT assertion (`iss` the service account, `aud`
the token endpoint, `scope` cloud-platform, one hour), which the token
endpoint (`token_uri` of the key, or the provider's `token_url`) exchanges
for an access token. The token is cached until shortly before it expires and
fetched by one request at a time; `invalidate` forgets it when the provider
refused it, so the next request gets a new one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx
import orjson
from google.auth import crypt, jwt

from aigw_router.adapters._errors import scrub
from aigw_runtime.clock import Clock
from aigw_runtime.config import ConfigError
from aigw_runtime.errors import GatewayError, UpstreamError, UpstreamTimeoutError

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
_ASSERTION_LIFETIME_S = 3600
# Refresh this long before expiry, so a token never expires on its way to the provider.
_REFRESH_MARGIN_S = 300.0


def parse_service_account(text: str, provider: str) -> dict[str, Any]:
    """The service-account key JSON, checked for what signing needs (never echoing the key)."""
    try:
        info = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ConfigError(f"provider {provider}: service_account is not a JSON service-account key") from None
    if not isinstance(info, dict) or info.get("type", "service_account") != "service_account":
        raise ConfigError(f"provider {provider}: service_account is not a JSON service-account key")
    missing = [key for key in ("client_email", "private_key") if not isinstance(info.get(key), str)]
    if missing:
        raise ConfigError(f"provider {provider}: service_account key lacks {', '.join(missing)}")
    return info


class ServiceAccountTokens:
    """Access tokens for one service account, cached per adapter (never in module state)."""

    def __init__(
        self,
        info: Mapping[str, Any],
        *,
        http: httpx.AsyncClient,
        provider: str,
        clock: Clock,
        token_url: str | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        try:
            self._signer = crypt.RSASigner.from_service_account_info(info)  # type: ignore[no-untyped-call]
        except (ValueError, TypeError):
            raise ConfigError(
                f"provider {provider}: service_account private_key is not a valid RSA key"
            ) from None
        self._email = str(info["client_email"])
        key_token_uri = info.get("token_uri")
        self._token_url = token_url or (
            key_token_uri if isinstance(key_token_uri, str) else DEFAULT_TOKEN_URL
        )
        self._http = http
        self._provider = provider
        self._clock = clock
        self._timeout = timeout or httpx.Timeout(30.0, connect=10.0)
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        """A valid access token, fetched when there is none or it is about to expire."""
        token = self._current()
        if token is not None:
            return token
        async with self._lock:
            token = self._current()
            if token is None:
                token = await self._fetch()
            return token

    def invalidate(self) -> None:
        """Forgets the cached token (the provider refused it)."""
        self._token = None

    def _current(self) -> str | None:
        if self._token is not None and self._clock.monotonic() < self._refresh_at:
            return self._token
        return None

    def _assertion(self) -> str:
        """A signed JWT asking for a cloud-platform token for this service account."""
        now = int(self._clock.now())
        claims = {
            "iss": self._email,
            "scope": CLOUD_PLATFORM_SCOPE,
            "aud": self._token_url,
            "iat": now,
            "exp": now + _ASSERTION_LIFETIME_S,
        }
        signed: bytes = jwt.encode(self._signer, claims)  # type: ignore[no-untyped-call]
        return signed.decode("ascii")

    async def _fetch(self) -> str:
        started = self._clock.monotonic()
        form = {"grant_type": JWT_BEARER_GRANT, "assertion": self._assertion()}
        try:
            response = await self._http.post(
                self._token_url, data=form, headers={"accept": "application/json"}, timeout=self._timeout
            )
        except httpx.TimeoutException:
            raise UpstreamTimeoutError(
                f"Provider {self._provider}: the OAuth token endpoint did not answer in time."
            ) from None
        except httpx.HTTPError:
            raise UpstreamError(
                f"Provider {self._provider}: the OAuth token endpoint could not be reached.",
                code="upstream_unreachable",
            ) from None
        if response.status_code != 200:
            raise self._refused(response)
        try:
            answer = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            answer = None
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise UpstreamError(
                f"Provider {self._provider}: the OAuth token endpoint sent no access token.",
                code="upstream_auth_failed",
            )
        expires_in = answer.get("expires_in") if isinstance(answer, dict) else None
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else float(_ASSERTION_LIFETIME_S)
        margin = min(_REFRESH_MARGIN_S, lifetime / 2)
        self._token, self._refresh_at = token, started + lifetime - margin
        return token

    def _refused(self, response: httpx.Response) -> GatewayError:
        try:
            answer = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            answer = None
        reason = ""
        if isinstance(answer, dict):
            parts = [answer.get("error"), answer.get("error_description")]
            reason = ": " + scrub(" - ".join(str(p) for p in parts if isinstance(p, str)))
        return UpstreamError(
            f"Provider {self._provider}: the OAuth token endpoint refused the service account "
            f"(HTTP {response.status_code}){reason if reason != ': ' else ''}.",
            code="upstream_auth_failed",
        )
