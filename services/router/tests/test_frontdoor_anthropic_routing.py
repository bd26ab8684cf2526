"""Anthropic Messages through the router: Claude gets the body as sent, any other deployment a chat request.

Answers and streams from a non-Claude deployment come back translated into
Anthropic messages and events; a Claude stream is relayed as it came.
"""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import orjson
import pytest

from aigw_router.adapters import TokenUsage
from aigw_router.operations import CallOptions, Operation
from aigw_router.routing import Router, StreamFinished, StreamStarted
from aigw_runtime.errors import InvalidRequestError
from frontdoor_samples import USAGE, anthropic_events, chat_chunk, chat_completion, router_with, sse

MESSAGES = Operation.ANTHROPIC_MESSAGES
NATIVE_MESSAGE = {
    "id": "msg_native",
    "type": "message",
    "role": "assistant",
    "model": "claude-upstream",
    "content": [{"type": "text", "text": "Hi!"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 10, "output_tokens": 3, "cache_read_input_tokens": 4},
}
NATIVE_STREAM = (
    b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_n","type":"message",'
    b'"role":"assistant","model":"claude-upstream","content":[],"stop_reason":null,"stop_sequence":null,'
    b'"usage":{"input_tokens":10,"output_tokens":1}}}\n\n'
    b'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
    b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\n'
    b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
    b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}\n\n'
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)


def _body(model: str, **fields: Any) -> bytes:
    return orjson.dumps(
        {
            "model": model,
            "max_tokens": 64,
            "messages": [{"role": "user", "content": "hi"}],
            "top_k": 3,
            **fields,
        }
    )


async def test_a_claude_deployment_gets_the_body_as_sent_with_its_own_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=NATIVE_MESSAGE)

    result, route = await router_with(handler, monkeypatch).complete(MESSAGES, "claude", _body("claude"))

    sent = orjson.loads(seen[0].content)
    assert str(seen[0].url) == "http://claude.test/v1/messages"
    assert sent == {**orjson.loads(_body("claude")), "model": "claude-upstream"}
    assert orjson.loads(result.body) == NATIVE_MESSAGE
    assert (result.usage.prompt_tokens, result.usage.completion_tokens, result.usage.cached_tokens) == (
        14,
        3,
        4,
    )
    assert route.provider == "claude"


async def test_another_deployment_gets_a_chat_request_and_the_client_an_anthropic_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=chat_completion({"role": "assistant", "content": "Hi!"}, "stop"))

    result, _ = await router_with(handler, monkeypatch).complete(MESSAGES, "gpt", _body("gpt"))

    sent = orjson.loads(seen[0].content)
    assert str(seen[0].url) == "http://gpt.test/v1/chat/completions"
    assert sent == {
        "model": "gpt-upstream",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 64,
    }
    message = anthropic.types.Message.model_validate(orjson.loads(result.body))
    assert message.content[0].type == "text" and message.content[0].text == "Hi!"
    assert message.model == "gpt-4o" and message.stop_reason == "end_turn"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (40, 9)


async def test_beta_features_go_to_claude_in_its_header_and_nowhere_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if "claude" in str(request.url):
            return httpx.Response(200, json=NATIVE_MESSAGE)
        return httpx.Response(200, json=chat_completion({"role": "assistant", "content": "Hi!"}, "stop"))

    router = router_with(handler, monkeypatch)
    options = CallOptions(anthropic_beta=("context-management-2025-06-27", "prompt-caching-2024-07-31"))
    await router.complete(MESSAGES, "claude", _body("claude"), options)
    await router.complete(MESSAGES, "gpt", _body("gpt"), options)
    await router.complete(MESSAGES, "claude", _body("claude"))

    assert seen[0].headers["anthropic-beta"] == "context-management-2025-06-27,prompt-caching-2024-07-31"
    assert "anthropic-beta" not in seen[1].headers
    assert "anthropic-beta" not in seen[2].headers


async def _collect(router: Router, model: str, body: bytes) -> tuple[list[bytes], TokenUsage]:
    frames: list[bytes] = []
    usage = TokenUsage()
    async for event in router.stream(MESSAGES, model, body, include_usage=True):
        if isinstance(event, list):
            frames.extend(event)
        elif isinstance(event, StreamFinished):
            usage = event.usage
        else:
            assert isinstance(event, StreamStarted)
    return frames, usage


async def test_a_claude_stream_is_relayed_event_by_event(monkeypatch: pytest.MonkeyPatch) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert orjson.loads(request.content)["stream"] is True
        return httpx.Response(200, content=NATIVE_STREAM, headers={"content-type": "text/event-stream"})

    frames, usage = await _collect(router_with(handler, monkeypatch), "claude", _body("claude", stream=True))

    assert b"".join(frames) == NATIVE_STREAM
    assert (usage.prompt_tokens, usage.completion_tokens) == (10, 2)


async def test_another_deployments_stream_is_translated_and_asked_for_usage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        sent = orjson.loads(request.content)
        assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
        raw = sse(
            chat_chunk({"role": "assistant", "content": "Hi"}),
            chat_chunk({}, "stop"),
            chat_chunk(None, usage=USAGE),
        )
        return httpx.Response(200, content=raw, headers={"content-type": "text/event-stream"})

    frames, usage = await _collect(router_with(handler, monkeypatch), "gpt", _body("gpt", stream=True))

    events = anthropic_events(frames)
    assert events[0]["type"] == "message_start" and events[-1]["type"] == "message_stop"
    assert (usage.prompt_tokens, usage.completion_tokens) == (12, 5)


async def test_a_request_only_claude_can_serve_is_refused_before_any_upstream_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no upstream call is made")

    body = _body("gpt", tools=[{"type": "web_search_20250305", "name": "web_search"}])
    with pytest.raises(InvalidRequestError) as refused:
        await router_with(handler, monkeypatch).complete(MESSAGES, "gpt", body)

    assert refused.value.param == "tools[0].type"
