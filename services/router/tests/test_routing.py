"""Routing: deployments in order, fallback on retryable failures, never after a stream started; batches sent in parts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import httpx
import orjson
import pytest

from aigw_router.adapters import AdapterServices, CompletionResult
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.openai import OpenAIAdapter, OpenAIStreamTranslator
from aigw_router.catalog import Catalog
from aigw_router.operations import MAX_IN_FLIGHT_PER_CALL, Operation
from aigw_router.routing import Router, StreamFinished, StreamStarted
from aigw_router.upstream import UpstreamCaller
from aigw_runtime.config import parse_config
from aigw_runtime.errors import GatewayError

CONFIG = """\
providers:
  - {name: first, type: openai, base_url: "http://first.test/v1", api_key: "env:FIRST_KEY"}
  - {name: second, type: openai-compatible, base_url: "http://second.test/v1"}
models:
  - name: chat
    deployments:
      - {provider: first, model: model-a}
      - {provider: second, model: model-b}
"""

CHAT = Operation.CHAT_COMPLETIONS
BODY = orjson.dumps({"model": "chat", "messages": [{"role": "user", "content": "hi"}]})
ANSWER = {
    "id": "c",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}


Handler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
)


def _router(handler: Handler, monkeypatch: pytest.MonkeyPatch, config: str = CONFIG) -> Router:
    monkeypatch.setenv("FIRST_KEY", "sk-first")
    monkeypatch.setenv("UPSTREAM_KEY", "upstream-key")
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    services = AdapterServices(http=client, images=ImageFetcher(client))
    return Router(Catalog.from_config(parse_config(config), services), UpstreamCaller(client, tracing=False))


def _sse(*payloads: bytes, done: bool = True) -> bytes:
    return b"".join(b"data: " + p + b"\n\n" for p in payloads) + (b"data: [DONE]\n\n" if done else b"")


CHUNK = b'{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"ok"}}]}'
USAGE = b'{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}'


async def test_the_first_deployment_answers_when_it_can(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=ANSWER)

    result, route = await _router(handler, monkeypatch).complete(CHAT, "chat", BODY)

    assert (route.provider, route.deployment, route.attempts) == ("first", "model-a", 1)
    assert result.usage.total_tokens == 4
    assert seen[0].headers["authorization"] == "Bearer sk-first"
    assert orjson.loads(seen[0].content)["model"] == "model-a"


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(429, headers={"retry-after": "3"}, json={"error": {"message": "slow"}}),
        httpx.Response(503, json={"error": {"message": "overloaded"}}),
        httpx.Response(500, text="boom"),
    ],
)
async def test_a_retryable_failure_falls_back_to_the_next_deployment(
    failure: httpx.Response, monkeypatch: pytest.MonkeyPatch
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "first.test":
            return failure
        assert "authorization" not in request.headers
        return httpx.Response(200, json=ANSWER)

    _, route = await _router(handler, monkeypatch).complete(CHAT, "chat", BODY)

    assert (route.provider, route.deployment, route.attempts) == ("second", "model-b", 2)


async def test_a_bad_request_is_not_retried_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return httpx.Response(400, json={"error": {"message": "Invalid 'messages'", "param": "messages"}})

    with pytest.raises(GatewayError) as caught:
        await _router(handler, monkeypatch).complete(CHAT, "chat", BODY)

    assert hosts == ["first.test"]
    assert caught.value.status == 400 and caught.value.param == "messages"


async def test_when_every_deployment_fails_the_last_error_is_returned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "first.test":
            raise httpx.ConnectError("refused")
        raise httpx.ReadTimeout("slow")

    with pytest.raises(GatewayError) as caught:
        await _router(handler, monkeypatch).complete(CHAT, "chat", BODY)

    assert caught.value.status == 504


async def test_an_unknown_model_is_a_404(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(GatewayError) as caught:
        await _router(lambda r: httpx.Response(200, json=ANSWER), monkeypatch).complete(CHAT, "nope", BODY)
    assert caught.value.status == 404 and caught.value.code == "model_not_found"


async def _collect(events: AsyncIterator[object]) -> list[object]:
    return [event async for event in events]


async def test_a_stream_starts_then_relays_chunks_then_usage(monkeypatch: pytest.MonkeyPatch) -> None:
    router = _router(lambda r: httpx.Response(200, content=_sse(CHUNK, USAGE)), monkeypatch)

    events = await _collect(router.stream(CHAT, "chat", BODY, include_usage=False))

    assert isinstance(events[0], StreamStarted) and events[0].route.provider == "first"
    assert events[1:-1] == [[CHUNK]]
    assert isinstance(events[-1], StreamFinished) and events[-1].usage.total_tokens == 4


async def test_a_stream_that_fails_before_starting_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "first.test":
            return httpx.Response(429, json={"error": {"message": "slow"}})
        return httpx.Response(200, content=_sse(CHUNK, USAGE))

    events = await _collect(_router(handler, monkeypatch).stream(CHAT, "chat", BODY, include_usage=True))

    assert isinstance(events[0], StreamStarted) and events[0].route.attempts == 2


async def test_a_stream_that_breaks_after_starting_is_an_error_not_a_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return httpx.Response(200, content=_sse(CHUNK, done=False))

    events: list[object] = []
    with pytest.raises(GatewayError) as caught:
        async for event in _router(handler, monkeypatch).stream(CHAT, "chat", BODY, include_usage=False):
            events.append(event)

    assert hosts == ["first.test"]
    assert isinstance(events[0], StreamStarted) and events[1] == [CHUNK]
    assert caught.value.code == "upstream_stream_broken"


async def test_an_in_stream_error_in_the_same_bytes_as_chunks_relays_the_chunks_then_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    error = b'{"error":{"message":"overloaded","type":"server_error","param":null,"code":null}}'

    def handler(request: httpx.Request) -> httpx.Response:
        # One body, so the chunk and the error reach the translator in the same bytes.
        return httpx.Response(200, content=_sse(CHUNK, error, done=False))

    events: list[object] = []
    with pytest.raises(GatewayError) as caught:
        async for event in _router(handler, monkeypatch).stream(CHAT, "chat", BODY, include_usage=False):
            events.append(event)

    assert isinstance(events[0], StreamStarted) and events[1:] == [[CHUNK]]
    assert caught.value.status == 502 and caught.value.code == "upstream_error"


async def test_an_answer_the_adapter_cannot_read_is_a_502_and_falls_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unreadable(self: OpenAIAdapter, content: bytes, upstream_model: str) -> CompletionResult:
        if self.name == "first":
            raise KeyError("a field the adapter assumed")
        return CompletionResult(body=content)

    monkeypatch.setattr(OpenAIAdapter, "parse_chat", unreadable)
    router = _router(lambda r: httpx.Response(200, json=ANSWER), monkeypatch)

    result, route = await router.complete(CHAT, "chat", BODY)

    assert route.provider == "second" and route.attempts == 2
    assert orjson.loads(result.body)["choices"][0]["message"]["content"] == "ok"


async def test_a_stream_the_adapter_cannot_read_ends_in_a_502_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unreadable(self: OpenAIStreamTranslator, data: bytes, payloads: list[bytes]) -> None:
        raise TypeError("a shape the translator assumed")

    monkeypatch.setattr(OpenAIStreamTranslator, "read", unreadable)
    router = _router(lambda r: httpx.Response(200, content=_sse(CHUNK, USAGE)), monkeypatch)

    with pytest.raises(GatewayError) as caught:
        await _collect(router.stream(CHAT, "chat", BODY, include_usage=False))

    assert caught.value.status == 502 and caught.value.code == "upstream_malformed"


# --- embeddings: a batch the provider takes in several requests ------------------------------

EMBEDDINGS = Operation.EMBEDDINGS
EMBED_CONFIG = """\
providers:
  - {name: co, type: cohere, base_url: "http://cohere.test", api_key: "env:UPSTREAM_KEY"}
  - {name: br, type: bedrock, base_url: "http://bedrock.test", region: us-east-1, api_key: "env:UPSTREAM_KEY"}
  - {name: oa, type: openai, base_url: "http://openai.test/v1", api_key: "env:FIRST_KEY"}
