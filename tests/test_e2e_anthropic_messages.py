"""Anthropic's Messages API as aigw's second front door, driven by the official `anthropic` SDK.

One model is Claude (a `type: anthropic` provider: requests pass through), one
is served over OpenAI's API (requests and answers are translated); the SDK
must not be able to tell them apart. Keys, limits, metering, caching and
errors work the same as on the OpenAI door, in Anthropic's shapes.
"""

from __future__ import annotations

import json
import time
from typing import Any

import anthropic
import httpx
import orjson
import pytest

from harness import FakeProvider, Gateway

SUITE_CONFIG = """\
providers:
  - name: claude
    type: anthropic
    base_url: {fake_url}
    api_key: env:FAKE_UPSTREAM_KEY
    timeout_s: 3
  - name: gpt
    type: openai
    base_url: {fake_url}/v1
    api_key: env:FAKE_UPSTREAM_KEY
    timeout_s: 3
models:
  - name: claude
    deployments: [{{provider: claude, model: claude-fake}}]
  - name: gpt
    deployments: [{{provider: gpt, model: gpt-fake}}]
  - name: claude-faulty
    deployments: [{{provider: claude, model: claude-faulty}}]
  - name: gpt-faulty
    deployments: [{{provider: gpt, model: gpt-faulty}}]
  - name: gpt-cached
    deployments: [{{provider: gpt, model: gpt-cached}}]
    cache: {{enabled: true, ttl_s: 60}}
"""
MODELS = ["claude", "gpt"]
UPSTREAM_PATH = {"claude": "/v1/messages", "gpt": "/v1/chat/completions"}
WEATHER: anthropic.types.ToolParam = {
    "name": "get_weather",
    "description": "The current weather in a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
HELLO: list[Any] = [{"role": "user", "content": "hello there gateway"}]


@pytest.fixture(scope="module")
def key(suite_gateway: Gateway) -> str:
    created: str = suite_gateway.create_key("anthropic-sdk")["key"]
    return created


@pytest.fixture(scope="module")
def client(suite_gateway: Gateway, key: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=suite_gateway.url, api_key=key, max_retries=0)


def _error(failure: pytest.ExceptionInfo[anthropic.APIStatusError]) -> dict[str, Any]:
    """The body of the error answer the SDK raised for."""
    body = failure.value.body
    assert isinstance(body, dict) and body["type"] == "error"
    error: dict[str, Any] = body["error"]
    return error


def _upstream_paths(fake: FakeProvider) -> list[str]:
    return [request["path"] for request in fake.requests()]


# --- messages, streamed and not ------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_a_message_comes_back_as_the_sdks_message(
    client: anthropic.Anthropic, suite_fake: FakeProvider, model: str
) -> None:
    message = client.messages.create(model=model, max_tokens=50, messages=HELLO)

    assert message.type == "message" and message.role == "assistant"
    assert message.id.startswith("msg_") and message.model == f"{model}-fake"
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].type == "text" and message.content[0].text == "Echo: hello there gateway"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 3 and message.usage.output_tokens == 4
    assert _upstream_paths(suite_fake) == [UPSTREAM_PATH[model]]


@pytest.mark.parametrize("model", MODELS)
def test_a_streamed_message_arrives_as_anthropics_events(client: anthropic.Anthropic, model: str) -> None:
    events = list(client.messages.create(model=model, max_tokens=50, messages=HELLO, stream=True))

    kinds = [event.type for event in events]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    text = "".join(
        event.delta.text
        for event in events
        if event.type == "content_block_delta" and event.delta.type == "text_delta"
    )
    assert text == "Echo: hello there gateway"
    final = next(event for event in events if event.type == "message_delta")
    assert final.delta.stop_reason == "end_turn" and final.usage.output_tokens == 4


@pytest.mark.parametrize("model", MODELS)
def test_the_sdks_stream_helper_builds_the_final_message(client: anthropic.Anthropic, model: str) -> None:
    with client.messages.stream(model=model, max_tokens=50, messages=HELLO) as stream:
        pieces = list(stream.text_stream)
        message = stream.get_final_message()

    assert "".join(pieces) == "Echo: hello there gateway"
    assert message.content[0].type == "text" and message.content[0].text == "Echo: hello there gateway"
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (3, 4)


# --- tool use --------------------------------------------------------------------------


