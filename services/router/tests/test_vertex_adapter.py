"""The Vertex AI adapter: Gemini's request at a project's endpoint, with OAuth tokens from a service account."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import jwt

from aigw_router.adapters import ADAPTER_TYPES, AdapterServices, ChatCall, EmbeddingsCall, UpstreamAnswer
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.vertex import VertexAdapter
from aigw_router.adapters.vertex_auth import CLOUD_PLATFORM_SCOPE, JWT_BEARER_GRANT
from aigw_runtime.config import ConfigError, ProviderConfig
from aigw_runtime.errors import GatewayError

FIXTURES = Path(__file__).parent / "fixtures"
EMAIL = "gateway@aigw-test.iam.gserviceaccount.com"
KEY_TOKEN_URI = "https://oauth2.example.test/token"


class MovableClock:
    """Wall time starts now (the token endpoint checks iat/exp against the real clock); time moves on demand."""

    def __init__(self) -> None:
        self.wall = float(int(time.time()))
        self.elapsed = 0.0

    def now(self) -> float:
        return self.wall + self.elapsed

    def monotonic(self) -> float:
        return self.elapsed


class TokenEndpoint:
    """Google's token endpoint as a mock transport: verifies each assertion, hands out numbered tokens."""

    def __init__(self, public_pem: bytes, *, expires_in: int = 3599, status: int = 200) -> None:
        self.public_pem = public_pem
        self.expires_in = expires_in
        self.status = status
        self.claims: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        assert form["grant_type"] == JWT_BEARER_GRANT
        # Tests move the adapter's clock ahead of the real one, hence the generous skew.
        claims = jwt.decode(  # type: ignore[no-untyped-call]
            form["assertion"], certs=self.public_pem, audience=str(request.url), clock_skew_in_seconds=86_400
        )
        self.claims.append(claims)
        if self.status != 200:
            return httpx.Response(
                self.status, json={"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            )
        token = f"ya29.token-{len(self.claims)}"
        return httpx.Response(
            200, json={"access_token": token, "expires_in": self.expires_in, "token_type": "Bearer"}
        )


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def key_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Path:
    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "aigw-test",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": EMAIL,
        "token_uri": KEY_TOKEN_URI,
    }
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(info))
    return path


@pytest.fixture
def endpoint(rsa_key: rsa.RSAPrivateKey) -> TokenEndpoint:
    public = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return TokenEndpoint(public)


def _adapter(
    key_file: Path,
    endpoint: TokenEndpoint,
    clock: MovableClock | None = None,
    **fields: Any,
) -> VertexAdapter:
    settings: dict[str, Any] = {
        "name": "vertex-main",
        "type": "vertex",
        "project": "aigw-test",
        "region": "europe-west4",
        "service_account": f"file:{key_file}",
        **fields,
    }
    client = httpx.AsyncClient(transport=httpx.MockTransport(endpoint))
    services = AdapterServices(http=client, images=ImageFetcher(client))
    return VertexAdapter(ProviderConfig(**settings), services, clock=clock or MovableClock())


async def _chat(
    adapter: VertexAdapter, model: str = "gemini-2.0-flash", stream: bool = False
) -> httpx.Headers:
    body = orjson.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    request = await adapter.build_chat(ChatCall(body=body, upstream_model=model, stream=stream))
    return httpx.Headers(request.headers)


def test_the_type_is_registered() -> None:
    assert ADAPTER_TYPES["vertex"] is VertexAdapter


