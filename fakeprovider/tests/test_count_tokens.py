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
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from aigw_fakeprovider.answers import IMAGE_TOKENS
from aigw_fakeprovider.images import png_for
from fake_bedrock import MODEL as BEDROCK_MODEL
from fake_bedrock import aws_error, model_path, post
from fake_credentials import API_KEY, SECRET
from fake_google import access_token, google_error

GEMINI = "/v1beta/models/gemini-2.0-flash"
VERTEX = "/v1/projects/aigw-test/locations/us-central1/publishers/google/models/gemini-2.0-flash"
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


# --- AI Studio ---------------------------------------------------------------------------------------


async def _gemini(
    http: httpx.AsyncClient, method: str, body: Any, key: str | None = API_KEY
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

    assert fragment in google_error(response, 400, "INVALID_ARGUMENT")


async def test_ai_studio_counts_only_with_the_key(http: httpx.AsyncClient) -> None:
    body = {"contents": GOOGLE_REQUEST["contents"]}

    missing = await _gemini(http, "countTokens", body, key=None)
    wrong = await _gemini(http, "countTokens", body, key="AIzaSyNotTheKey")

    assert "unregistered callers" in google_error(missing, 403, "PERMISSION_DENIED")
    assert google_error(wrong, 400, "INVALID_ARGUMENT") == "API key not valid. Please pass a valid API key."
    assert wrong.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"


async def test_ai_studio_counting_meets_the_fault_knobs(http: httpx.AsyncClient) -> None:
    (await http.put("/_fake/knobs", json={"fault": "429", "retry_after": 3})).raise_for_status()

    response = await _gemini(http, "countTokens", {"contents": GOOGLE_REQUEST["contents"]})

    assert "exceeded your current quota" in google_error(response, 429, "RESOURCE_EXHAUSTED")
    assert response.json()["error"]["details"][0]["retryDelay"] == "3s"


# --- Vertex AI ---------------------------------------------------------------------------------------


async def test_vertex_counts_with_a_token_as_its_generate_call_reports_the_prompt(
    http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey
) -> None:
    headers = {"authorization": f"Bearer {await access_token(http, account_key)}"}

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
    headers = {"authorization": f"Bearer {await access_token(http, account_key)}"}

    response = await http.post(f"{VERTEX}:countTokens", json={**GOOGLE_REQUEST, **change}, headers=headers)

    assert fragment in google_error(response, 400, "INVALID_ARGUMENT")


async def test_vertex_counts_only_with_a_token_it_issued(http: httpx.AsyncClient) -> None:
    missing = await http.post(f"{VERTEX}:countTokens", json=GOOGLE_REQUEST)
    unknown = await http.post(
        f"{VERTEX}:countTokens", json=GOOGLE_REQUEST, headers={"authorization": "Bearer ya29.not-issued"}
    )

    assert "missing required authentication credential" in google_error(missing, 401, "UNAUTHENTICATED")
    assert "invalid authentication credentials" in google_error(unknown, 401, "UNAUTHENTICATED")


# --- Bedrock -----------------------------------------------------------------------------------------


async def _bedrock(
    http: httpx.AsyncClient, body: Any, action: str = "count-tokens", secret: str = SECRET
) -> httpx.Response:
    return await post(http, body, path=model_path(BEDROCK_MODEL, action), secret=secret)


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

    assert fragment in aws_error(response, 400, "ValidationException")


async def test_bedrock_counts_only_a_valid_signature(http: httpx.AsyncClient) -> None:
    response = await _bedrock(http, {"input": {"converse": CONVERSE}}, secret="not-the-secret")

    assert "signature we calculated does not match" in aws_error(response, 403, "InvalidSignatureException")


async def test_bedrock_counting_meets_the_fault_knobs(http: httpx.AsyncClient) -> None:
    (await http.put("/_fake/knobs", json={"fault": "429", "retry_after": 2})).raise_for_status()

    response = await _bedrock(http, {"input": {"converse": CONVERSE}})

    assert "Too many requests" in aws_error(response, 429, "ThrottlingException")
    assert response.headers["retry-after"] == "2"


async def test_botocore_counts_tokens_with_the_fake(http: httpx.AsyncClient, boto_client: Any) -> None:
    converse = {**CONVERSE, "messages": [{"role": "user", "content": [{"text": "hello there"}]}]}

    answer = await asyncio.to_thread(
        boto_client.count_tokens, modelId=BEDROCK_MODEL, input={"converse": converse}
    )

    assert answer["inputTokens"] == 3 + 2