def _tool_round_trip(client: anthropic.Anthropic, model: str, stream: bool) -> tuple[Any, Any]:
    question: list[Any] = [{"role": "user", "content": "What is the weather in Paris?"}]

    def ask(messages: list[Any]) -> anthropic.types.Message:
        if not stream:
            return client.messages.create(model=model, max_tokens=100, tools=[WEATHER], messages=messages)
        with client.messages.stream(model=model, max_tokens=100, tools=[WEATHER], messages=messages) as s:
            return s.get_final_message()

    first = ask(question)
    call = next(block for block in first.content if block.type == "tool_use")
    second = ask(
        [
            *question,
            {
                "role": "assistant",
                "content": [block.model_dump(exclude_none=True) for block in first.content],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny, 24C"}],
            },
        ]
    )
    return first, second


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("model", MODELS)
def test_a_tool_round_trip_works_on_every_model(
    client: anthropic.Anthropic, model: str, stream: bool
) -> None:
    first, second = _tool_round_trip(client, model, stream)

    call = next(block for block in first.content if block.type == "tool_use")
    assert first.stop_reason == "tool_use"
    assert call.name == "get_weather" and call.id and isinstance(call.input, dict) and "city" in call.input
    assert second.stop_reason == "end_turn"
    assert second.content[0].type == "text" and second.content[0].text == "Tool results: sunny, 24C"


# --- count_tokens ------------------------------------------------------------------------


def test_claude_counts_tokens(client: anthropic.Anthropic) -> None:
    counted = client.messages.count_tokens(model="claude", messages=HELLO)

    assert counted.input_tokens == 3


def test_a_model_that_cannot_count_tokens_says_so(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as refused:
        client.messages.count_tokens(model="gpt", messages=HELLO)

    assert refused.value.body == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": _error(refused)["message"]},
    }
    assert "cannot count tokens" in _error(refused)["message"]


# --- keys -----------------------------------------------------------------------------------


def test_both_x_api_key_and_bearer_are_accepted(suite_gateway: Gateway, key: str) -> None:
    body = {"model": "claude", "max_tokens": 20, "messages": HELLO}

    with_x_api_key = httpx.post(f"{suite_gateway.v1}/messages", json=body, headers={"x-api-key": key})
    # Coding agents add ?beta=true when they use beta features; the path is the same door.
    with_bearer = httpx.post(
        f"{suite_gateway.v1}/messages?beta=true", json=body, headers={"authorization": f"Bearer {key}"}
    )

    assert with_x_api_key.status_code == 200 and with_bearer.status_code == 200
    assert with_x_api_key.json()["content"] == with_bearer.json()["content"]


def test_any_anthropic_version_is_accepted_and_the_gateway_sends_its_own_upstream(
    suite_gateway: Gateway, suite_fake: FakeProvider, key: str
) -> None:
    body = {"model": "claude", "max_tokens": 20, "messages": HELLO}
    without = httpx.post(f"{suite_gateway.v1}/messages", json=body, headers={"x-api-key": key})
    with_version = httpx.post(
        f"{suite_gateway.v1}/messages",
        json=body,
        headers={"x-api-key": key, "anthropic-version": "2099-01-01"},
    )

    assert without.status_code == 200 and with_version.status_code == 200
    sent = [request["headers"] for request in suite_fake.requests()]
    assert [headers["anthropic-version"] for headers in sent] == ["2023-06-01", "2023-06-01"]
    assert all(headers["x-api-key"] != key for headers in sent)


def test_beta_features_reach_claude_and_only_claude(
    client: anthropic.Anthropic, suite_fake: FakeProvider
) -> None:
    betas = ["context-management-2025-06-27", "interleaved-thinking-2025-05-14"]

    for model in MODELS:
        client.beta.messages.create(model=model, max_tokens=20, messages=HELLO, betas=betas)
    client.beta.messages.count_tokens(model="claude", messages=HELLO, betas=betas)

    sent = {request["path"]: request["headers"] for request in suite_fake.requests()}
    assert sent["/v1/messages"]["anthropic-beta"] == ",".join(betas)
    # The SDK adds its own token-counting beta there; every name the client sent goes on, in order.
    assert sent["/v1/messages/count_tokens"]["anthropic-beta"].split(",")[:2] == betas
    assert "anthropic-beta" not in sent["/v1/chat/completions"]