models:
  - name: cohere-embed
    deployments:
      - {provider: co, model: embed-v4.0}
      - {provider: oa, model: text-embedding-3-small}
  - name: titan
    deployments: [{provider: br, model: "amazon.titan-embed-text-v2:0"}]
  - name: bedrock-cohere
    deployments: [{provider: br, model: "cohere.embed-english-v3"}]
  - name: openai-embed
    deployments: [{provider: oa, model: text-embedding-3-small}]
"""


def _vector(text: str) -> list[float]:
    """A vector that names its text ("t17" -> [17.0]), so order can be checked."""
    return [float(text.removeprefix("t"))]


def _embed_answer(request: httpx.Request) -> httpx.Response:
    """What each provider answers, derived from the request: Cohere, Titan, Bedrock's Cohere, OpenAI."""
    body: dict[str, Any] = orjson.loads(request.content)
    if request.url.host == "cohere.test":
        vectors = [_vector(text) for text in body["texts"]]
        return httpx.Response(
            200,
            json={"embeddings": {"float": vectors}, "meta": {"billed_units": {"input_tokens": len(vectors)}}},
        )
    if "inputText" in body:
        return httpx.Response(
            200,
            json={"embedding": _vector(body["inputText"]), "inputTextTokenCount": 2},
            headers={"X-Amzn-Bedrock-Input-Token-Count": "2"},
        )
    if "texts" in body:
        headers = {"X-Amzn-Bedrock-Input-Token-Count": str(3 * len(body["texts"]))}
        return httpx.Response(200, json={"embeddings": [_vector(t) for t in body["texts"]]}, headers=headers)
    data = [{"object": "embedding", "index": i, "embedding": _vector(t)} for i, t in enumerate(body["input"])]
    usage = {"prompt_tokens": len(data), "total_tokens": len(data)}
    return httpx.Response(200, json={"object": "list", "data": data, "model": body["model"], "usage": usage})


