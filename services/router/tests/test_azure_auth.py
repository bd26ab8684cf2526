"""The Azure OpenAI adapter, Entra ID: tokens fetched once, renewed before expiry, forgotten on a 401."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

import httpx
import pytest

from aigw_runtime.errors import GatewayError
from azure_samples import SECRET, azure_adapter, chat_body, chat_call, entra_fields, sent_chat

TOKEN_URL = "https://login.example.test/tenant-1/oauth2/v2.0/token"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.t


class TokenEndpoint:
    """A token endpoint that counts its calls and answers in turn with the given responses."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.forms: list[dict[str, list[str]]] = []
        self.urls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        self.forms.append(parse_qs(request.content.decode()))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def _token(value: str, expires_in: int = 3599) -> httpx.Response:
    return httpx.Response(200, json={"token_type": "Bearer", "expires_in": expires_in, "access_token": value})


def test_a_token_comes_from_the_client_credentials_grant_and_is_reused() -> None:
    endpoint = TokenEndpoint(_token("tok-1"))
    adapter = azure_adapter(endpoint, **entra_fields(token_url=TOKEN_URL))

    _, first, _ = sent_chat(adapter, chat_call(chat_body()))
    _, second, _ = sent_chat(adapter, chat_call(chat_body()))

    assert first["authorization"] == second["authorization"] == "Bearer tok-1"
    assert "api-key" not in first
    assert endpoint.urls == [TOKEN_URL]
    assert endpoint.forms[0] == {
        "grant_type": ["client_credentials"],
        "client_id": ["app-1"],
        "client_secret": [SECRET],
        "scope": ["https://cognitiveservices.azure.com/.default"],
    }


def test_the_default_token_endpoint_is_the_tenants_on_login_microsoftonline_com() -> None:
    endpoint = TokenEndpoint(_token("tok-1"))
    adapter = azure_adapter(endpoint, **entra_fields(tenant_id="contoso.onmicrosoft.com"))

    sent_chat(adapter, chat_call(chat_body()))

    assert endpoint.urls == ["https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"]


def test_concurrent_requests_fetch_one_token() -> None:
    endpoint = TokenEndpoint(_token("tok-1"))
    adapter = azure_adapter(endpoint, **entra_fields(token_url=TOKEN_URL))

    async def many() -> list[str]:
        built = await asyncio.gather(*(adapter.build_chat(chat_call(chat_body())) for _ in range(5)))
        return [request.headers["authorization"] for request in built]

    assert asyncio.run(many()) == ["Bearer tok-1"] * 5
    assert len(endpoint.urls) == 1


def test_a_token_is_renewed_shortly_before_it_expires() -> None:
    clock = Clock()
    endpoint = TokenEndpoint(_token("tok-1", 3600), _token("tok-2", 3600))
    adapter = azure_adapter(endpoint, clock, **entra_fields(token_url=TOKEN_URL))

    sent_chat(adapter, chat_call(chat_body()))
    clock.t += 3600 - 301
    _, still, _ = sent_chat(adapter, chat_call(chat_body()))
    clock.t += 2
    _, renewed, _ = sent_chat(adapter, chat_call(chat_body()))

    assert (still["authorization"], renewed["authorization"]) == ("Bearer tok-1", "Bearer tok-2")


def test_a_401_from_azure_forgets_the_token() -> None:
    endpoint = TokenEndpoint(_token("tok-1"), _token("tok-2"))
    adapter = azure_adapter(endpoint, **entra_fields(token_url=TOKEN_URL))
    sent_chat(adapter, chat_call(chat_body()))

    error = adapter.map_error(
        401, {}, b'{"statusCode": 401, "message": "Unauthorized. Access token is invalid"}'
    )
    _, headers, _ = sent_chat(adapter, chat_call(chat_body()))

    assert error.status == 502 and error.code == "upstream_auth_failed"
    assert headers["authorization"] == "Bearer tok-2"


def test_a_refused_secret_is_a_502_and_entras_reason_goes_to_the_log_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    refusal = httpx.Response(
        401,
        json={
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1\r\nTimestamp: x",
            "error_codes": [7000215],
        },
    )
    adapter = azure_adapter(TokenEndpoint(refusal), **entra_fields(token_url=TOKEN_URL))

    with pytest.raises(GatewayError) as caught:
        sent_chat(adapter, chat_call(chat_body()))

    assert caught.value.status == 502 and caught.value.code == "upstream_auth_failed"
    assert "AADSTS" not in caught.value.message and SECRET not in caught.value.message
    assert "invalid_client - AADSTS7000215: Invalid client secret provided." in caplog.text
    assert "Trace ID" not in caplog.text and SECRET not in caplog.text