def test_a_malformed_beta_name_is_a_400_before_anything_is_sent(
    suite_gateway: Gateway, suite_fake: FakeProvider, key: str
) -> None:
    response = httpx.post(
        f"{suite_gateway.v1}/messages",
        json={"model": "claude", "max_tokens": 20, "messages": HELLO},
        headers={"x-api-key": key, "anthropic-beta": "good-2025-01-01, bad value;x=1"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert suite_fake.requests() == []


def test_a_bad_key_is_a_401_authentication_error(suite_gateway: Gateway) -> None:
    client = anthropic.Anthropic(base_url=suite_gateway.url, api_key="sk-not-a-key", max_retries=0)

    with pytest.raises(anthropic.AuthenticationError) as refused:
        client.messages.create(model="claude", max_tokens=10, messages=HELLO)

    assert refused.value.status_code == 401
    assert _error(refused)["type"] == "authentication_error"


def test_a_key_over_its_rate_limit_is_a_429_rate_limit_error(suite_gateway: Gateway) -> None:
    limited = suite_gateway.create_key("limited", rpm_limit=1)["key"]
    client = anthropic.Anthropic(base_url=suite_gateway.url, api_key=limited, max_retries=0)
    client.messages.create(model="claude", max_tokens=10, messages=HELLO)

    with pytest.raises(anthropic.RateLimitError) as refused:
        client.messages.create(model="claude", max_tokens=10, messages=HELLO)

    assert _error(refused)["type"] == "rate_limit_error"
    assert int(refused.value.response.headers["retry-after"]) >= 1


# --- errors in Anthropic's shape ---------------------------------------------------------------


def test_an_unknown_model_is_a_404_not_found_error(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as refused:
        client.messages.create(model="no-such-model", max_tokens=10, messages=HELLO)

    assert _error(refused)["type"] == "not_found_error"
    assert "no-such-model" in _error(refused)["message"]


def test_a_bad_body_is_a_400_invalid_request_error_naming_the_field(suite_gateway: Gateway, key: str) -> None:
    response = httpx.post(
        f"{suite_gateway.v1}/messages",
        json={"model": "claude", "messages": HELLO},
        headers={"x-api-key": key},
    )

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in body["error"]["message"]


def test_paths_and_methods_under_the_door_answer_in_its_shape(suite_gateway: Gateway, key: str) -> None:
    wrong_method = httpx.get(f"{suite_gateway.v1}/messages", headers={"x-api-key": key})
    unknown_path = httpx.post(f"{suite_gateway.v1}/messages/batches", json={}, headers={"x-api-key": key})

    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["type"] == "invalid_request_error"
    assert unknown_path.status_code == 404 and unknown_path.json()["error"]["type"] == "not_found_error"


@pytest.mark.parametrize("model", ["claude-faulty", "gpt-faulty"])
def test_a_provider_rate_limit_is_a_429_with_its_retry_after(
    client: anthropic.Anthropic, suite_fake: FakeProvider, model: str
) -> None:
    suite_fake.knobs(model=model, fault="429", retry_after=7)

    with pytest.raises(anthropic.RateLimitError) as refused:
        client.messages.create(model=model, max_tokens=10, messages=HELLO)

    assert _error(refused)["type"] == "rate_limit_error"
    assert refused.value.response.headers["retry-after"] == "7"


@pytest.mark.parametrize("model", ["claude-faulty", "gpt-faulty"])
def test_an_overloaded_provider_is_anthropics_529_overloaded_error(
    client: anthropic.Anthropic, suite_fake: FakeProvider, model: str
) -> None:
    suite_fake.knobs(model=model, fault="503")

    with pytest.raises(anthropic.OverloadedError) as refused:
        client.messages.create(model=model, max_tokens=10, messages=HELLO)

    assert refused.value.status_code == 529
    assert _error(refused)["type"] == "overloaded_error"
    assert "sk-fake-upstream" not in json.dumps(refused.value.body)


@pytest.mark.parametrize("model", ["claude-faulty", "gpt-faulty"])
def test_a_stream_that_drops_midway_ends_with_an_error_event(
    suite_gateway: Gateway,
    suite_fake: FakeProvider,
    key: str,
    client: anthropic.Anthropic,
    model: str,
) -> None:
    suite_fake.knobs(model=model, fault="drop", drop_after_chunks=3)
    body = {"model": model, "max_tokens": 50, "messages": HELLO, "stream": True}

    response = httpx.post(f"{suite_gateway.v1}/messages", json=body, headers={"x-api-key": key})
    with pytest.raises(anthropic.APIStatusError) as failed:
        list(client.messages.create(model=model, max_tokens=50, messages=HELLO, stream=True))

    assert response.status_code == 200
    frames = response.text.strip().split("\n\n")
    assert frames[0].startswith("event: message_start\n")
    assert "event: message_stop" not in response.text
    name, data = frames[-1].split("\n", 1)
    assert name == "event: error"
    error = orjson.loads(data.removeprefix("data: "))
    assert error["type"] == "error" and error["error"]["type"] == "api_error"
    assert _error(failed)["type"] == "api_error"


@pytest.mark.parametrize(
    ("model", "error_type", "texts"),
    [
        # Claude's own `event: error` (overloaded_error) after message_start, a block start, a ping and
        # one text delta, is Anthropic's overload.
        ("claude-faulty", "overloaded_error", ["Echo:"]),
        # OpenAI's in-band `data: {"error": {"type": "server_error"}}` after the role chunk and three
        # tokens is a failed upstream: an api_error.
        ("gpt-faulty", "api_error", ["Echo:", " hello", " there"]),
    ],
)
def test_an_in_band_error_midway_ends_the_stream_with_an_error_event_not_message_stop(
    suite_gateway: Gateway,
    suite_fake: FakeProvider,
    key: str,
    client: anthropic.Anthropic,
    model: str,
    error_type: str,
    texts: list[str],
) -> None:
    suite_fake.knobs(model=model, fault="stream_error", drop_after_chunks=4)
    body = {"model": model, "max_tokens": 50, "messages": HELLO, "stream": True}

    response = httpx.post(f"{suite_gateway.v1}/messages", json=body, headers={"x-api-key": key})
    received: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as failed:
        for event in client.messages.create(model=model, max_tokens=50, messages=HELLO, stream=True):
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                received.append(event.delta.text)

    assert response.status_code == 200
    frames = response.text.strip().split("\n\n")
    assert frames[0].startswith("event: message_start\n")
    assert "event: message_stop" not in response.text
    name, data = frames[-1].split("\n", 1)
    assert name == "event: error"
    error = orjson.loads(data.removeprefix("data: "))
    assert error["type"] == "error" and error["error"]["type"] == error_type
    assert _error(failed)["type"] == error_type
    assert received == texts


# --- metering and cache ---------------------------------------------------------------------------


def test_usage_of_native_and_translated_answers_reaches_metering(suite_gateway: Gateway) -> None:
    created = suite_gateway.create_key("metered")
    client = anthropic.Anthropic(base_url=suite_gateway.url, api_key=created["key"], max_retries=0)
    native = client.messages.create(model="claude", max_tokens=50, messages=HELLO)
    with client.messages.stream(model="gpt", max_tokens=50, messages=HELLO) as stream:
        translated = stream.get_final_message()

    deadline = time.monotonic() + 5
    while True:
        result = suite_gateway.cli("usage", "--key", created["id"], "--json")
        rows = {row["model"]: row for row in json.loads(result.stdout)}
        if {"claude", "gpt"} <= set(rows) or time.monotonic() > deadline:
            break
        time.sleep(0.1)

    for model, message in (("claude", native), ("gpt", translated)):
        assert rows[model]["requests"] == 1 and rows[model]["errors"] == 0
        assert rows[model]["prompt_tokens"] == message.usage.input_tokens
        assert rows[model]["completion_tokens"] == message.usage.output_tokens


def test_a_cached_answer_is_replayed_in_anthropics_shape(
    suite_gateway: Gateway, suite_fake: FakeProvider, key: str
) -> None:
    body = {"model": "gpt-cached", "max_tokens": 50, "messages": [{"role": "user", "content": "cache me"}]}
    headers = {"x-api-key": key}

    answers = [httpx.post(f"{suite_gateway.v1}/messages", json=body, headers=headers) for _ in range(2)]
    streams = [
        httpx.post(f"{suite_gateway.v1}/messages", json={**body, "stream": True}, headers=headers)
        for _ in range(2)
    ]
    chat = httpx.post(
        f"{suite_gateway.v1}/chat/completions",
        json={"model": "gpt-cached", "max_tokens": 50, "messages": body["messages"]},
        headers=headers,
    )

    assert [a.headers.get("x-aigw-cache") for a in answers] == ["miss", "hit"]
    assert answers[1].json() == answers[0].json() and answers[1].json()["type"] == "message"
    assert [s.headers.get("x-aigw-cache") for s in streams] == ["miss", "hit"]
    assert streams[1].text == streams[0].text and streams[1].text.startswith("event: message_start\n")
    assert chat.headers.get("x-aigw-cache") == "miss" and chat.json()["object"] == "chat.completion"
    assert len(suite_fake.requests()) == 3


def test_the_openapi_document_describes_the_door(suite_gateway: Gateway) -> None:
    document = httpx.get(f"{suite_gateway.url}/openapi.json").json()

    assert {"/v1/messages", "/v1/messages/count_tokens"} <= set(document["paths"])
    schemas = document["components"]["schemas"]
    assert {"model", "messages", "max_tokens"} <= set(schemas["AnthropicMessagesRequest"]["required"])
    assert "ChatCompletionRequest" in schemas
    answer = document["paths"]["/v1/messages"]["post"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"] == {"$ref": "#/components/schemas/AnthropicMessage"}