def _texts(count: int) -> list[str]:
    return [f"t{n}" for n in range(count)]


def _embed_body(model: str, count: int, **fields: object) -> bytes:
    return orjson.dumps({"model": model, "input": _texts(count), **fields})


def _vectors(body: bytes) -> list[list[float]]:
    data = orjson.loads(body)["data"]
    assert [item["index"] for item in data] == list(range(len(data)))
    return [item["embedding"] for item in data]


async def test_a_cohere_batch_of_200_is_three_requests_assembled_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(orjson.loads(request.content)["texts"])
        return _embed_answer(request)

    result, route = await _router(handler, monkeypatch, EMBED_CONFIG).complete(
        EMBEDDINGS, "cohere-embed", _embed_body("cohere-embed", 200)
    )

    assert sorted(len(texts) for texts in seen) == [8, 96, 96]
    assert _vectors(result.body) == [_vector(t) for t in _texts(200)]
    assert result.usage.prompt_tokens == 200 and route.attempts == 1


async def test_bedrock_token_counts_come_from_the_response_header_of_every_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    router = _router(_embed_answer, monkeypatch, EMBED_CONFIG)

    titan, _ = await router.complete(EMBEDDINGS, "titan", _embed_body("titan", 5))
    cohere, _ = await router.complete(EMBEDDINGS, "bedrock-cohere", _embed_body("bedrock-cohere", 100))

    assert _vectors(titan.body) == [_vector(t) for t in _texts(5)]
    assert titan.usage.prompt_tokens == 10
    assert _vectors(cohere.body) == [_vector(t) for t in _texts(100)]
    assert cohere.usage.prompt_tokens == 300


async def test_the_requests_of_a_batch_run_concurrently_but_never_more_than_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return _embed_answer(request)

    result, _ = await _router(handler, monkeypatch, EMBED_CONFIG).complete(
        EMBEDDINGS, "titan", _embed_body("titan", 40)
    )

    assert peak == MAX_IN_FLIGHT_PER_CALL
    assert _vectors(result.body) == [_vector(t) for t in _texts(40)]


async def test_a_call_of_one_request_is_sent_from_the_callers_own_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tasks: list[asyncio.Task[Any] | None] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        tasks.append(asyncio.current_task())
        return _embed_answer(request)

    router = _router(handler, monkeypatch, EMBED_CONFIG)
    caller = asyncio.current_task()

    await router.complete(EMBEDDINGS, "openai-embed", _embed_body("openai-embed", 2048))
    await router.complete(EMBEDDINGS, "titan", _embed_body("titan", 1))
    await router.complete(EMBEDDINGS, "titan", _embed_body("titan", 2))

    assert tasks[:2] == [caller, caller]
    assert caller not in tasks[2:]


async def test_a_retryable_failure_of_one_request_sends_the_whole_batch_to_the_next_deployment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cohere_calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal cohere_calls
        if request.url.host == "cohere.test":
            cohere_calls += 1
            if cohere_calls == 2:
                return httpx.Response(429, headers={"retry-after": "2"}, json={"message": "slow down"})
        return _embed_answer(request)

    result, route = await _router(handler, monkeypatch, EMBED_CONFIG).complete(
        EMBEDDINGS, "cohere-embed", _embed_body("cohere-embed", 200)
    )

    assert (route.provider, route.attempts) == ("oa", 2)
    assert _vectors(result.body) == [_vector(t) for t in _texts(200)]


async def test_a_failed_request_fails_the_whole_call_and_stops_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        text = orjson.loads(request.content)["inputText"]
        sent.append(text)
        if text == "t3":
            return httpx.Response(
                400, headers={"x-amzn-errortype": "ValidationException"}, json={"message": "bad input"}
            )
        await asyncio.sleep(0.01)
        return _embed_answer(request)

    with pytest.raises(GatewayError) as caught:
        await _router(handler, monkeypatch, EMBED_CONFIG).complete(
            EMBEDDINGS, "titan", _embed_body("titan", 64)
        )

    assert caught.value.status == 400
    assert len(sent) <= 2 * MAX_IN_FLIGHT_PER_CALL


async def test_a_batch_over_2048_inputs_is_a_400_naming_input_before_anything_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return _embed_answer(request)

    with pytest.raises(GatewayError) as caught:
        await _router(handler, monkeypatch, EMBED_CONFIG).complete(
            EMBEDDINGS, "cohere-embed", _embed_body("cohere-embed", 2049)
        )

    assert (caught.value.status, caught.value.param) == (400, "input") and sent == []