@pytest.mark.parametrize(
    ("fields", "model", "stream", "url"),
    [
        ({}, "gemini-2.0-flash", False,
         "https://europe-west4-aiplatform.googleapis.com/v1/projects/aigw-test/locations/europe-west4/"
         "publishers/google/models/gemini-2.0-flash:generateContent"),
        ({"region": "global"}, "gemini-2.5-pro", True,
         "https://aiplatform.googleapis.com/v1/projects/aigw-test/locations/global/publishers/google/models/"
         "gemini-2.5-pro:streamGenerateContent?alt=sse"),
        ({"base_url": "http://127.0.0.1:9/"}, "publishers/meta/models/llama", False,
         "http://127.0.0.1:9/v1/projects/aigw-test/locations/europe-west4/publishers/meta/models/llama:generateContent"),
        ({}, "projects/other/locations/us-east5/endpoints/123", False,
         "https://europe-west4-aiplatform.googleapis.com/v1/projects/other/locations/us-east5/endpoints/123:generateContent"),
    ],
)  # fmt: skip
async def test_requests_go_to_the_projects_regional_endpoint(
    key_file: Path, endpoint: TokenEndpoint, fields: dict[str, Any], model: str, stream: bool, url: str
) -> None:
    adapter = _adapter(key_file, endpoint, **fields)
    body = orjson.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]})

    request = await adapter.build_chat(ChatCall(body=body, upstream_model=model, stream=stream))

    assert request.url == url
    assert orjson.loads(request.content) == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    assert "x-goog-api-key" not in request.headers


async def test_the_bearer_token_comes_from_a_signed_jwt_for_the_service_account(
    key_file: Path, endpoint: TokenEndpoint
) -> None:
    clock = MovableClock()
    headers = await _chat(_adapter(key_file, endpoint, clock))

    assert headers["authorization"] == "Bearer ya29.token-1"
    claims = endpoint.claims[0]
    assert claims["iss"] == EMAIL and claims["aud"] == KEY_TOKEN_URI
    assert claims["scope"] == CLOUD_PLATFORM_SCOPE
    assert claims["exp"] - claims["iat"] == 3600 and claims["iat"] == int(clock.wall)


async def test_a_configured_token_url_replaces_the_keys_token_uri(
    key_file: Path, endpoint: TokenEndpoint
) -> None:
    await _chat(_adapter(key_file, endpoint, token_url="http://127.0.0.1:9/token"))
    assert endpoint.claims[0]["aud"] == "http://127.0.0.1:9/token"


async def test_the_token_is_cached_until_shortly_before_it_expires(
    key_file: Path, endpoint: TokenEndpoint
) -> None:
    clock = MovableClock()
    adapter = _adapter(key_file, endpoint, clock)

    first = await _chat(adapter)
    clock.elapsed = 3000.0
    second = await _chat(adapter)
    clock.elapsed = 3400.0
    third = await _chat(adapter)

    assert [h["authorization"] for h in (first, second, third)] == [
        "Bearer ya29.token-1",
        "Bearer ya29.token-1",
        "Bearer ya29.token-2",
    ]


async def test_concurrent_requests_share_one_token_fetch(key_file: Path, endpoint: TokenEndpoint) -> None:
    adapter = _adapter(key_file, endpoint)

    headers = await asyncio.gather(*(_chat(adapter) for _ in range(5)))

    assert {h["authorization"] for h in headers} == {"Bearer ya29.token-1"}
    assert len(endpoint.claims) == 1


async def test_a_401_from_vertex_forgets_the_token_so_the_next_request_gets_a_new_one(
    key_file: Path, endpoint: TokenEndpoint
) -> None:
    adapter = _adapter(key_file, endpoint)
    await _chat(adapter)
    refused = {
        "error": {
            "code": 401,
            "message": "Request had invalid authentication credentials.",
            "status": "UNAUTHENTICATED",
        }
    }

    error = adapter.map_error(401, {}, orjson.dumps(refused))
    headers = await _chat(adapter)

    assert error.status == 502 and error.code == "upstream_auth_failed"
    assert headers["authorization"] == "Bearer ya29.token-2"


async def test_other_errors_keep_the_token(key_file: Path, endpoint: TokenEndpoint) -> None:
    adapter = _adapter(key_file, endpoint)
    await _chat(adapter)

    error = adapter.map_error(
        429, {}, b'{"error": {"code": 429, "message": "Resource exhausted.", "status": "RESOURCE_EXHAUSTED"}}'
    )
    headers = await _chat(adapter)

    assert error.status == 429 and headers["authorization"] == "Bearer ya29.token-1"


