"""Requests to the fake's Bedrock Runtime, SigV4-signed as botocore signs them, and a reader for its errors."""

from __future__ import annotations

import copy
import time
from typing import Any
from urllib.parse import quote

import httpx
import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from fake_credentials import KEY_ID, REGION, SECRET
from fake_requests import replaced

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
PROFILE_ARN = (
    "arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0"
)
USER = {"role": "user", "content": [{"text": "what is the weather"}]}
TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "inputSchema": {
            "json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
        },
    }
}


class MovableClock:
    """The fake's clock, which a test can move away from the signer's."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic()


def signed_headers(
    url: str,
    body: bytes,
    *,
    key_id: str = KEY_ID,
    secret: str = SECRET,
    region: str = REGION,
    token: str | None = None,
) -> dict[str, str]:
    request = AWSRequest(method="POST", url=url, data=body, headers={"content-type": "application/json"})
    SigV4Auth(Credentials(key_id, secret, token), "bedrock", region).add_auth(request)
    return {name.lower(): str(value) for name, value in request.headers.items()}


def model_path(model: str = MODEL, action: str = "converse") -> str:
    return f"/model/{quote(model, safe=':')}/{action}"


async def post(
    http: httpx.AsyncClient,
    body: Any,
    *,
    path: str | None = None,
    headers: dict[str, str] | None = None,
    **signing: Any,
) -> httpx.Response:
    """`body` POSTed to a model's action (Converse by default), SigV4-signed unless `headers` are given."""
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    url = f"{http.base_url}".rstrip("/") + (path or model_path())
    sent = headers if headers is not None else signed_headers(url, content, **signing)
    return await http.post(url, content=content, headers=sent)


def converse(**changes: Any) -> dict[str, Any]:
    """A valid Converse request with fields replaced (a value of ... removes the field)."""
    return replaced({"messages": [copy.deepcopy(USER)]}, changes)


def aws_error(response: httpx.Response, status: int, kind: str) -> str:
    """The message of an AWS error, after checking its status, its `x-amzn-errortype` and its shape."""
    assert response.status_code == status, response.text
    assert response.headers["x-amzn-errortype"].split(":")[0] == kind
    body = response.json()
    assert list(body) == ["message"]
    message: str = body["message"]
    return message
