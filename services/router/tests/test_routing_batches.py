"""Embeddings batches through the router: sent in parts, concurrently within a bound, joined in order, failing whole."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
import pytest

from aigw_router.operations import MAX_IN_FLIGHT_PER_CALL, Operation
from aigw_router.routing import Router
from aigw_runtime.errors import GatewayError
from mock_router import Handler, router_over


def _router(handler: Handler, monkeypatch: pytest.MonkeyPatch) -> Router:
    monkeypatch.setenv("FIRST_KEY", "sk-first")
    monkeypatch.setenv("UPSTREAM_KEY", "upstream-key")
    return router_over(EMBED_CONFIG, handler)


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

    result, route = await _router(handler, monkeypatch).complete(
        EMBEDDINGS, "cohere-embed", _embed_body("cohere-embed", 200)
    )

    assert sorted(len(texts) for texts in seen) == [8, 96, 96]
    assert _vectors(result.body) == [_vector(t) for t in _texts(200)]
    assert result.usage.prompt_tokens == 200 and route.attempts == 1


async def test_bedrock_token_counts_come_from_the_response_header_of_every_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    router = _router(_embed_answer, monkeypatch)

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

    result, _ = await _router(handler, monkeypatch).complete(EMBEDDINGS, "titan", _embed_body("titan", 40))

    assert peak == MAX_IN_FLIGHT_PER_CALL
    assert _vectors(result.body) == [_vector(t) for t in _texts(40)]


async def test_a_call_of_one_request_is_sent_from_the_callers_own_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tasks: list[asyncio.Task[Any] | None] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        tasks.append(asyncio.current_task())
        return _embed_answer(request)

    router = _router(handler, monkeypatch)
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

    result, route = await _router(handler, monkeypatch).complete(
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
        await _router(handler, monkeypatch).complete(EMBEDDINGS, "titan", _embed_body("titan", 64))

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
        await _router(handler, monkeypatch).complete(
            EMBEDDINGS, "cohere-embed", _embed_body("cohere-embed", 2049)
        )

    assert (caught.value.status, caught.value.param) == (400, "input") and sent == []
