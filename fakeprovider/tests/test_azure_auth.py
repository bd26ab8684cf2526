"""The fake's Azure OpenAI credentials: API keys, and Entra ID tokens from its token endpoint."""

from __future__ import annotations

import httpx
import pytest

from fake_azure import body, chat_path, token


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Access denied due to missing subscription key."),
        ({"api-key": "wrong"}, "Access denied due to invalid subscription key or wrong API endpoint."),
        ({"authorization": "Bearer not-a-token"}, "Unauthorized. Access token is missing, invalid"),
        # On deployment paths the key is no bearer token.
        ({"authorization": "Bearer <key>"}, "Unauthorized. Access token is missing, invalid"),
    ],
)
async def test_credentials_are_checked_as_azure_does(
    http: httpx.AsyncClient, headers: dict[str, str], message: str, api_key: str
) -> None:
    sent = {name: value.replace("<key>", api_key) for name, value in headers.items()}

    response = await http.post(chat_path(), headers=sent, json=body())

    assert response.status_code == 401
    payload = response.json()
    if "authorization" in headers:
        # The gateway in front of Azure OpenAI refuses tokens in a shape of its own.
        assert payload["statusCode"] == 401 and payload["message"].startswith(message)
    else:
        assert payload["error"]["code"] == "401" and payload["error"]["message"].startswith(message)


async def test_the_v1_api_takes_the_key_as_a_bearer_too(http: httpx.AsyncClient, api_key: str) -> None:
    response = await http.post(
        "/openai/v1/chat/completions", headers={"authorization": f"Bearer {api_key}"}, json=body(model="d")
    )

    assert response.status_code == 200


async def test_an_entra_token_opens_both_surfaces(http: httpx.AsyncClient, api_key: str) -> None:
    issued = await token(http, api_key)
    bearer = {"authorization": f"Bearer {issued.json()['access_token']}"}

    deployment = await http.post(chat_path(), headers=bearer, json=body())
    v1 = await http.post("/openai/v1/embeddings", headers=bearer, json={"model": "emb", "input": "x"})

    assert issued.status_code == 200
    assert issued.json()["token_type"] == "Bearer" and issued.json()["expires_in"] == 3599
    assert deployment.status_code == 200 and v1.status_code == 200


async def test_a_token_for_another_resource_is_refused(http: httpx.AsyncClient, api_key: str) -> None:
    issued = await token(http, api_key, scope="https://management.azure.com/.default")

    response = await http.post(
        chat_path(), headers={"authorization": f"Bearer {issued.json()['access_token']}"}, json=body()
    )

    assert issued.status_code == 200
    assert response.status_code == 401 and response.json()["statusCode"] == 401


async def test_a_revoked_token_is_refused(http: httpx.AsyncClient, api_key: str) -> None:
    bearer = {"authorization": f"Bearer {(await token(http, api_key)).json()['access_token']}"}

    revoked = await http.delete("/_fake/azure/tokens")
    response = await http.post(chat_path(), headers=bearer, json=body())

    assert revoked.status_code == 200 and revoked.json()["revoked"] >= 1
    assert response.status_code == 401 and response.json()["statusCode"] == 401


@pytest.mark.parametrize(
    ("changes", "status", "error", "aadsts"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client", 7000215),
        ({"client_secret": ""}, 401, "invalid_client", 7000216),
        ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
        ({"scope": "https://cognitiveservices.azure.com"}, 400, "invalid_scope", 1002012),
        ({"client_id": ""}, 400, "invalid_request", 900144),
    ],
)
async def test_the_token_endpoint_refuses_like_entra_id(
    http: httpx.AsyncClient, changes: dict[str, str], status: int, error: str, aadsts: int, api_key: str
) -> None:
    response = await token(http, api_key, **changes)

    assert response.status_code == status
    payload = response.json()
    assert payload["error"] == error and payload["error_codes"] == [aadsts]
    assert payload["error_description"].startswith(f"AADSTS{aadsts}: ")
    assert api_key not in response.text


async def test_the_token_endpoint_takes_a_form_only(http: httpx.AsyncClient) -> None:
    response = await http.post("/tenant-1/oauth2/v2.0/token", json={"grant_type": "client_credentials"})

    assert response.status_code == 400 and response.json()["error_codes"] == [900144]
