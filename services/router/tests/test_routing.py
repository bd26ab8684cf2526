"""Routing: deployments in order, fallback on retryable failures, never after a stream started."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from aigw_router.adapters import CompletionResult
from aigw_router.adapters.openai import OpenAIAdapter, OpenAIStreamTranslator
from aigw_router.operations import Operation
from aigw_router.routing import Router, StreamFinished, StreamStarted
from aigw_runtime.errors import GatewayError
from mock_router import Handler, router_over

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


def _router(handler: Handler, monkeypatch: pytest.MonkeyPatch) -> Router:
    monkeypatch.setenv("FIRST_KEY", "sk-first")
    return router_over(CONFIG, handler)


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
