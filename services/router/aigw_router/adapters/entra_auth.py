"""Microsoft Entra ID access tokens for Azure OpenAI, by the OAuth 2.0 client-credentials grant.

`POST {token_url}` (by default `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`)
with a form body: `grant_type=client_credentials`, `client_id`, `client_secret`
and `scope=https://cognitiveservices.azure.com/.default`. The answer's
`access_token` goes to Azure OpenAI as `Authorization: Bearer`. The token is
cached until shortly before it expires and fetched by one request at a time;
`invalidate` forgets it when Azure refused it, so the next request gets a new
one (`_oauth.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from aigw_router.adapters._oauth import OAuthTokens, answer_json
from aigw_runtime.clock import Clock

COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default"
ENTRA_AUTHORITY = "https://login.microsoftonline.com"
# Entra ID issues tokens for 60 to 90 minutes; this is assumed when the answer does not say.
_DEFAULT_LIFETIME_S = 3600.0


def default_token_url(tenant_id: str) -> str:
    """The public cloud's token endpoint for a tenant (a GUID or a domain)."""
    return f"{ENTRA_AUTHORITY}/{quote(tenant_id, safe='')}/oauth2/v2.0/token"


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    """An app registration's id and secret in one tenant (the secret never in a repr)."""

    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)


class EntraTokens(OAuthTokens):
    """Access tokens for one app registration, cached per adapter (never in module state)."""

    endpoint_name = "the Entra ID token endpoint"

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
        super().__init__(
            token_url=token_url or default_token_url(credentials.tenant_id),
            http=http,
            provider=provider,
            clock=clock,
            timeout=timeout,
        )
        self._credentials = credentials

    def form(self) -> dict[str, str]:
        """The token request's form fields."""
        return {
            "grant_type": "client_credentials",
            "client_id": self._credentials.client_id,
            "client_secret": self._credentials.client_secret,
            "scope": COGNITIVE_SERVICES_SCOPE,
        }

    async def _fetch(self) -> tuple[str, float]:
        response = await self._post(self.form())
        answer = answer_json(response.content)
        if response.status_code != 200:
            raise self._refused(response.status_code, self._reason(answer))
        token = self._access_token(answer)
        expires_in = answer.get("expires_in")
        # Entra ID has sent expires_in as a string in some versions of the endpoint.
        try:
            lifetime = float(expires_in) if expires_in is not None else _DEFAULT_LIFETIME_S
        except (TypeError, ValueError):
            lifetime = _DEFAULT_LIFETIME_S
        return token, lifetime

    def _reason(self, answer: dict[str, Any]) -> str:
        """Entra's error code and the first line of its description (later lines are trace ids)."""
        parts = []
        if isinstance(answer.get("error"), str):
            parts.append(answer["error"])
        description = answer.get("error_description")
        if isinstance(description, str) and description.strip():
            parts.append(description.strip().splitlines()[0])
        return " - ".join(parts)
