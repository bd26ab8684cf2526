"""The OpenAI adapter: canonical in, native out, and back; streams pass through as they come."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import orjson
import pytest

from aigw_router.adapters import AdapterServices, ChatCall, EmbeddingsCall, UpstreamAnswer, UpstreamRequest
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.openai import OpenAIAdapter
from aigw_runtime.config import ProviderConfig
from aigw_runtime.errors import GatewayError
from stream_checks import until_failure

FIXTURES = Path(__file__).parent / "fixtures"


def _adapter(api_key: str | None = "sk-upstream") -> OpenAIAdapter:
    os.environ["AIGW_TEST_OPENAI_KEY"] = api_key or ""
    provider = ProviderConfig(
        name="main",
        type="openai",
        base_url="https://api.openai.com/v1/",
        api_key="env:AIGW_TEST_OPENAI_KEY" if api_key else None,
    )
    client = httpx.AsyncClient()
    return OpenAIAdapter(provider, AdapterServices(http=client, images=ImageFetcher(client)))


def _build(body: bytes, model: str, stream: bool, api_key: str | None = "sk-upstream") -> UpstreamRequest:
    call = ChatCall(body=body, upstream_model=model, stream=stream)
    return asyncio.run(_adapter(api_key).build_chat(call))


def _body(**fields: object) -> bytes:
    return orjson.dumps({"model": "public-name", "messages": [{"role": "user", "content": "hi"}], **fields})


def test_a_request_goes_out_with_the_deployments_model_and_the_upstream_key() -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    body = _body(
        messages=[{"role": "user", "content": [{"type": "text", "text": "look"}, image]}],
        tools=[{"type": "function", "function": {"name": "f"}}],
        seed=7,
        vendor_extra={"k": 1},
    )

    request = _build(body, "gpt-4o-mini", stream=False)

    assert request.url == "https://api.openai.com/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-upstream"
    sent = orjson.loads(request.content)
    assert sent["model"] == "gpt-4o-mini"
    assert sent["messages"][0]["content"][1] == image
    assert sent["tools"] == [{"type": "function", "function": {"name": "f"}}]
    assert sent["seed"] == 7 and sent["vendor_extra"] == {"k": 1}
    assert "stream" not in sent and "stream_options" not in sent


def test_a_server_without_a_key_gets_no_authorization_header() -> None:
    request = _build(_body(), "llama", stream=False, api_key=None)
    assert "authorization" not in request.headers


def test_a_stream_always_asks_upstream_for_usage() -> None:
    request = _build(_body(stream=True), "gpt-4o-mini", stream=True)

    sent = orjson.loads(request.content)
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert request.headers["accept"] == "text/event-stream"


def test_a_recorded_answer_passes_through_with_its_usage() -> None:
    answer = orjson.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
            ],
            "usage": {
                "prompt_tokens": 9,
                "completion_tokens": 2,
                "total_tokens": 11,
                "prompt_tokens_details": {"cached_tokens": 4},
                "completion_tokens_details": {"reasoning_tokens": 1},
            },
        }
    )

    result = _adapter().parse_chat(answer, "gpt-4o-mini")

    assert result.body == answer
    assert (
        result.usage.prompt_tokens,
        result.usage.completion_tokens,
        result.usage.total_tokens,
        result.usage.cached_tokens,
        result.usage.reasoning_tokens,
    ) == (9, 2, 11, 4, 1)


@pytest.mark.parametrize("content", [b"<html>oops</html>", b'{"object": "list"}'])
def test_an_answer_that_is_not_a_completion_is_a_502(content: bytes) -> None:
    with pytest.raises(GatewayError) as caught:
        _adapter().parse_chat(content, "gpt-4o-mini")
    assert caught.value.status == 502


def _translate(raw: bytes, include_usage: bool, step: int = 7) -> tuple[list[bytes], object]:
    translator = _adapter().chat_stream(include_usage, "gpt-4o-mini")
    out = [p for i in range(0, len(raw), step) for p in translator.feed(raw[i : i + step])]
    out += translator.finish()
    return out, translator.usage


def test_a_stream_keeps_the_usage_chunk_when_the_client_asked_for_it() -> None:
    raw = (FIXTURES / "openai_stream_usage.sse").read_bytes()

    payloads, usage = _translate(raw, include_usage=True)

    assert len(payloads) == 4
    assert orjson.loads(payloads[-1])["usage"]["total_tokens"] == 15
    assert usage is not None and usage.prompt_tokens == 14  # type: ignore[attr-defined]


def test_a_stream_drops_usage_the_client_did_not_ask_for_but_still_counts_it() -> None:
    raw = (FIXTURES / "openai_tool_call_stream.sse").read_bytes()

    payloads, usage = _translate(raw, include_usage=False)

    assert len(payloads) == 4
    assert all(b'"usage"' not in p for p in payloads)
    chunks = [orjson.loads(p) for p in payloads]
    first_call = chunks[0]["choices"][0]["delta"]["tool_calls"][0]
    assert (first_call["index"], first_call["id"], first_call["function"]["name"]) == (
        0,
        "call_9",
        "get_weather",
    )
    arguments = "".join(
        c["choices"][0]["delta"].get("tool_calls", [{}])[0].get("function", {}).get("arguments", "")
        for c in chunks
        if c["choices"][0]["delta"].get("tool_calls")
    )
    assert orjson.loads(arguments) == {"city": "Paris"}
    assert usage is not None and usage.cached_tokens == 32  # type: ignore[attr-defined]


def test_a_stream_without_done_is_broken() -> None:
    raw = (FIXTURES / "openai_stream_usage.sse").read_bytes().replace(b"data: [DONE]\n\n", b"")
    translator = _adapter().chat_stream(True, "gpt-4o-mini")
    translator.feed(raw)

    with pytest.raises(GatewayError) as caught:
        translator.finish()
    assert caught.value.status == 502 and caught.value.code == "upstream_stream_broken"


def test_an_error_event_inside_a_stream_raises_after_the_chunks_before_it() -> None:
    translator = _adapter().chat_stream(True, "gpt-4o-mini")
    error = b'data: {"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}\n\n'
    chunk = b'{"id":"x","choices":[{"index":0,"delta":{"content":"error"}}]}'

    delivered, failure = until_failure(translator, b"data: " + chunk + b"\n\n" + error)

    assert delivered == [chunk] and failure.status == 502
    with pytest.raises(GatewayError):
        _adapter().chat_stream(True, "gpt-4o-mini").feed(error)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (
            {"type": "rate_limit_error", "code": "rate_limit_exceeded", "message": "slow down"},
            429,
            "upstream_rate_limited",
        ),
        (
            {"type": "server_error", "code": "server_is_overloaded", "message": "busy"},
            503,
            "upstream_overloaded",
        ),
        ({"type": "server_error", "code": None, "message": "oops"}, 502, "upstream_error"),
        ("a bare string", 502, "upstream_error"),
    ],
)
def test_an_in_stream_error_keeps_its_meaning(error: object, status: int, code: str) -> None:
    translator = _adapter().chat_stream(True, "gpt-4o-mini")

    _, failure = until_failure(translator, b"data: " + orjson.dumps({"error": error}) + b"\n\n")

    assert (failure.status, failure.code) == (status, code)


@pytest.mark.parametrize(
    ("status", "headers", "body", "expected_status", "expected_code"),
    [
        (
            400,
            {},
            b'{"error":{"message":"Unrecognized request argument supplied: foo","type":"invalid_request_error","param":"foo","code":null}}',
            400,
            "upstream_invalid_request",
        ),
        (
            401,
            {},
            b'{"error":{"message":"Incorrect API key provided: sk-abcdef****1234.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}',
            502,
            "upstream_auth_failed",
        ),
        (
            429,
            {"retry-after": "20"},
            b'{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}',
            429,
            "upstream_rate_limited",
        ),
        (
            500,
            {},
            b'{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}',
            502,
            "upstream_error",
        ),
        (
            503,
            {},
            b'{"error":{"message":"The engine is currently overloaded","type":"server_error","param":null,"code":null}}',
            503,
            "upstream_overloaded",
        ),
        (504, {}, b"gateway timeout", 504, "upstream_timeout"),
        (413, {}, b"too big", 413, "upstream_invalid_request"),
    ],
)
def test_provider_errors_map_to_openai_statuses_without_credentials(
    status: int, headers: dict[str, str], body: bytes, expected_status: int, expected_code: str
) -> None:
    error = _adapter().map_error(status, headers, body)

    assert (error.status, error.code) == (expected_status, expected_code)
    assert "sk-abcdef" not in error.message
    if status == 429:
        assert error.retry_after_s == 20.0
    if status == 400:
        assert error.param == "foo" and "Unrecognized request argument" in error.message


# --- token counting --------------------------------------------------------------


def test_openai_cannot_count_tokens_and_says_so_rather_than_estimate() -> None:
    adapter = _adapter()
    call = ChatCall(body=_body(), upstream_model="gpt-4o-mini", stream=False)

    with pytest.raises(GatewayError) as refused:
        asyncio.run(adapter.build_chat_token_count(call))
    with pytest.raises(GatewayError) as unread:
        adapter.parse_chat_token_count(b'{"input_tokens": 3}')

    error = refused.value
    assert (error.status, error.code, error.param) == (400, "unsupported_operation", "model")
    assert error.message.startswith("Provider main (openai) cannot count tokens")
    assert unread.value.code == "unsupported_operation"


# --- embeddings ------------------------------------------------------------------


def _embeddings_answer(indexes: list[object]) -> bytes:
    data = [{"object": "embedding", "index": i, "embedding": [float(n)]} for n, i in enumerate(indexes)]
    usage = {"prompt_tokens": 5, "total_tokens": 5}
    return orjson.dumps({"object": "list", "data": data, "model": "text-embedding-3-small", "usage": usage})


def test_an_embeddings_batch_is_one_request_whatever_its_size() -> None:
    call = EmbeddingsCall(body=orjson.dumps({"model": "e", "input": ["x"] * 2048}), upstream_model="te-3")
    adapter = _adapter()

    [part] = adapter.split_embeddings(call)
    request = asyncio.run(adapter.build_embeddings(part))

    assert part is call
    assert request.url == "https://api.openai.com/v1/embeddings"
    assert orjson.loads(request.content) == {"model": "te-3", "input": ["x"] * 2048}


def test_an_embeddings_answer_in_input_order_passes_through_untouched() -> None:
    content = _embeddings_answer([0, 1, 2])
    call = EmbeddingsCall(body=b'{"model":"e","input":["a","b","c"]}', upstream_model="te-3")

    result = _adapter().parse_embeddings([UpstreamAnswer(content, {})], call)

    assert result.body is content
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (5, 5)


def test_an_embeddings_answer_out_of_order_is_put_in_input_order() -> None:
    content = _embeddings_answer([2, 0, 1])
    call = EmbeddingsCall(body=b'{"model":"e","input":["a","b","c"]}', upstream_model="te-3")

    result = _adapter().parse_embeddings([UpstreamAnswer(content, {})], call)

    data = orjson.loads(result.body)["data"]
    assert [(item["index"], item["embedding"]) for item in data] == [(0, [1.0]), (1, [2.0]), (2, [0.0])]


@pytest.mark.parametrize("indexes", [[0, 0], [0, None], [1, 2]], ids=["repeated", "missing", "off by one"])
def test_embeddings_without_the_indexes_0_to_n_are_a_502(indexes: list[object]) -> None:
    call = EmbeddingsCall(body=b'{"model":"e","input":["a","b"]}', upstream_model="te-3")
    with pytest.raises(GatewayError) as caught:
        _adapter().parse_embeddings([UpstreamAnswer(_embeddings_answer(indexes), {})], call)
    assert caught.value.status == 502
