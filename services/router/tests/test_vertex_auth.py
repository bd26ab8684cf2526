"""The Vertex adapter's authentication: OAuth tokens for a service account, cached, shared and renewed.

The bearer token comes from a JWT the adapter signs with the service account's
key; a provider that cannot authenticate stops the router at start.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from aigw_router.adapters import AdapterServices, ChatCall
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.vertex import VertexAdapter
from aigw_router.adapters.vertex_auth import CLOUD_PLATFORM_SCOPE
from aigw_runtime.config import ConfigError, ProviderConfig
from aigw_runtime.errors import GatewayError
from vertex_samples import EMAIL, KEY_TOKEN_URI, MovableClock, TokenEndpoint, vertex_adapter


async def _chat(
    adapter: VertexAdapter, model: str = "gemini-2.0-flash", stream: bool = False
) -> httpx.Headers:
    body = orjson.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    request = await adapter.build_chat(ChatCall(body=body, upstream_model=model, stream=stream))
    return httpx.Headers(request.headers)


async def test_the_bearer_token_comes_from_a_signed_jwt_for_the_service_account(
    key_file: Path, endpoint: TokenEndpoint
) -> None:
    clock = MovableClock()
    headers = await _chat(vertex_adapter(key_file, endpoint, clock))

    assert headers["authorization"] == "Bearer ya29.token-1"
    claims = endpoint.claims[0]
    assert claims["iss"] == EMAIL and claims["aud"] == KEY_TOKEN_URI
    assert claims["scope"] == CLOUD_PLATFORM_SCOPE
    assert claims["exp"] - claims["iat"] == 3600 and claims["iat"] == int(clock.wall)


async def test_a_configured_token_url_replaces_the_keys_token_uri(
    key_file: Path, endpoint: TokenEndpoint
) -> None:
    await _chat(vertex_adapter(key_file, endpoint, token_url="http://127.0.0.1:9/token"))
    assert endpoint.claims[0]["aud"] == "http://127.0.0.1:9/token"


async def test_the_token_is_cached_until_shortly_before_it_expires(
    key_file: Path, endpoint: TokenEndpoint
) -> None:
    clock = MovableClock()
    adapter = vertex_adapter(key_file, endpoint, clock)

    first = await _chat(adapter)
    clock.elapsed = 3000.0
    second = await _chat(adapter)
    clock.elapsed = 3400.0
    third = await _chat(adapter)

    assert [h["authorization"] for h in (first, second, third)] == [
        "Bearer ya29.token-1",
        "Bearer ya29.token-1",
        "Bearer ya29.token-2",
    ]


async def test_concurrent_requests_share_one_token_fetch(key_file: Path, endpoint: TokenEndpoint) -> None:
    adapter = vertex_adapter(key_file, endpoint)

    headers = await asyncio.gather(*(_chat(adapter) for _ in range(5)))

    assert {h["authorization"] for h in headers} == {"Bearer ya29.token-1"}
    assert len(endpoint.claims) == 1


async def test_a_401_from_vertex_forgets_the_token_so_the_next_request_gets_a_new_one(
    key_file: Path, endpoint: TokenEndpoint
) -> None:
    adapter = vertex_adapter(key_file, endpoint)
    await _chat(adapter)
    refused = {
        "error": {
            "code": 401,
            "message": "Request had invalid authentication credentials.",
            "status": "UNAUTHENTICATED",
        }
    }

    error = adapter.map_error(401, {}, orjson.dumps(refused))
    headers = await _chat(adapter)

    assert error.status == 502 and error.code == "upstream_auth_failed"
    assert headers["authorization"] == "Bearer ya29.token-2"


async def test_other_errors_keep_the_token(key_file: Path, endpoint: TokenEndpoint) -> None:
    adapter = vertex_adapter(key_file, endpoint)
    await _chat(adapter)

    error = adapter.map_error(
        429, {}, b'{"error": {"code": 429, "message": "Resource exhausted.", "status": "RESOURCE_EXHAUSTED"}}'
    )
    headers = await _chat(adapter)

    assert error.status == 429 and headers["authorization"] == "Bearer ya29.token-1"


async def test_a_refused_service_account_is_a_502_that_reveals_no_secret(
    key_file: Path, endpoint: TokenEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint.status = 400

    with pytest.raises(GatewayError) as caught:
        await _chat(vertex_adapter(key_file, endpoint))

    assert caught.value.status == 502 and caught.value.code == "upstream_auth_failed"
    assert "invalid_grant" not in caught.value.message and "PRIVATE KEY" not in caught.value.message
    assert "invalid_grant - Invalid JWT Signature." in caplog.text and "PRIVATE KEY" not in caplog.text


async def test_an_unreachable_token_endpoint_is_a_retryable_502(key_file: Path) -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(unreachable))
    provider = ProviderConfig(
        name="v", type="vertex", project="p", region="us-central1", service_account=f"file:{key_file}"
    )
    adapter = VertexAdapter(provider, AdapterServices(http=client, images=ImageFetcher(client)))

    with pytest.raises(GatewayError) as caught:
        await _chat(adapter)
    assert caught.value.status == 502 and caught.value.retryable


@pytest.mark.parametrize(
    ("fields", "key", "problem"),
    [
        ({"project": None}, None, "needs project and region"),
        ({"service_account": None}, None, "needs service_account"),
        ({}, "not json", "not a JSON service-account key"),
        ({}, {"type": "authorized_user", "client_email": EMAIL, "private_key": "x"}, "not a JSON service-account key"),
        ({}, {"client_email": EMAIL}, "lacks private_key"),
        ({}, {"client_email": EMAIL, "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"},
         "not a valid RSA key"),
    ],
)  # fmt: skip
def test_a_vertex_provider_that_cannot_authenticate_stops_the_router_at_start(
    tmp_path: Path, endpoint: TokenEndpoint, fields: dict[str, Any], key: Any, problem: str
) -> None:
    path = tmp_path / "key.json"
    path.write_text(key if isinstance(key, str) else json.dumps(key or {}))

    with pytest.raises(ConfigError, match=problem) as caught:
        vertex_adapter(path, endpoint, **fields)
    assert "BEGIN PRIVATE KEY" not in str(caught.value)
