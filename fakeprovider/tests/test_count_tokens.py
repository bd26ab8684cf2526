"""The fake's token counting endpoints: Gemini's and Vertex AI's countTokens, Bedrock's CountTokens.

Each is as strict as the provider's generate call (the same authentication,
the same checks of contents and messages, unknown fields refused in the
provider's own envelope), and counts exactly the prompt tokens the same
conversation reports when it is actually sent: a gateway's count and its
metered usage must agree.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import botocore.session
import httpx
import orjson
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt, jwt

from aigw_fakeprovider import RunningFakeProvider, ServerSettings, running_fake_provider
from aigw_fakeprovider.answers import IMAGE_TOKENS
from aigw_fakeprovider.images import png_for

GOOGLE_KEY = "AIzaSyCount0123456789abcdefghijklmnop"
EMAIL = "counter@aigw-test.iam.gserviceaccount.com"
KEY_ID = "AKIDCOUNTTOKENS00001"
SECRET = "count-tokens-test-secret-access-key"
REGION = "eu-central-1"
GEMINI = "/v1beta/models/gemini-2.0-flash"
VERTEX = "/v1/projects/aigw-test/locations/us-central1/publishers/google/models/gemini-2.0-flash"
BEDROCK_MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
PNG = base64.b64encode(png_for("count")).decode()
# "You are terse" (3) + "what is in this picture" (5) + one image.
EXPECTED = 3 + 5 + IMAGE_TOKENS
GOOGLE_REQUEST: dict[str, Any] = {
    "systemInstruction": {"parts": [{"text": "You are terse"}]},
    "contents": [
        {
            "role": "user",
            "parts": [
                {"text": "what is in this picture"},
                {"inlineData": {"mimeType": "image/png", "data": PNG}},
            ],
        }
    ],
    "tools": [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}},
                }
            ]
        }
    ],
}
CONVERSE: dict[str, Any] = {
    "system": [{"text": "You are terse"}],
    "messages": [
        {
            "role": "user",
            "content": [
                {"text": "what is in this picture"},
                {"image": {"format": "png", "source": {"bytes": PNG}}},
            ],
        }
    ],
    "toolConfig": {
        "tools": [
            {
                "toolSpec": {
                    "name": "get_weather",
                    "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}},
                }
            }
        ]
    },
}


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="module")
def account_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
async def fake(
    account_key: rsa.RSAPrivateKey, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningFakeProvider]:
    key_file = tmp_path_factory.mktemp("google") / "sa.json"
    key_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "aigw-test",
                "private_key_id": "k1",
                "private_key": _pem(account_key),
                "client_email": EMAIL,
            }
        )
    )
    settings = ServerSettings(
        port=0,
        api_key=GOOGLE_KEY,
        google_service_account=str(key_file),
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        aws_region=REGION,
    )
    async with running_fake_provider(settings) as running:
        yield running


@pytest.fixture
async def http(fake: RunningFakeProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fake.url, timeout=5.0) as client:
        (await client.delete("/_fake/knobs")).raise_for_status()
        (await client.delete("/_fake/requests")).raise_for_status()
        yield client


def _google_error(response: httpx.Response, status: int, google_status: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == status and error["status"] == google_status
    message: str = error["message"]
    return message


# --- AI Studio ---------------------------------------------------------------------------------------


async def _gemini(
    http: httpx.AsyncClient, method: str, body: Any, key: str | None = GOOGLE_KEY
) -> httpx.Response:
    headers = {"x-goog-api-key": key} if key else {}
    return await http.post(f"{GEMINI}:{method}", json=body, headers=headers)


async def test_ai_studio_counts_a_whole_request_as_its_generate_call_reports_the_prompt(
    http: httpx.AsyncClient,
) -> None:
    counted = await _gemini(
        http,
        "countTokens",
        {"generateContentRequest": {"model": "models/gemini-2.0-flash", **GOOGLE_REQUEST}},
    )
    generated = await _gemini(http, "generateContent", GOOGLE_REQUEST)

    assert counted.status_code == 200, counted.text
    assert counted.json() == {
        "totalTokens": EXPECTED,
        "promptTokensDetails": [
            {"modality": "TEXT", "tokenCount": EXPECTED - IMAGE_TOKENS},
            {"modality": "IMAGE", "tokenCount": IMAGE_TOKENS},
        ],
    }
    assert generated.json()["usageMetadata"]["promptTokenCount"] == EXPECTED


async def test_ai_studio_counts_plain_contents_without_the_system_instruction(
    http: httpx.AsyncClient,
) -> None:
    response = await _gemini(http, "countTokens", {"contents": GOOGLE_REQUEST["contents"]})

    assert response.status_code == 200, response.text
    assert response.json()["totalTokens"] == 5 + IMAGE_TOKENS


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            {"contents": GOOGLE_REQUEST["contents"], "generateContentRequest": GOOGLE_REQUEST},
            "mutually exclusive",
        ),
        ({"generateContentRequest": GOOGLE_REQUEST}, "generate_content_request.model: unexpected model name"),
        (
            {"generateContentRequest": {**GOOGLE_REQUEST, "model": "gemini-2.0-flash"}},
            "unexpected model name format",
        ),
        (
            {
                "contents": GOOGLE_REQUEST["contents"],
                "systemInstruction": GOOGLE_REQUEST["systemInstruction"],
            },
            'Unknown name "systemInstruction": Cannot find field.',
        ),
        (
            {"generateContentRequest": {"model": "models/x", **GOOGLE_REQUEST, "maxTokens": 5}},
            "Unknown name \"maxTokens\" at 'generate_content_request': Cannot find field.",
        ),
        (
            {
                "generateContentRequest": {
                    "model": "models/x",
                    "contents": [{"role": "system", "parts": [{"text": "a"}]}],
                }
            },
            "Please use a valid role: user, model.",
        ),
        (
            {"generateContentRequest": {"model": "models/x", "contents": [{"role": "user", "parts": []}]}},
            "generate_content_request.contents[0].parts: contents.parts must not be empty.",
        ),
        ({}, "contents is not specified"),
    ],
)
async def test_ai_studio_refuses_what_it_cannot_count_like_generate_content(
    http: httpx.AsyncClient, body: dict[str, Any], fragment: str
) -> None:
    response = await _gemini(http, "countTokens", body)

    assert fragment in _google_error(response, 400, "INVALID_ARGUMENT")


async def test_ai_studio_counts_only_with_the_key(http: httpx.AsyncClient) -> None:
    body = {"contents": GOOGLE_REQUEST["contents"]}

    missing = await _gemini(http, "countTokens", body, key=None)
    wrong = await _gemini(http, "countTokens", body, key="AIzaSyNotTheKey")

    assert "unregistered callers" in _google_error(missing, 403, "PERMISSION_DENIED")
    assert _google_error(wrong, 400, "INVALID_ARGUMENT") == "API key not valid. Please pass a valid API key."
    assert wrong.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"


async def test_ai_studio_counting_meets_the_fault_knobs(http: httpx.AsyncClient) -> None:
    (await http.put("/_fake/knobs", json={"fault": "429", "retry_after": 3})).raise_for_status()

    response = await _gemini(http, "countTokens", {"contents": GOOGLE_REQUEST["contents"]})

    assert "exceeded your current quota" in _google_error(response, 429, "RESOURCE_EXHAUSTED")
    assert response.json()["error"]["details"][0]["retryDelay"] == "3s"


# --- Vertex AI ---------------------------------------------------------------------------------------


async def _vertex_token(http: httpx.AsyncClient, key: rsa.RSAPrivateKey) -> str:
    now = int(time.time())
    token_url = str(http.base_url).rstrip("/") + "/token"
    claims = {
        "iss": EMAIL,
        "scope": "https://www.googleapis.com/auth/cloud-platform",
        "aud": token_url,
        "iat": now,
        "exp": now + 3600,
    }
    signer = crypt.RSASigner.from_string(_pem(key), "k1")  # type: ignore[no-untyped-call]
    assertion: bytes = jwt.encode(signer, claims)  # type: ignore[no-untyped-call]
    response = await http.post(
        "/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion.decode()},
    )
    token: str = response.json()["access_token"]
    return token


async def test_vertex_counts_with_a_token_as_its_generate_call_reports_the_prompt(
    http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey
) -> None:
    headers = {"authorization": f"Bearer {await _vertex_token(http, account_key)}"}

    counted = await http.post(f"{VERTEX}:countTokens", json=GOOGLE_REQUEST, headers=headers)
    generated = await http.post(f"{VERTEX}:generateContent", json=GOOGLE_REQUEST, headers=headers)

    assert counted.status_code == 200, counted.text
    answer = counted.json()
    assert answer["totalTokens"] == EXPECTED == generated.json()["usageMetadata"]["promptTokenCount"]
    assert answer["totalBillableCharacters"] == len("Youareterse") + len("whatisinthispicture")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"toolConfig": {"functionCallingConfig": {"mode": "ANY"}}}, 'Unknown name "toolConfig"'),
        ({"safetySettings": []}, 'Unknown name "safetySettings"'),
        ({"instances": [{"content": "hi"}]}, "not instances"),
        ({"contents": [{"role": "user", "parts": [{"text": ""}]}]}, "empty text parameter"),
    ],
)
async def test_vertex_refuses_fields_its_count_request_lacks_and_contents_generate_refuses(
    http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey, change: dict[str, Any], fragment: str
) -> None:
    headers = {"authorization": f"Bearer {await _vertex_token(http, account_key)}"}

    response = await http.post(f"{VERTEX}:countTokens", json={**GOOGLE_REQUEST, **change}, headers=headers)

    assert fragment in _google_error(response, 400, "INVALID_ARGUMENT")


async def test_vertex_counts_only_with_a_token_it_issued(http: httpx.AsyncClient) -> None:
    missing = await http.post(f"{VERTEX}:countTokens", json=GOOGLE_REQUEST)
    unknown = await http.post(
        f"{VERTEX}:countTokens", json=GOOGLE_REQUEST, headers={"authorization": "Bearer ya29.not-issued"}
    )

    assert "missing required authentication credential" in _google_error(missing, 401, "UNAUTHENTICATED")
    assert "invalid authentication credentials" in _google_error(unknown, 401, "UNAUTHENTICATED")


# --- Bedrock -----------------------------------------------------------------------------------------


async def _bedrock(
    http: httpx.AsyncClient, body: Any, action: str = "count-tokens", secret: str = SECRET
) -> httpx.Response:
    url = f"{http.base_url}".rstrip("/") + f"/model/{quote(BEDROCK_MODEL, safe=':')}/{action}"
    content = orjson.dumps(body)
    request = AWSRequest(method="POST", url=url, data=content, headers={"content-type": "application/json"})
    SigV4Auth(Credentials(KEY_ID, secret), "bedrock", REGION).add_auth(request)
    return await http.post(url, content=content, headers=dict(request.headers.items()))


def _aws_error(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["x-amzn-errortype"].split(":")[0] == kind
    message: str = response.json()["message"]
    return message


async def test_bedrock_counts_a_converse_input_as_converse_reports_its_input_tokens(
    http: httpx.AsyncClient,
) -> None:
    counted = await _bedrock(http, {"input": {"converse": CONVERSE}})
    conversed = await _bedrock(http, CONVERSE, action="converse")

    assert counted.status_code == 200, counted.text
    assert counted.json() == {"inputTokens": EXPECTED}
    assert conversed.json()["usage"]["inputTokens"] == EXPECTED


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "Value null at 'input' failed to satisfy constraint: Member must not be null"),
        (
            {"input": {"converse": {**CONVERSE, "inferenceConfig": {"maxTokens": 10}}}},
            "#/input/converse: extraneous key [inferenceConfig] is not permitted",
        ),
        ({"input": {"invokeModel": {"body": base64.b64encode(b"{}").decode()}}}, "Converse inputs only"),
        (
            {"input": {"converse": CONVERSE, "invokeModel": {"body": "e30="}}},
            "Member must have exactly one of these members set",
        ),
        (
            {"input": {"converse": {"messages": [{"role": "assistant", "content": [{"text": "hi"}]}]}}},
            "A conversation must start with a user message",
        ),
        (
            {"input": {"converse": {"messages": [{"role": "user", "content": [{"text": "  "}]}]}}},
            "is blank",
        ),
    ],
)
async def test_bedrock_refuses_what_converse_or_the_service_model_refuses(
    http: httpx.AsyncClient, body: dict[str, Any], fragment: str
) -> None:
    response = await _bedrock(http, body)

    assert fragment in _aws_error(response, 400, "ValidationException")


async def test_bedrock_counts_only_a_valid_signature(http: httpx.AsyncClient) -> None:
    response = await _bedrock(http, {"input": {"converse": CONVERSE}}, secret="not-the-secret")

    assert "signature we calculated does not match" in _aws_error(response, 403, "InvalidSignatureException")


async def test_bedrock_counting_meets_the_fault_knobs(http: httpx.AsyncClient) -> None:
    (await http.put("/_fake/knobs", json={"fault": "429", "retry_after": 2})).raise_for_status()

    response = await _bedrock(http, {"input": {"converse": CONVERSE}})

    assert "Too many requests" in _aws_error(response, 429, "ThrottlingException")
    assert response.headers["retry-after"] == "2"


@pytest.fixture
def boto_client(fake: RunningFakeProvider, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    client = botocore.session.get_session().create_client(
        "bedrock-runtime",
        region_name=REGION,
        endpoint_url=fake.url,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}),
    )
    yield client
    client.close()


async def test_botocore_counts_tokens_with_the_fake(http: httpx.AsyncClient, boto_client: Any) -> None:
    converse = {**CONVERSE, "messages": [{"role": "user", "content": [{"text": "hello there"}]}]}

    answer = await asyncio.to_thread(
        boto_client.count_tokens, modelId=BEDROCK_MODEL, input={"converse": converse}
    )

    assert answer["inputTokens"] == 3 + 2
