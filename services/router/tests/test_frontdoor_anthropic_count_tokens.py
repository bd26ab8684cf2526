"""Anthropic count_tokens through the router: Claude counts natively, Gemini, Vertex and Bedrock by their API.

A deployment that cannot count says so with a 400 and no upstream call; the
others count the translated request's input only.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from aigw_router.adapters import TokenUsage
from aigw_router.operations import Operation
from aigw_router.routing import Router
from aigw_runtime.errors import GatewayError, InvalidRequestError
from frontdoor_samples import WEATHER, Handler, router_over, router_with

COUNT = Operation.ANTHROPIC_COUNT_TOKENS


async def test_claude_counts_tokens_through_the_pass_through(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"input_tokens": 42})

    body = orjson.dumps({"model": "claude", "messages": [{"role": "user", "content": "hi"}]})
    result, _ = await router_with(handler, monkeypatch).complete(COUNT, "claude", body)

    assert str(seen[0].url) == "http://claude.test/v1/messages/count_tokens"
    assert orjson.loads(seen[0].content)["model"] == "claude-upstream"
    assert orjson.loads(result.body) == {"input_tokens": 42}


async def test_an_openai_deployment_cannot_count_tokens_and_says_so_without_calling_upstream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no upstream call is made")

    body = orjson.dumps({"model": "gpt", "messages": [{"role": "user", "content": "hi"}]})
    with pytest.raises(InvalidRequestError) as refused:
        await router_with(handler, monkeypatch).complete(COUNT, "gpt", body)

    assert refused.value.status == 400 and refused.value.code == "unsupported_operation"
    assert "gpt (openai) cannot count tokens" in refused.value.message


COUNTING_CONFIG = """\
providers:
  - {name: gemini, type: gemini, base_url: "http://gemini.test", api_key: "env:GEMINI_KEY"}
  - name: vertex
    type: vertex
    base_url: "http://vertex.test"
    project: p
    region: us-central1
    service_account: "env:VERTEX_SA"
    token_url: "http://oauth.test/token"
  - name: bedrock
    type: bedrock
    base_url: "http://bedrock.test"
    region: eu-west-3
    aws_access_key_id: "env:AWS_KEY_ID"
    aws_secret_access_key: "env:AWS_SECRET"
models:
  - name: gemini
    deployments: [{provider: gemini, model: gemini-2.0-flash}]
  - name: vertex
    deployments: [{provider: vertex, model: gemini-2.5-flash}]
  - name: bedrock
    deployments: [{provider: bedrock, model: "anthropic.claude-3-haiku-20240307-v1:0"}]
"""
COUNT_BODY = orjson.dumps(
    {
        "model": "any",
        "system": "be brief",
        "messages": [{"role": "user", "content": "what is the weather in Paris"}],
        "tools": [WEATHER],
        "thinking": {"type": "enabled", "budget_tokens": 2048},
    }
)


@pytest.fixture(scope="module")
def service_account() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return orjson.dumps(
        {"type": "service_account", "client_email": "gw@p.iam.gserviceaccount.com", "private_key": pem}
    ).decode()


def _counting_router(handler: Handler, monkeypatch: pytest.MonkeyPatch, service_account: str) -> Router:
    for name, value in {
        "GEMINI_KEY": "AIza-upstream",
        "VERTEX_SA": service_account,
        "AWS_KEY_ID": "AKIDCOUNTING00000001",
        "AWS_SECRET": "counting-secret",
    }.items():
        monkeypatch.setenv(name, value)

    def with_tokens(request: httpx.Request) -> httpx.Response:
        if request.url.host == "oauth.test":
            return httpx.Response(200, json={"access_token": "ya29.counting", "expires_in": 3600})
        return handler(request)

    return router_over(COUNTING_CONFIG, with_tokens)


@pytest.mark.parametrize(
    ("model", "url", "answer", "count", "fields"),
    [
        (
            "gemini",
            "http://gemini.test/v1beta/models/gemini-2.0-flash:countTokens",
            {"totalTokens": 21, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 21}]},
            21,
            {"generateContentRequest": {"model", "contents", "systemInstruction", "tools", "toolConfig"}},
        ),
        (
            "vertex",
            "http://vertex.test/v1/projects/p/locations/us-central1/publishers/google/models/"
            "gemini-2.5-flash:countTokens",
            {"totalTokens": 22, "totalBillableCharacters": 60},
            22,
            {"contents", "systemInstruction", "tools"},
        ),
        (
            "bedrock",
            "http://bedrock.test/model/anthropic.claude-3-haiku-20240307-v1:0/count-tokens",
            {"inputTokens": 23},
            23,
            {"input": {"converse": {"messages", "system", "toolConfig"}}},
        ),
    ],
)
async def test_gemini_vertex_and_bedrock_count_the_translated_request_with_their_own_api(
    monkeypatch: pytest.MonkeyPatch,
    service_account: str,
    model: str,
    url: str,
    answer: dict[str, Any],
    count: int,
    fields: Any,
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=answer)

    router = _counting_router(handler, monkeypatch, service_account)
    result, route = await router.complete(COUNT, model, COUNT_BODY)

    (sent,) = seen
    assert str(sent.url) == url
    request = orjson.loads(sent.content)
    # Only the input goes: no max_tokens or sampling was invented (no generation or inference config).
    assert _shape(request) == fields
    assert all(text in sent.content.decode() for text in ("be brief", "weather in Paris", "get_weather"))
    assert orjson.loads(result.body) == {"input_tokens": count}
    assert result.usage == TokenUsage() and route.provider == model


def _shape(value: dict[str, Any]) -> Any:
    """The keys of a request, nested only where the request is a wrapper of one member."""
    if len(value) == 1:
        ((name, inner),) = value.items()
        return {name: _shape(inner)}
    return set(value)


async def test_a_providers_refusal_to_count_is_mapped_like_any_of_its_errors(
    monkeypatch: pytest.MonkeyPatch, service_account: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400,
            json={
                "error": {
                    "code": 400,
                    "message": "* GenerateContentRequest.contents: bad",
                    "status": "INVALID_ARGUMENT",
                }
            },
        )

    with pytest.raises(GatewayError) as refused:
        await _counting_router(handler, monkeypatch, service_account).complete(COUNT, "gemini", COUNT_BODY)

    assert (refused.value.status, refused.value.code) == (400, "upstream_invalid_request")
    assert "GenerateContentRequest.contents: bad" in refused.value.message
