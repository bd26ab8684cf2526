"""Requests to the fake's Gemini API, and Vertex AI tokens bought with the service account's signed assertions."""

from __future__ import annotations

import time
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt, jwt

from fake_credentials import API_KEY, EMAIL, pem

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
GENERATE = "/v1beta/models/gemini-2.0-flash:generateContent"
WEATHER = {
    "name": "get_weather",
    "description": "Weather in a city",
    "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]},
}
TIME = {"name": "get_time", "parameters": {"type": "OBJECT", "properties": {"zone": {"type": "STRING"}}}}


def user_turn(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text}]}


async def generate(
    http: httpx.AsyncClient, body: dict[str, Any], path: str = GENERATE, **headers: str
) -> httpx.Response:
    """`body` POSTed to a Gemini method (generateContent by default) with the API key."""
    return await http.post(path, json=body, headers={"x-goog-api-key": API_KEY, **headers})


def google_error(response: httpx.Response, status: int, google_status: str) -> str:
    """The message of Google's error envelope, after checking its status twice."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == status and error["status"] == google_status
    message: str = error["message"]
    return message


def function_calls(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The function calls of an answer's first candidate."""
    return [
        part["functionCall"] for part in answer["candidates"][0]["content"]["parts"] if "functionCall" in part
    ]


def token_url(http: httpx.AsyncClient) -> str:
    return str(http.base_url).rstrip("/") + "/token"


def signed_assertion(key: rsa.RSAPrivateKey, audience: str, **claims: Any) -> str:
    """The service account's JWT for `audience`, with claims replaced (None leaves one out; `kid` names the key)."""
    now = int(time.time())
    payload = {"iss": EMAIL, "scope": SCOPE, "aud": audience, "iat": now, "exp": now + 3600, **claims}
    signer = crypt.RSASigner.from_string(pem(key), claims.pop("kid", "k1"))  # type: ignore[no-untyped-call]
    signed: bytes = jwt.encode(signer, {k: v for k, v in payload.items() if v is not None and k != "kid"})  # type: ignore[no-untyped-call]
    return signed.decode()


async def request_token(
    http: httpx.AsyncClient, assertion: str, grant: str = "urn:ietf:params:oauth:grant-type:jwt-bearer"
) -> httpx.Response:
    """The token endpoint's answer to `assertion`."""
    return await http.post("/token", data={"grant_type": grant, "assertion": assertion})


async def access_token(http: httpx.AsyncClient, key: rsa.RSAPrivateKey) -> str:
    """A Vertex AI access token the fake issued for an assertion `key` signed."""
    response = await request_token(http, signed_assertion(key, token_url(http)))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token
