"""The fake's Bedrock authentication: SigV4 signatures checked as AWS checks them, and Bedrock API keys."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest

from aigw_fakeprovider import ServerSettings, running_fake_provider
from fake_bedrock import (
    MODEL,
    PROFILE_ARN,
    MovableClock,
    aws_error,
    converse,
    model_path,
    post,
    signed_headers,
)
from fake_credentials import API_KEY, KEY_ID, SECRET


async def test_a_sigv4_signed_converse_is_answered(http: httpx.AsyncClient) -> None:
    response = await post(http, converse(system=[{"text": "Be brief."}]))

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["output"]["message"] == {
        "role": "assistant",
        "content": [{"text": "Echo: what is the weather"}],
    }
    assert answer["stopReason"] == "end_turn"
    assert answer["usage"] == {"inputTokens": 6, "outputTokens": 5, "totalTokens": 11}
    assert set(answer) == {"output", "stopReason", "usage", "metrics"}


async def test_an_arn_model_id_is_one_encoded_segment_and_signed_as_sent(http: httpx.AsyncClient) -> None:
    response = await post(http, converse(), path=model_path(PROFILE_ARN))

    assert response.status_code == 200, response.text
    recorded = (await http.get("/_fake/requests")).json()
    assert recorded[-1]["path"] == f"/model/{PROFILE_ARN}/converse"


async def test_a_bare_slash_in_the_model_id_is_another_path(http: httpx.AsyncClient) -> None:
    response = await post(http, converse(), path=f"/model/{PROFILE_ARN}/converse")

    aws_error(response, 404, "UnknownOperationException")


async def test_a_path_sent_otherwise_than_it_was_signed_is_refused(http: httpx.AsyncClient) -> None:
    content = orjson.dumps(converse())
    base = f"{http.base_url}".rstrip("/")
    signed_for = f"{base}/model/{quote(MODEL, safe='')}/converse"  # signs %3A, ...
    headers = signed_headers(signed_for, content)

    response = await http.post(
        f"{base}/model/{MODEL}/converse", content=content, headers=headers
    )  # ... sends ':'

    assert "InvalidSignatureException" in response.headers["x-amzn-errortype"]
    accepted = await http.post(signed_for, content=content, headers=headers)
    assert accepted.status_code == 200


@pytest.mark.parametrize(
    ("signing", "kind", "fragment"),
    [
        ({"secret": "not-the-secret"}, "InvalidSignatureException", "signature we calculated does not match"),
        ({"region": "us-east-1"}, "InvalidSignatureException", "Should be 'eu-central-1'"),
        ({"key_id": "AKIDSOMEBODYELSE0001"}, "UnrecognizedClientException", "security token included"),
        ({"token": "a-session-token"}, "UnrecognizedClientException", "security token included"),
    ],
)
async def test_a_wrong_signature_is_refused(
    http: httpx.AsyncClient, signing: dict[str, Any], kind: str, fragment: str
) -> None:
    response = await post(http, converse(), **signing)

    assert fragment in aws_error(response, 403, kind)


@pytest.mark.parametrize(
    ("offset", "fragment"), [(600, "Signature expired"), (-600, "Signature not yet current")]
)
async def test_a_signature_more_than_five_minutes_away_is_refused(
    http: httpx.AsyncClient, clock: MovableClock, offset: float, fragment: str
) -> None:
    clock.offset = offset

    response = await post(http, converse())

    assert fragment in aws_error(response, 403, "InvalidSignatureException")


async def test_a_body_changed_after_signing_is_refused(http: httpx.AsyncClient) -> None:
    url = f"{http.base_url}".rstrip("/") + model_path()
    headers = signed_headers(url, orjson.dumps(converse()))

    response = await http.post(url, content=orjson.dumps(converse(system=[{"text": "x"}])), headers=headers)

    aws_error(response, 403, "InvalidSignatureException")


@pytest.mark.parametrize(
    ("headers", "status", "kind"),
    [
        ({}, 403, "MissingAuthenticationTokenException"),
        ({"authorization": "AWS4-HMAC-SHA256 Credential=x"}, 403, "IncompleteSignatureException"),
        ({"authorization": f"Bearer {API_KEY}x"}, 403, "AccessDeniedException"),
        ({"authorization": "Bearer"}, 403, "AccessDeniedException"),
    ],
)
async def test_requests_without_valid_credentials_are_refused(
    http: httpx.AsyncClient, headers: dict[str, str], status: int, kind: str
) -> None:
    response = await post(http, converse(), headers={"content-type": "application/json", **headers})

    aws_error(response, status, kind)


async def test_a_bedrock_api_key_is_accepted_as_a_bearer_token(http: httpx.AsyncClient) -> None:
    headers = {"content-type": "application/json", "authorization": f"Bearer {API_KEY}"}

    response = await post(http, converse(), headers=headers)

    assert response.status_code == 200, response.text


async def test_session_credentials_must_carry_their_token() -> None:
    settings = ServerSettings(
        port=0,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        aws_session_token="tok",
        aws_region=None,
    )
    async with running_fake_provider(settings) as fake, httpx.AsyncClient(base_url=fake.url) as client:
        without = await post(client, converse())
        with_token = await post(client, converse(), token="tok", region="ap-south-1")

    aws_error(without, 403, "UnrecognizedClientException")
    assert with_token.status_code == 200, with_token.text
