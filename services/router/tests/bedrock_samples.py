"""What the Bedrock adapter's tests share: AWS credentials, the adapter, chat requests, SigV4 checks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import orjson
import yarl
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

from aigw_router.adapters import AdapterServices, ChatCall, ParamPolicy, UpstreamRequest
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.bedrock import BedrockAdapter
from aigw_runtime.config import ImageFetchConfig, ProviderConfig
from chat_samples import PNG_BYTES

FIXTURES = Path(__file__).parent / "fixtures"
KEY_ID = "AKIDEXAMPLEBEDROCK01"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "eu-west-3"
CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
PROFILE_ARN = (
    "arn:aws:bedrock:eu-west-3:123456789012:inference-profile/eu.anthropic.claude-3-5-sonnet-20240620-v1:0"
)


def _image_server(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/cat.png":
        return httpx.Response(200, content=PNG_BYTES, headers={"content-type": "image/png"})
    return httpx.Response(404)


def bedrock_adapter(**fields: Any) -> BedrockAdapter:
    """An adapter for bedrock-main in `REGION`, signing with `KEY_ID` and `SECRET` unless `fields` differ.

    The environment also holds a session token (AIGW_TEST_AWS_TOKEN) and a Bedrock API key
    (AIGW_TEST_BEDROCK_KEY) for `fields` to name. Images come from http://images.test/cat.png.
    """
    os.environ.update(
        {
            "AIGW_TEST_AWS_KEY_ID": KEY_ID,
            "AIGW_TEST_AWS_SECRET": SECRET,
            "AIGW_TEST_AWS_TOKEN": "session-token-xyz",
            "AIGW_TEST_BEDROCK_KEY": "bedrock-api-key-123",
        }
    )
    settings: dict[str, Any] = {
        "aws_access_key_id": "env:AIGW_TEST_AWS_KEY_ID",
        "aws_secret_access_key": "env:AIGW_TEST_AWS_SECRET",
        "image_fetch": ImageFetchConfig(allow_http=True, allow_private_addresses=True),
        **fields,
    }
    provider = ProviderConfig(name="bedrock-main", type="bedrock", region=REGION, **settings)
    client = httpx.AsyncClient(transport=httpx.MockTransport(_image_server))
    return BedrockAdapter(provider, AdapterServices(http=client, images=ImageFetcher(client)))


def chat_body(**fields: Any) -> bytes:
    """A one-message OpenAI chat body with `fields` added, as sent to the gateway."""
    return orjson.dumps({"model": "public-name", "messages": [{"role": "user", "content": "hi"}], **fields})


async def upstream_request(
    body: bytes,
    *,
    model: str = CLAUDE,
    stream: bool = False,
    policy: ParamPolicy = ParamPolicy.REJECT,
    adapter: BedrockAdapter | None = None,
) -> UpstreamRequest:
    """The request `adapter` (by default `bedrock_adapter()`) builds for chat `body` to `model`."""
    call = ChatCall(body=body, upstream_model=model, stream=stream, policy=policy)
    return await (adapter or bedrock_adapter()).build_chat(call)


def path_as_sent_by_aiohttp(url: str) -> str:
    """The path the router's client (httpx over aiohttp, whose yarl re-quotes) puts on the wire."""
    return str(yarl.URL(str(httpx.URL(url))).raw_path)


def signature_as_aws_computes_it(request: UpstreamRequest, secret: str = SECRET) -> str:
    """SigV4 recomputed by botocore from what is sent: path as on the wire, the signed headers, the body."""
    authorization = request.headers["authorization"]
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    host = httpx.URL(request.url).netloc.decode()
    headers = {"host": host, **{name: request.headers[name] for name in signed if name != "host"}}
    aws = AWSRequest(
        method="POST",
        url=f"https://{host}{path_as_sent_by_aiohttp(request.url)}",
        headers=headers,
        data=request.content,
    )
    aws.context["timestamp"] = request.headers["x-amz-date"]
    credential = authorization.split("Credential=")[1].split(",")[0].split("/")
    signer = SigV4Auth(ReadOnlyCredentials(KEY_ID, secret, None), credential[3], credential[2])
    return str(signer.signature(signer.string_to_sign(aws, signer.canonical_request(aws)), aws))
