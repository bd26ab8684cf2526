"""Microsoft Entra ID access tokens for Azure OpenAI, by the OAuth 2.0 client-credentials grant.

`POST {token_url}` (by default `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`)
with a form body: `grant_type=client_credentials`, `client_id`, `client_secret`
and `scope=https://cognitiveservices.azure.com/.default`. The answer's
`access_token` goes to Azure OpenAI as `Authorization: Bearer`. The token is
cached until shortly before it expires and fetched by one request at a time;
`invalidate` forgets it when Azure refused it, so the next request gets a new
one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from aigw_router.adapters._errors import scrub
from aigw_runtime.clock import Clock
from aigw_runtime.errors import GatewayError, UpstreamError, UpstreamTimeoutError

COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default"
ENTRA_AUTHORITY = "https://login.microsoftonline.com"
# Entra ID issues tokens for 60 to 90 minutes; this is assumed when the answer does not say.
_DEFAULT_LIFETIME_S = 3600.0
# Refresh this long before expiry, so a token never expires on its way to Azure.
_REFRESH_MARGIN_S = 300.0


def default_token_url(tenant_id: str) -> str:
    """The public cloud's token endpoint for a tenant (a GUID or a domain)."""
    return f"{ENTRA_AUTHORITY}/{quote(tenant_id, safe='')}/oauth2/v2.0/token"


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    """An app registration's id and secret in one tenant (the secret never in a repr)."""

    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)


class EntraTokens:
    """Access tokens for one app registration, cached per adapter (never in module state)."""

    def __init__(
        self,
        credentials: ClientCredentials,
        *,
        http: httpx.AsyncClient,
        provider: str,
        clock: Clock,
        token_url: str | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        self._credentials = credentials
        self._token_url = token_url or default_token_url(credentials.tenant_id)
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
                token = await self._fetch()
            return token

    def invalidate(self) -> None:
        """Forgets the cached token (Azure refused it)."""
        self._token = None

    def _current(self) -> str | None:
        if self._token is not None and self._clock.monotonic() < self._refresh_at:
            return self._token
        return None

    def form(self) -> dict[str, str]:
        """The token request's form fields."""
        return {
            "grant_type": "client_credentials",
            "client_id": self._credentials.client_id,
            "client_secret": self._credentials.client_secret,
            "scope": COGNITIVE_SERVICES_SCOPE,
        }

    async def _fetch(self) -> str:
        started = self._clock.monotonic()
        try:
            response = await self._http.post(
                self._token_url,
                data=self.form(),
                headers={"accept": "application/json"},
                timeout=self._timeout,
            )
        except httpx.TimeoutException:
            raise UpstreamTimeoutError(
                f"Provider {self._provider}: the Entra ID token endpoint did not answer in time."
            ) from None
        except httpx.HTTPError:
            raise UpstreamError(
                f"Provider {self._provider}: the Entra ID token endpoint could not be reached.",
                code="upstream_unreachable",
            ) from None
        answer = _json_object(response.content)
        if response.status_code != 200:
            raise self._refused(response.status_code, answer)
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise UpstreamError(
                f"Provider {self._provider}: the Entra ID token endpoint sent no access token.",
                code="upstream_auth_failed",
            )
        expires_in = answer.get("expires_in")
        # Entra ID has sent expires_in as a string in some versions of the endpoint.
        try:
            lifetime = float(expires_in) if expires_in is not None else _DEFAULT_LIFETIME_S
        except (TypeError, ValueError):
            lifetime = _DEFAULT_LIFETIME_S
        margin = min(_REFRESH_MARGIN_S, lifetime / 2)
        self._token, self._refresh_at = token, started + lifetime - margin
        return token

    def _refused(self, status: int, answer: dict[str, Any]) -> GatewayError:
        """The gateway's error for a refusal: Entra's error code and the first line of its description."""
        parts = []
        if isinstance(answer.get("error"), str):
            parts.append(answer["error"])
        description = answer.get("error_description")
        if isinstance(description, str) and description.strip():
            # Later lines hold trace and correlation ids, of no use to a client.
            parts.append(description.strip().splitlines()[0])
        reason = f": {scrub(' - '.join(parts))}" if parts else ""
        return UpstreamError(
            f"Provider {self._provider}: Entra ID refused the client credentials (HTTP {status}){reason}.",
            code="upstream_auth_failed",
        )


def _json_object(content: bytes) -> dict[str, Any]:
    try:
        answer = orjson.loads(content)
    except orjson.JSONDecodeError:
        return {}
    return answer if isinstance(answer, dict) else {}