async def test_a_refused_service_account_is_a_502_that_reveals_no_secret(
    key_file: Path, endpoint: TokenEndpoint
) -> None:
    endpoint.status = 400

    with pytest.raises(GatewayError) as caught:
        await _chat(_adapter(key_file, endpoint))

    assert caught.value.status == 502 and caught.value.code == "upstream_auth_failed"
    assert "invalid_grant" in caught.value.message and "PRIVATE KEY" not in caught.value.message


async def test_an_unreachable_token_endpoint_is_a_retryable_502(key_file: Path) -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(unreachable))
    provider = ProviderConfig(
        name="v", type="vertex", project="p", region="us-central1", service_account=f"file:{key_file}"
    )
    adapter = VertexAdapter(provider, AdapterServices(http=client, images=ImageFetcher(client)))

    with pytest.raises(GatewayError) as caught:
        await _chat(adapter)
    assert caught.value.status == 502 and caught.value.retryable


@pytest.mark.parametrize(
    ("fields", "key", "problem"),
    [
        ({"project": None}, None, "needs project and region"),
        ({"service_account": None}, None, "needs service_account"),
        ({}, "not json", "not a JSON service-account key"),
        ({}, {"type": "authorized_user", "client_email": EMAIL, "private_key": "x"}, "not a JSON service-account key"),
        ({}, {"client_email": EMAIL}, "lacks private_key"),
        ({}, {"client_email": EMAIL, "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"},
         "not a valid RSA key"),
    ],
)  # fmt: skip
def test_a_vertex_provider_that_cannot_authenticate_stops_the_router_at_start(
    tmp_path: Path, endpoint: TokenEndpoint, fields: dict[str, Any], key: Any, problem: str
) -> None:
    path = tmp_path / "key.json"
    path.write_text(key if isinstance(key, str) else json.dumps(key or {}))

    with pytest.raises(ConfigError, match=problem) as caught:
        _adapter(path, endpoint, **fields)
    assert "BEGIN PRIVATE KEY" not in str(caught.value)


async def test_a_count_sends_what_vertex_counts_of_the_chats_generate_request(
    key_file: Path, endpoint: TokenEndpoint
) -> None:
    weather = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    body = orjson.dumps(
        {
            "model": "m",
            "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
            "tools": [weather],
            "tool_choice": "required",
            "response_format": {"type": "json_object"},
        }
    )
    call = ChatCall(body=body, upstream_model="gemini-2.5-flash", stream=False)
    adapter = _adapter(key_file, endpoint)
    generate = orjson.loads((await adapter.build_chat(call)).content)

    request = await adapter.build_chat_token_count(call)

    assert request.url == (
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/aigw-test/locations/europe-west4/"
        "publishers/google/models/gemini-2.5-flash:countTokens"
    )
    assert request.headers["authorization"] == "Bearer ya29.token-1"
    # CountTokensRequest has no toolConfig (nor safety settings, labels, ...).
    assert "toolConfig" in generate
    assert orjson.loads(request.content) == {
        name: generate[name] for name in ("contents", "systemInstruction", "tools", "generationConfig")
    }


def test_the_count_is_total_tokens_beside_the_billable_characters(
    key_file: Path, endpoint: TokenEndpoint
) -> None:
    answer = {"totalTokens": 31, "totalBillableCharacters": 112, "promptTokensDetails": []}

    assert _adapter(key_file, endpoint).parse_chat_token_count(orjson.dumps(answer)) == 31


async def test_embeddings_go_to_predict_with_the_dimensions(key_file: Path, endpoint: TokenEndpoint) -> None:
    body = orjson.dumps({"model": "e", "input": ["first", "second"], "dimensions": 3})

    request = await _adapter(key_file, endpoint).build_embeddings(
        EmbeddingsCall(body=body, upstream_model="text-embedding-005")
    )

    assert request.url.endswith("/publishers/google/models/text-embedding-005:predict")
    assert request.headers["authorization"] == "Bearer ya29.token-1"
    assert orjson.loads(request.content) == {
        "instances": [{"content": "first"}, {"content": "second"}],
        "parameters": {"outputDimensionality": 3},
    }


