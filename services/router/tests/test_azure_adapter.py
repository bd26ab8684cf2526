"""The Azure OpenAI adapter: paths, api-version policy, keys and Entra ID tokens, filters, errors."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import orjson
import pytest
from openai.types.chat import ChatCompletionChunk

from aigw_router.adapters import ADAPTER_TYPES, AdapterServices, ChatCall, EmbeddingsCall, ParamPolicy
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.azure import AzureOpenAIAdapter
from aigw_runtime.config import ConfigError, ProviderConfig
from aigw_runtime.errors import GatewayError

FIXTURES = Path(__file__).parent / "fixtures"
RESOURCE = "https://contoso.openai.azure.com"
KEY = "azure-key-0123456789abcdef0123456789ab"
SECRET = "entra~secret~value~0123456789"
TOKEN_URL = "https://login.example.test/tenant-1/oauth2/v2.0/token"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.t


def _services(handler: Callable[[httpx.Request], httpx.Response] | None = None) -> AdapterServices:
    transport = httpx.MockTransport(handler or (lambda request: httpx.Response(500)))
    client = httpx.AsyncClient(transport=transport)
    return AdapterServices(http=client, images=ImageFetcher(client))


def _provider(**fields: Any) -> ProviderConfig:
    os.environ["AIGW_TEST_AZURE_KEY"] = KEY
    os.environ["AIGW_TEST_AZURE_SECRET"] = SECRET
    defaults: dict[str, Any] = {
        "name": "azure-east",
        "type": "azure-openai",
        "base_url": RESOURCE,
        "api_version": "2024-10-21",
        "api_key": "env:AIGW_TEST_AZURE_KEY",
    }
    return ProviderConfig(**{**defaults, **fields})


def _entra(**fields: Any) -> dict[str, Any]:
    return {
        "api_key": None,
        "tenant_id": "tenant-1",
        "client_id": "app-1",
        "client_secret": "env:AIGW_TEST_AZURE_SECRET",
        **fields,
    }


def _adapter(
    handler: Callable[[httpx.Request], httpx.Response] | None = None,
    clock: Clock | None = None,
    **fields: Any,
) -> AzureOpenAIAdapter:
    return AzureOpenAIAdapter(_provider(**fields), _services(handler), clock=clock)


def _chat(
    body: dict[str, Any], *, stream: bool = False, policy: ParamPolicy = ParamPolicy.REJECT
) -> ChatCall:
    return ChatCall(body=orjson.dumps(body), upstream_model="gpt-4o prod", stream=stream, policy=policy)


def _body(**fields: Any) -> dict[str, Any]:
    return {"model": "public", "messages": [{"role": "user", "content": "hi"}], **fields}


def _sent(adapter: AzureOpenAIAdapter, call: ChatCall) -> tuple[str, dict[str, str], dict[str, Any]]:
    request = asyncio.run(adapter.build_chat(call))
    return request.url, request.headers, orjson.loads(request.content)


# --- paths, headers, bodies -------------------------------------------------------------------


def test_the_adapter_is_registered_for_its_type() -> None:
    assert ADAPTER_TYPES["azure-openai"] is AzureOpenAIAdapter


def test_a_deployment_path_carries_the_deployment_and_api_version_and_no_model() -> None:
    url, headers, sent = _sent(
        _adapter(), _chat(_body(temperature=0.2, data_sources=[{"type": "azure_search"}]))
    )

    assert url == f"{RESOURCE}/openai/deployments/gpt-4o%20prod/chat/completions?api-version=2024-10-21"
    assert headers["api-key"] == KEY and "authorization" not in headers
    assert "model" not in sent
    assert sent["temperature"] == 0.2 and sent["data_sources"] == [{"type": "azure_search"}]


def test_a_stream_asks_for_usage() -> None:
    _, headers, sent = _sent(_adapter(), _chat(_body(stream=True), stream=True))

    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert headers["accept"] == "text/event-stream"


def test_the_v1_api_takes_the_deployment_as_the_model_and_no_api_version() -> None:
    adapter = _adapter(base_url=f"{RESOURCE}/openai/v1/", api_version=None)

    url, _, sent = _sent(adapter, _chat(_body(verbosity="low", store=True)))

    assert url == f"{RESOURCE}/openai/v1/chat/completions"
    assert sent["model"] == "gpt-4o prod"
    assert sent["verbosity"] == "low" and sent["store"] is True


def test_the_v1_api_sends_an_api_version_only_when_configured() -> None:
    adapter = _adapter(base_url=f"{RESOURCE}/openai/v1", api_version="preview")

    url, _, _ = _sent(adapter, _chat(_body()))

    assert url == f"{RESOURCE}/openai/v1/chat/completions?api-version=preview"


# --- what the api-version defines -------------------------------------------------------------


@pytest.mark.parametrize("name", ["store", "reasoning_effort", "verbosity", "service_tier", "prediction"])
def test_a_parameter_the_ga_api_version_lacks_is_refused_naming_it(name: str) -> None:
    with pytest.raises(GatewayError) as caught:
        _sent(_adapter(), _chat(_body(**{name: "x"})))

    assert caught.value.status == 400
    assert caught.value.param == name and caught.value.code == "unsupported_parameter"


def test_with_the_drop_policy_those_parameters_are_left_out() -> None:
    _, _, sent = _sent(_adapter(), _chat(_body(store=True, verbosity="low", seed=3), policy=ParamPolicy.DROP))

    assert "store" not in sent and "verbosity" not in sent and sent["seed"] == 3


def test_stream_options_keep_only_what_azure_defines() -> None:
    options = {"include_usage": True, "include_obfuscation": False}

    with pytest.raises(GatewayError) as caught:
        _sent(_adapter(), _chat(_body(stream=True, stream_options=options), stream=True))
    _, _, sent = _sent(
        _adapter(), _chat(_body(stream=True, stream_options=options), stream=True, policy=ParamPolicy.DROP)
    )

    assert caught.value.param == "stream_options.include_obfuscation"
    assert sent["stream_options"] == {"include_usage": True}


def test_a_later_api_version_defines_more() -> None:
    adapter = _adapter(api_version="2025-01-01-preview")

    _, _, sent = _sent(adapter, _chat(_body(store=True, reasoning_effort="low", modalities=["text"])))

    assert (sent["store"], sent["reasoning_effort"], sent["modalities"]) == (True, "low", ["text"])
    with pytest.raises(GatewayError) as caught:
        _sent(adapter, _chat(_body(verbosity="low")))
    assert caught.value.param == "verbosity"


def test_the_developer_role_is_sent_as_system_where_it_does_not_exist() -> None:
    messages = [{"role": "developer", "content": "terse"}, {"role": "user", "content": "hi"}]

    _, _, at_ga = _sent(_adapter(), _chat(_body(messages=messages)))
    _, _, at_preview = _sent(_adapter(api_version="2024-12-01-preview"), _chat(_body(messages=messages)))

    assert at_ga["messages"][0] == {"role": "system", "content": "terse"}
    assert at_preview["messages"][0]["role"] == "developer"


def test_an_image_passes_but_audio_input_is_refused_at_the_ga_version() -> None:
    image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}}
    audio = {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}

    _, _, sent = _sent(_adapter(), _chat(_body(messages=[{"role": "user", "content": [image]}])))
    with pytest.raises(GatewayError) as caught:
        _sent(_adapter(), _chat(_body(messages=[{"role": "user", "content": [image, audio]}])))

    assert sent["messages"][0]["content"] == [image]
    assert caught.value.status == 400 and caught.value.param == "messages[0].content[1]"


def test_only_function_tools_go_to_deployment_paths() -> None:
    tools = [{"type": "custom", "custom": {"name": "grammar"}}]

    with pytest.raises(GatewayError) as caught:
        _sent(_adapter(), _chat(_body(tools=tools)))

    assert caught.value.status == 400 and caught.value.param == "tools[0]"


def test_embeddings_on_a_deployment_path_take_text_without_a_model() -> None:
    adapter = _adapter()
    body = {"model": "public", "input": ["a", "b"], "dimensions": 256, "encoding_format": "base64"}

    request = asyncio.run(adapter.build_embeddings(EmbeddingsCall(orjson.dumps(body), "embed-3")))
    with pytest.raises(GatewayError) as caught:
        asyncio.run(adapter.build_embeddings(EmbeddingsCall(orjson.dumps({"input": [[1, 2]]}), "embed-3")))

    assert request.url == f"{RESOURCE}/openai/deployments/embed-3/embeddings?api-version=2024-10-21"
    assert orjson.loads(request.content) == {
        "input": ["a", "b"],
        "dimensions": 256,
        "encoding_format": "base64",
    }
    assert caught.value.status == 400 and caught.value.param == "input"


def test_embeddings_on_the_v1_api_name_the_deployment() -> None:
    adapter = _adapter(base_url=f"{RESOURCE}/openai/v1", api_version=None)

    request = asyncio.run(
        adapter.build_embeddings(EmbeddingsCall(b'{"model":"p","input":[[1,2]]}', "embed-3"))
    )

    assert request.url == f"{RESOURCE}/openai/v1/embeddings"
    assert orjson.loads(request.content) == {"model": "embed-3", "input": [[1, 2]]}


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"base_url": f"{RESOURCE}/openai"}, "without /openai"),
        ({"api_version": "2024-06-01"}, "older than 2024-10-21"),
        ({"api_version": "latest"}, "is not an Azure OpenAI api-version"),
        (_entra(client_id=None), "go together"),
        (_entra(api_key="env:AIGW_TEST_AZURE_KEY"), "not both"),
    ],
)
def test_a_provider_that_cannot_work_is_refused_at_start(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _adapter(**fields)


# --- Entra ID ------------------------------------------------------------------------------------


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
    adapter = _adapter(endpoint, **_entra(token_url=TOKEN_URL))

    _, first, _ = _sent(adapter, _chat(_body()))
    _, second, _ = _sent(adapter, _chat(_body()))

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
    adapter = _adapter(endpoint, **_entra(tenant_id="contoso.onmicrosoft.com"))

    _sent(adapter, _chat(_body()))

    assert endpoint.urls == ["https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"]


def test_concurrent_requests_fetch_one_token() -> None:
    endpoint = TokenEndpoint(_token("tok-1"))
    adapter = _adapter(endpoint, **_entra(token_url=TOKEN_URL))

    async def many() -> list[str]:
        built = await asyncio.gather(*(adapter.build_chat(_chat(_body())) for _ in range(5)))
        return [request.headers["authorization"] for request in built]

    assert asyncio.run(many()) == ["Bearer tok-1"] * 5
    assert len(endpoint.urls) == 1


def test_a_token_is_renewed_shortly_before_it_expires() -> None:
    clock = Clock()
    endpoint = TokenEndpoint(_token("tok-1", 3600), _token("tok-2", 3600))
    adapter = _adapter(endpoint, clock, **_entra(token_url=TOKEN_URL))

    _sent(adapter, _chat(_body()))
    clock.t += 3600 - 301
    _, still, _ = _sent(adapter, _chat(_body()))
    clock.t += 2
    _, renewed, _ = _sent(adapter, _chat(_body()))

    assert (still["authorization"], renewed["authorization"]) == ("Bearer tok-1", "Bearer tok-2")


def test_a_401_from_azure_forgets_the_token() -> None:
    endpoint = TokenEndpoint(_token("tok-1"), _token("tok-2"))
    adapter = _adapter(endpoint, **_entra(token_url=TOKEN_URL))
    _sent(adapter, _chat(_body()))

    error = adapter.map_error(
        401, {}, b'{"statusCode": 401, "message": "Unauthorized. Access token is invalid"}'
    )
    _, headers, _ = _sent(adapter, _chat(_body()))

    assert error.status == 502 and error.code == "upstream_auth_failed"
    assert headers["authorization"] == "Bearer tok-2"


def test_a_refused_secret_is_a_502_naming_entras_code_without_the_secret() -> None:
    refusal = httpx.Response(
        401,
        json={
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1\r\nTimestamp: x",
            "error_codes": [7000215],
        },
    )
    adapter = _adapter(TokenEndpoint(refusal), **_entra(token_url=TOKEN_URL))

    with pytest.raises(GatewayError) as caught:
        _sent(adapter, _chat(_body()))

    assert caught.value.status == 502 and caught.value.code == "upstream_auth_failed"
    assert "invalid_client - AADSTS7000215: Invalid client secret provided." in caught.value.message
    assert "Trace ID" not in caught.value.message and SECRET not in caught.value.message


# --- answers and streams ----------------------------------------------------------------------------


def test_an_answer_passes_through_with_its_filter_annotations() -> None:
    answer = orjson.dumps(
        {
            "id": "chatcmpl-AzF2",
            "object": "chat.completion",
            "created": 1733000000,
            "model": "gpt-4o-2024-11-20",
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "content_filter",
                    "message": {"role": "assistant", "content": "Partial"},
                    "content_filter_results": {"violence": {"filtered": True, "severity": "medium"}},
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 1, "total_tokens": 13},
        }
    )

    result = _adapter().parse_chat(answer, "gpt-4o prod")

    assert result.body == answer
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (12, 13)


def _translate(include_usage: bool, step: int = 11) -> tuple[list[dict[str, Any]], Any]:
    raw = (FIXTURES / "azure_stream_content_filter.sse").read_bytes()
    translator = _adapter().chat_stream(include_usage, "gpt-4o prod")
    payloads = [p for i in range(0, len(raw), step) for p in translator.feed(raw[i : i + step])]
    payloads += translator.finish()
    for payload in payloads:
        # What a client's OpenAI SDK makes of each chunk, validated rather than merely constructed.
        ChatCompletionChunk.model_validate_json(payload)
    return [orjson.loads(p) for p in payloads], translator.usage


def test_the_prompt_filter_chunk_is_not_sent_but_its_results_ride_on_the_first_chunk() -> None:
    chunks, _ = _translate(include_usage=True)

    assert all(chunk["id"] == "chatcmpl-AzF1" for chunk in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[0]["prompt_filter_results"][0]["content_filter_results"]["jailbreak"]["detected"] is False
    assert all("prompt_filter_results" not in chunk for chunk in chunks[1:])
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Paris is"


def test_an_annotation_only_choice_gets_an_empty_delta() -> None:
    chunks, _ = _translate(include_usage=True)

    annotated = [c for c in chunks if c["choices"] and "content_filter_offsets" in c["choices"][0]]
    assert len(annotated) == 1 and annotated[0]["choices"][0]["delta"] == {}


def test_usage_is_counted_and_sent_only_when_asked() -> None:
    with_usage, counted = _translate(include_usage=True)
    without_usage, also_counted = _translate(include_usage=False, step=5)

    assert with_usage[-1]["choices"] == [] and with_usage[-1]["usage"]["total_tokens"] == 15
    assert all("usage" not in chunk for chunk in without_usage)
    assert counted.total_tokens == also_counted.total_tokens == 15
    assert len(without_usage) == len(with_usage) - 1


def test_a_stream_cut_before_done_is_broken() -> None:
    raw = (FIXTURES / "azure_stream_content_filter.sse").read_bytes().replace(b"data: [DONE]\n\n", b"")
    translator = _adapter().chat_stream(True, "gpt-4o prod")
    translator.feed(raw)

    with pytest.raises(GatewayError) as caught:
        translator.finish()
    assert caught.value.code == "upstream_stream_broken"


# --- errors ----------------------------------------------------------------------------------------

CONTENT_FILTER = {
    "error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management "
        "policy. Please modify your prompt and retry.",
        "type": None,
        "param": "prompt",
        "code": "content_filter",
        "status": 400,
        "innererror": {
            "code": "ResponsibleAIPolicyViolation",
            "content_filter_result": {
                "hate": {"filtered": False, "severity": "safe"},
                "jailbreak": {"filtered": False, "detected": False},
                "violence": {"filtered": True, "severity": "medium"},
            },
        },
    }
}


def test_a_content_filter_refusal_is_a_400_naming_the_categories() -> None:
    error = _adapter().map_error(400, {}, orjson.dumps(CONTENT_FILTER))

    assert (error.status, error.code, error.param) == (400, "content_filter", "messages")
    assert "content filter of provider azure-east (violence: medium)" in error.message


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [({"retry-after": "1", "retry-after-ms": "1500"}, 1.5), ({"retry-after": "7"}, 7.0)],
)
def test_a_rate_limit_keeps_its_retry_after(headers: dict[str, str], retry_after: float) -> None:
    body = {
        "error": {
            "code": "429",
            "message": "Requests to the ChatCompletions_Create Operation ... retry after 1",
        }
    }

    error = _adapter().map_error(429, headers, orjson.dumps(body))

    assert (error.status, error.code, error.retry_after_s) == (429, "upstream_rate_limited", retry_after)


@pytest.mark.parametrize(
    ("status", "body", "expected_status", "expected_code"),
    [
        (401, {"error": {"code": "401", "message": "Access denied due to invalid subscription key"}}, 502,
         "upstream_auth_failed"),
        (404, {"error": {"code": "DeploymentNotFound", "message": "The API deployment for this resource does not "
                         "exist."}}, 502, "upstream_not_found"),
        (404, {"error": {"code": "404", "message": "Resource not found"}}, 502, "upstream_not_found"),
        (400, {"error": {"code": "BadRequest", "message": "API version not supported"}}, 502,
         "upstream_api_version"),
        (400, {"error": {"message": "Unrecognized request argument supplied: foo", "type": "invalid_request_error",
                         "param": None, "code": None}}, 400, "upstream_invalid_request"),
        (503, {"error": {"code": "ServiceUnavailable", "message": "Try again later."}}, 503, "upstream_overloaded"),
        (500, {"error": {"message": "The server had an error", "type": "server_error"}}, 502, "upstream_error"),
    ],
)  # fmt: skip
def test_azures_errors_are_mapped(status: int, body: Any, expected_status: int, expected_code: str) -> None:
    error = _adapter().map_error(status, {}, orjson.dumps(body))

    assert (error.status, error.code) == (expected_status, expected_code)
    assert KEY not in error.message


def test_an_unknown_field_refusal_keeps_azures_message() -> None:
    body = {
        "error": {"message": "Unrecognized request argument supplied: foo", "type": "invalid_request_error"}
    }

    error = _adapter().map_error(400, {}, orjson.dumps(body))

    assert error.message == "Unrecognized request argument supplied: foo"
