"""OAuth access tokens for Google Cloud (Vertex AI) from a service-account key.

The RFC 7523 JWT bearer grant, as Google's token endpoint takes it: the
key's RSA private key signs a JWT assertion (`iss` the service account, `aud`
the token endpoint, `scope` cloud-platform, one hour), which the token
endpoint (`token_uri` of the key, or the provider's `token_url`) exchanges
for an access token. The token is cached until shortly before it expires and
fetched by one request at a time; `invalidate` forgets it when the provider
refused it, so the next request gets a new one (`_oauth.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import orjson
from google.auth import crypt, jwt

from aigw_router.adapters._oauth import OAuthTokens, answer_json
from aigw_runtime.clock import Clock
from aigw_runtime.config import ConfigError

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
_ASSERTION_LIFETIME_S = 3600


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


class ServiceAccountTokens(OAuthTokens):
    """Access tokens for one service account, cached per adapter (never in module state)."""

    endpoint_name = "the OAuth token endpoint"

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
        super().__init__(
            token_url=token_url or (key_token_uri if isinstance(key_token_uri, str) else DEFAULT_TOKEN_URL),
            http=http,
            provider=provider,
            clock=clock,
            timeout=timeout,
        )

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

    async def _fetch(self) -> tuple[str, float]:
        response = await self._post({"grant_type": JWT_BEARER_GRANT, "assertion": self._assertion()})
        answer = answer_json(response.content)
        if response.status_code != 200:
            parts = [answer.get("error"), answer.get("error_description")]
            raise self._refused(response.status_code, " - ".join(p for p in parts if isinstance(p, str)))
        token = self._access_token(answer)
        expires_in = answer.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else float(_ASSERTION_LIFETIME_S)
        return token, lifetime
