"""Authenticating to Bedrock: a SigV4 signature over the final request, or a Bedrock API key.

Bedrock's runtime accepts either (`aws.auth#sigv4` and `smithy.api#httpBearerAuth`
in its service model). With `api_key` set the key goes out as a bearer token
and nothing is signed. Otherwise every request is signed with botocore's own
signer (service `bedrock`, the provider's region) over its final URL, headers
and body, using the configured `aws_*` secrets or, when none are configured,
what the AWS SDKs would use: the Bedrock API key in `AWS_BEARER_TOKEN_BEDROCK`
if set, else the standard AWS credential chain (environment, profiles, SSO,
container and instance roles). Chain credentials that expire are re-read
before each request, so a rotated role keeps working without a restart.
"""

from __future__ import annotations

import asyncio
from typing import Any

from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials, RefreshableCredentials  # type: ignore[import-untyped]
from botocore.session import get_session  # type: ignore[import-untyped]
from botocore.utils import get_token_from_environment  # type: ignore[import-untyped]

from aigw_runtime.config import ConfigError, ProviderConfig
from aigw_runtime.secrets import resolve_secret

SIGNING_NAME = "bedrock"


def _chain_credentials(provider: str) -> Any:
    credentials = get_session().get_credentials()
    if credentials is None:
        raise ConfigError(
            f"provider {provider}: no AWS credentials found; set aws_access_key_id and "
            "aws_secret_access_key, api_key (a Bedrock API key), or configure the AWS credential chain "
            "(AWS_BEARER_TOKEN_BEDROCK, AWS_PROFILE, a role, ...)"
        )
    return credentials


class BedrockAuth:
    """Adds the authentication headers to one Bedrock request."""

    def __init__(self, provider: ProviderConfig) -> None:
        self._region = provider.region or ""
        self._api_key = resolve_secret(provider.api_key) if provider.api_key else None
        self._credentials: Any = None
        if self._api_key is not None:
            return
        if provider.aws_access_key_id and provider.aws_secret_access_key:
            token = resolve_secret(provider.aws_session_token) if provider.aws_session_token else None
            self._credentials = Credentials(
                resolve_secret(provider.aws_access_key_id),
                resolve_secret(provider.aws_secret_access_key),
                token,
            )
            return
        self._api_key = get_token_from_environment(SIGNING_NAME) or None
        if self._api_key is None:
            self._credentials = _chain_credentials(provider.name)

    async def sign(self, url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
        """`headers` plus the authentication ones, for a POST of `body` to `url`."""
        if self._api_key is not None:
            return {**headers, "authorization": f"Bearer {self._api_key}"}
        frozen = await self._frozen_credentials()
        request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
        SigV4Auth(frozen, SIGNING_NAME, self._region).add_auth(request)
        return {str(name).lower(): str(value) for name, value in request.headers.items()}

    async def _frozen_credentials(self) -> Any:
        credentials = self._credentials
        if isinstance(credentials, RefreshableCredentials) and credentials.refresh_needed():
            # A refresh may call STS or the instance metadata service: keep it off the event loop.
            return await asyncio.to_thread(credentials.get_frozen_credentials)
        return credentials.get_frozen_credentials()