@pytest.mark.parametrize(
    ("model", "sizes"),
    [
        ("text-embedding-005", [250, 250, 100]),
        ("gemini-embedding-001", [1] * 600),
        ("publishers/google/models/gemini-embedding-001", [1] * 600),
    ],
)
def test_a_batch_is_cut_to_what_one_predict_request_of_the_model_takes(
    key_file: Path, endpoint: TokenEndpoint, model: str, sizes: list[int]
) -> None:
    texts = [f"text {n}" for n in range(600)]
    call = EmbeddingsCall(body=orjson.dumps({"model": "e", "input": texts}), upstream_model=model)

    parts = _adapter(key_file, endpoint).split_embeddings(call)

    inputs = [orjson.loads(part.body)["input"] for part in parts]
    assert [len(chunk) for chunk in inputs] == sizes
    assert [text for chunk in inputs for text in chunk] == texts


async def test_each_part_is_one_predict_request_with_the_same_token(
    key_file: Path, endpoint: TokenEndpoint
) -> None:
    adapter = _adapter(key_file, endpoint)
    call = EmbeddingsCall(
        body=orjson.dumps({"model": "e", "input": ["a", "b"], "dimensions": 3}),
        upstream_model="gemini-embedding-001",
    )

    requests = [await adapter.build_embeddings(part) for part in adapter.split_embeddings(call)]

    assert [orjson.loads(r.content) for r in requests] == [
        {"instances": [{"content": text}], "parameters": {"outputDimensionality": 3}} for text in ("a", "b")
    ]
    assert {r.headers["authorization"] for r in requests} == {"Bearer ya29.token-1"}


def test_more_than_2048_inputs_are_a_400(key_file: Path, endpoint: TokenEndpoint) -> None:
    body = orjson.dumps({"model": "e", "input": ["x"] * 2049})
    with pytest.raises(GatewayError) as caught:
        _adapter(key_file, endpoint).split_embeddings(
            EmbeddingsCall(body=body, upstream_model="text-embedding-005")
        )
    assert caught.value.status == 400 and caught.value.param == "input"


def test_the_predictions_of_every_part_become_one_list_with_their_token_counts_summed(
    key_file: Path, endpoint: TokenEndpoint
) -> None:
    call = EmbeddingsCall(
        body=orjson.dumps({"model": "e", "input": ["one", "two", "three"]}),
        upstream_model="gemini-embedding-001",
    )
    answers = [
        UpstreamAnswer(
            orjson.dumps(
                {
                    "predictions": [
                        {"embeddings": {"statistics": {"token_count": n + 1}, "values": [float(n)]}}
                    ]
                }
            ),
            {},
        )
        for n in range(3)
    ]

    result = _adapter(key_file, endpoint).parse_embeddings(answers, call)

    body = orjson.loads(result.body)
    assert [(item["index"], item["embedding"]) for item in body["data"]] == [
        (0, [0.0]),
        (1, [1.0]),
        (2, [2.0]),
    ]
    assert body["usage"] == {"prompt_tokens": 6, "total_tokens": 6} and result.usage.prompt_tokens == 6


@pytest.mark.parametrize("encoding", ["float", "base64"])
def test_predictions_become_an_embedding_list_with_their_token_counts(
    key_file: Path, endpoint: TokenEndpoint, encoding: str
) -> None:
    call = EmbeddingsCall(
        body=orjson.dumps(
            {"model": "e", "input": ["first text", "second text"], "encoding_format": encoding}
        ),
        upstream_model="text-embedding-005",
    )

    result = _adapter(key_file, endpoint).parse_embeddings(
        [UpstreamAnswer((FIXTURES / "gemini_vertex_predict.json").read_bytes(), {})], call
    )

    body = orjson.loads(result.body)
    assert [item["index"] for item in body["data"]] == [0, 1]
    if encoding == "float":
        assert body["data"][0]["embedding"] == [0.25, -0.5, 0.125]
    else:
        assert isinstance(body["data"][0]["embedding"], str)
    assert body["usage"] == {"prompt_tokens": 10, "total_tokens": 10}
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (10, 10)
