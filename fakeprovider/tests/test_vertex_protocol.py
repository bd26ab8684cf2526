"""The fake's Vertex AI: tokens bought with a signed assertion, checked like Google checks them, and the predict API."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from aigw_fakeprovider.cli import settings_from_args
from fake_credentials import API_KEY, EMAIL, pem
from fake_google import access_token, google_error, request_token, signed_assertion, token_url, user_turn

VERTEX = "/v1/projects/aigw-test/locations/us-central1/publishers/google/models"


async def test_a_signed_assertion_buys_a_token_that_vertex_accepts(
    http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey
) -> None:
    token = await access_token(http, account_key)
    body = {"contents": [user_turn("hello")], "labels": {"team": "gateway"}}

    response = await http.post(
        f"{VERTEX}/gemini-2.0-flash:generateContent", json=body, headers={"authorization": f"Bearer {token}"}
    )

    answer = response.json()
    assert response.status_code == 200, response.text
    assert answer["candidates"][0]["content"]["parts"][0]["text"] == "Echo: hello"
    assert answer["createTime"].endswith("Z") and answer["modelVersion"] == "gemini-2.0-flash"


async def test_vertex_streams_sse_with_a_token(
    http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey
) -> None:
    token = await access_token(http, account_key)
    response = await http.post(
        f"{VERTEX}/gemini-2.0-flash:streamGenerateContent?alt=sse",
        json={"contents": [user_turn("a b")]},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.text.count("data: ") == 3 and '"finishReason":"STOP"' in response.text


async def test_vertex_refuses_missing_unknown_and_revoked_tokens(
    http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey
) -> None:
    url, body = f"{VERTEX}/gemini-2.0-flash:generateContent", {"contents": [user_turn("a")]}
    token = await access_token(http, account_key)

    missing = await http.post(url, json=body, headers={"x-goog-api-key": API_KEY})
    unknown = await http.post(url, json=body, headers={"authorization": "Bearer ya29.made-up"})
    (await http.delete(f"/_fake/google/tokens/{token}")).raise_for_status()
    revoked = await http.post(url, json=body, headers={"authorization": f"Bearer {token}"})
    again = await http.delete(f"/_fake/google/tokens/{token}")
    other = await access_token(http, account_key)
    (await http.delete("/_fake/google/tokens")).raise_for_status()
    all_revoked = await http.post(url, json=body, headers={"authorization": f"Bearer {other}"})

    assert "missing required authentication credential" in google_error(missing, 401, "UNAUTHENTICATED")
    assert "invalid authentication credentials" in google_error(unknown, 401, "UNAUTHENTICATED")
    assert "invalid authentication credentials" in google_error(revoked, 401, "UNAUTHENTICATED")
    assert again.status_code == 404 and again.json()["error"] == "invalid_token"
    assert "invalid authentication credentials" in google_error(all_revoked, 401, "UNAUTHENTICATED")


async def test_vertex_refuses_another_project_and_a_token_without_the_cloud_scope(
    http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey
) -> None:
    token = await access_token(http, account_key)
    narrow = (
        await request_token(http, signed_assertion(account_key, token_url(http), scope="openid email"))
    ).json()["access_token"]
    body = {"contents": [user_turn("a")]}

    other = await http.post(
        "/v1/projects/someone-else/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent",
        json=body,
        headers={"authorization": f"Bearer {token}"},
    )
    scoped = await http.post(
        f"{VERTEX}/gemini-2.0-flash:generateContent", json=body, headers={"authorization": f"Bearer {narrow}"}
    )

    assert "Permission 'aiplatform.endpoints.predict' denied" in google_error(other, 403, "PERMISSION_DENIED")
    assert "insufficient authentication scopes" in google_error(scoped, 403, "PERMISSION_DENIED")


@pytest.mark.parametrize(
    ("change", "error", "description"),
    [
        (
            {"iss": "someone@else.iam.gserviceaccount.com"},
            "invalid_grant",
            "Invalid grant: account not found",
        ),
        ({"aud": "https://oauth2.googleapis.com/token"}, "invalid_grant", "Failed audience check"),
        (
            {"exp": int(time.time()) - 10, "iat": int(time.time()) - 3610},
            "invalid_grant",
            "short-lived token",
        ),
        ({"exp": int(time.time()) + 7200}, "invalid_grant", "short-lived token"),
        ({"scope": None}, "invalid_scope", "Invalid OAuth scope"),
        ({"kid": "another-key"}, "invalid_grant", "Invalid JWT Signature."),
    ],
)
async def test_the_token_endpoint_checks_the_assertion_like_google(
    http: httpx.AsyncClient,
    account_key: rsa.RSAPrivateKey,
    change: dict[str, Any],
    error: str,
    description: str,
) -> None:
    assertion = signed_assertion(account_key, token_url(http), **change)

    response = await request_token(http, assertion)

    assert response.status_code == 400 and response.json()["error"] == error
    assert description in response.json()["error_description"]


async def test_the_token_endpoint_refuses_a_foreign_signature_and_other_grants(
    http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    forged = await request_token(http, signed_assertion(stranger, token_url(http)))
    other_grant = await request_token(
        http, signed_assertion(account_key, token_url(http)), grant="client_credentials"
    )

    assert forged.json() == {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
    assert other_grant.json()["error"] == "unsupported_grant_type"


async def test_vertex_embeds_with_predict_and_counts_tokens(
    http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey
) -> None:
    headers = {"authorization": f"Bearer {await access_token(http, account_key)}"}
    body = {
        "instances": [{"content": "one two"}, {"content": "three"}],
        "parameters": {"outputDimensionality": 4},
    }

    answer = (await http.post(f"{VERTEX}/text-embedding-005:predict", json=body, headers=headers)).json()
    one_only = await http.post(f"{VERTEX}/gemini-embedding-001:predict", json=body, headers=headers)
    not_embedding = await http.post(f"{VERTEX}/gemini-2.0-flash:predict", json=body, headers=headers)

    assert [p["embeddings"]["statistics"]["token_count"] for p in answer["predictions"]] == [2, 1]
    assert all(len(p["embeddings"]["values"]) == 4 for p in answer["predictions"])
    assert "at most 1 instance" in google_error(one_only, 400, "INVALID_ARGUMENT")
    assert "cannot be accessed through Vertex Predict" in google_error(
        not_embedding, 400, "FAILED_PRECONDITION"
    )


async def test_vertex_rate_limits_without_a_retry_delay(
    http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey
) -> None:
    headers = {"authorization": f"Bearer {await access_token(http, account_key)}"}
    (await http.put("/_fake/knobs", json={"fault": "429"})).raise_for_status()

    response = await http.post(
        f"{VERTEX}/gemini-2.0-flash:generateContent", json={"contents": [user_turn("a")]}, headers=headers
    )

    assert "Resource exhausted" in google_error(response, 429, "RESOURCE_EXHAUSTED")
    assert "details" not in response.json()["error"]


# --- the command line ---------------------------------------------------------------------------------------------------------


def test_the_service_account_flag_is_checked_when_the_fake_starts(
    tmp_path_factory: pytest.TempPathFactory,
    account_key: rsa.RSAPrivateKey,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path_factory.mktemp("flags")
    good, bad = folder / "sa.json", folder / "broken.json"
    good.write_text(json.dumps({"client_email": EMAIL, "private_key": pem(account_key)}))
    bad.write_text(json.dumps({"client_email": EMAIL, "private_key": "not a key"}))

    settings = settings_from_args(["--google-service-account", str(good)])
    with pytest.raises(SystemExit) as refused:
        settings_from_args(["--google-service-account", str(bad)])

    assert settings.google_service_account == str(good)
    assert refused.value.code == 2
    assert "private_key is not a PEM private key" in capsys.readouterr().err
