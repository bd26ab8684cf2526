"""What the Vertex adapter's tests share: Google's token endpoint as a mock, a movable clock, an adapter.

The fixtures that make the key and the endpoint live in this folder's
conftest.py; `vertex_adapter` builds an adapter over them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from google.auth import jwt

from aigw_router.adapters import AdapterServices
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.vertex import VertexAdapter
from aigw_router.adapters.vertex_auth import JWT_BEARER_GRANT
from aigw_runtime.config import ProviderConfig

EMAIL = "gateway@aigw-test.iam.gserviceaccount.com"
KEY_TOKEN_URI = "https://oauth2.example.test/token"


class MovableClock:
    """Wall time starts now (the token endpoint checks iat/exp against the real clock); time moves on demand."""

    def __init__(self) -> None:
        self.wall = float(int(time.time()))
        self.elapsed = 0.0

    def now(self) -> float:
        return self.wall + self.elapsed

    def monotonic(self) -> float:
        return self.elapsed


class TokenEndpoint:
    """Google's token endpoint as a mock transport: verifies each assertion, hands out numbered tokens."""

    def __init__(self, public_pem: bytes, *, expires_in: int = 3599, status: int = 200) -> None:
        self.public_pem = public_pem
        self.expires_in = expires_in
        self.status = status
        self.claims: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        assert form["grant_type"] == JWT_BEARER_GRANT
        # Tests move the adapter's clock ahead of the real one, hence the generous skew.
        claims = jwt.decode(  # type: ignore[no-untyped-call]
            form["assertion"], certs=self.public_pem, audience=str(request.url), clock_skew_in_seconds=86_400
        )
        self.claims.append(claims)
        if self.status != 200:
            return httpx.Response(
                self.status, json={"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            )
        token = f"ya29.token-{len(self.claims)}"
        return httpx.Response(
            200, json={"access_token": token, "expires_in": self.expires_in, "token_type": "Bearer"}
        )


def vertex_adapter(
    key_file: Path,
    endpoint: TokenEndpoint,
    clock: MovableClock | None = None,
    **fields: Any,
) -> VertexAdapter:
    """A Vertex adapter of project aigw-test in europe-west4 with the service account at `key_file`.

    `endpoint` answers every HTTP call the adapter makes; `fields` override the provider's settings.
    """
    settings: dict[str, Any] = {
        "name": "vertex-main",
        "type": "vertex",
        "project": "aigw-test",
        "region": "europe-west4",
        "service_account": f"file:{key_file}",
        **fields,
    }
    client = httpx.AsyncClient(transport=httpx.MockTransport(endpoint))
    services = AdapterServices(http=client, images=ImageFetcher(client))
    return VertexAdapter(ProviderConfig(**settings), services, clock=clock or MovableClock())
