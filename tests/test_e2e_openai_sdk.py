"""The official `openai` SDK against the running suite: text, streams, tools, images, errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

from chat_samples import (
    CLOCK,
    PNG_DATA_URL,
    WEATHER,
    question_with_images,
    stream_chat_with_usage,
    streamed_tool_calls,
)
from harness import Gateway


@pytest.fixture(scope="module")
def key(gateway: Gateway) -> str:
    secret: str = gateway.create_key("sdk", models=["chat", "fallback", "faulty"])["key"]
    return secret


@pytest.fixture
def client(gateway: Gateway, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.v1, api_key=key, max_retries=0, timeout=20)


def test_a_text_answer_round_trips(client: openai.OpenAI, gateway: Gateway) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="chat",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello there"}],
    )
    answer = raw.parse()

    assert answer.choices[0].message.content == "Echo: hello there"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None and answer.usage.total_tokens > 0
    assert raw.headers["x-aigw-request-id"].startswith("req_")
    assert raw.headers["x-aigw-provider"] == "fake"
    sent = gateway.fake.requests()[-1]
    assert sent["body"]["model"] == "fake-chat"
    assert sent["headers"]["authorization"].startswith("Bearer sk-fake-upstream-")


def test_a_stream_passes_every_chunk_then_usage(client: openai.OpenAI) -> None:
    chunks = stream_chat_with_usage(client, "chat")

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: one two three four"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 5


def test_a_stream_without_include_usage_carries_no_usage(gateway: Gateway, key: str) -> None:
    with httpx.stream(
        "POST",
        f"{gateway.v1}/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": "chat", "messages": [{"role": "user", "content": "hi"}], "stream": True},
    ) as response:
        body = response.read().decode()

    events = [line for line in body.split("\n\n") if line]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]" and body.count("[DONE]") == 1
    assert '"usage"' not in body
    assert response.headers["content-type"].startswith("text/event-stream")


def test_an_image_part_reaches_the_provider_unchanged(client: openai.OpenAI, gateway: Gateway) -> None:
    answer = client.chat.completions.create(
        model="chat", messages=question_with_images("what is this?", {"url": PNG_DATA_URL, "detail": "low"})
    )

    assert answer.choices[0].message.content == "Echo: what is this? [1 image]"
    sent = gateway.fake.requests()[-1]["body"]["messages"][0]["content"][1]
    assert sent == {"type": "image_url", "image_url": {"url": PNG_DATA_URL, "detail": "low"}}


def test_a_tool_call_round_trip(client: openai.OpenAI) -> None:
    messages: list[Any] = [{"role": "user", "content": "weather in Paris?"}]
    first = client.chat.completions.create(
        model="chat", messages=messages, tools=[WEATHER], tool_choice="required"
    )

    call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert first.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather" and "city" in json.loads(call.function.arguments)

    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"},
    ]
    second = client.chat.completions.create(model="chat", messages=messages, tools=[WEATHER])
    assert second.choices[0].message.content == "Tool results: sunny, 21C"


def test_streamed_parallel_tool_calls_assemble(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="chat",
        messages=[{"role": "user", "content": "weather and time"}],
        tools=[WEATHER, CLOCK],
        stream=True,
    )

    calls, finish, _ = streamed_tool_calls(stream)

    assert finish == "tool_calls"
    assert [calls[i]["name"] for i in sorted(calls)] == ["get_weather", "get_time"]
    assert all(c["id"] and isinstance(json.loads(c["arguments"]), dict) for c in calls.values())


def test_models_lists_only_what_the_key_may_use(client: openai.OpenAI) -> None:
    assert sorted(m.id for m in client.models.list()) == ["chat", "fallback", "faulty"]
    assert client.models.retrieve("chat").id == "chat"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("private")


def test_a_bad_key_is_a_401(gateway: Gateway) -> None:
    bad = openai.OpenAI(base_url=gateway.v1, api_key="sk-aigw-not-a-real-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        bad.chat.completions.create(model="chat", messages=[{"role": "user", "content": "x"}])
    assert caught.value.code == "invalid_api_key"
    assert "sk-aigw-not-a-real-key" not in caught.value.message


def test_an_unknown_or_forbidden_model_is_a_404(client: openai.OpenAI) -> None:
    for model in ("no-such-model", "private"):
        with pytest.raises(openai.NotFoundError) as caught:
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": "x"}])
        assert caught.value.code == "model_not_found"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "chat"}, "messages"),
        ({"model": "chat", "messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ({"model": "chat", "messages": [{"role": "user", "content": "x"}], "temperature": 9}, "temperature"),
        (
            {
                "model": "chat",
                "messages": [{"role": "user", "content": "x"}],
                "stream_options": {"include_usage": True},
            },
            "stream_options",
        ),
    ],
)
def test_a_bad_body_is_a_400_in_openais_shape(
    gateway: Gateway, key: str, body: dict[str, Any], param: str
) -> None:
    response = httpx.post(
        f"{gateway.v1}/chat/completions", json=body, headers={"authorization": f"Bearer {key}"}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["param"] == param and error["type"] == "invalid_request_error"


def test_malformed_json_and_unknown_paths_are_clean_errors(gateway: Gateway, key: str) -> None:
    auth = {"authorization": f"Bearer {key}"}
    broken = httpx.post(f"{gateway.v1}/chat/completions", content=b"{oops", headers=auth)
    unknown = httpx.get(f"{gateway.v1}/nothing-here", headers=auth)
    wrong_method = httpx.get(f"{gateway.v1}/chat/completions", headers=auth)

    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_json"
    assert unknown.status_code == 404 and "error" in unknown.json()
    assert wrong_method.status_code == 405


def test_a_provider_rejection_is_mapped_not_leaked(gateway: Gateway, key: str) -> None:
    # The fake provider, like OpenAI, rejects a tool message without a preceding tool call.
    response = httpx.post(
        f"{gateway.v1}/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={
            "model": "chat",
            "messages": [
                {"role": "user", "content": "x"},
                {"role": "tool", "tool_call_id": "call_x", "content": "y"},
            ],
        },
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "upstream_invalid_request" and "tool" in error["message"]
    assert "sk-fake-upstream" not in response.text


def test_the_openapi_document_describes_every_endpoint(gateway: Gateway) -> None:
    document = httpx.get(f"{gateway.url}/openapi.json").json()

    assert document["openapi"].startswith("3.1")
    assert {
        "/v1/chat/completions",
        "/v1/models",
        "/v1/models/{model}",
        "/admin/v1/keys",
        "/admin/v1/usage",
    } <= set(document["paths"])
    request = document["components"]["schemas"]["ChatCompletionRequest"]
    assert {"model", "messages"} <= set(request["required"])


def test_a_body_over_the_limit_is_a_413(gateway: Gateway, key: str) -> None:
    huge = (
        b'{"model": "chat", "messages": [{"role": "user", "content": "' + b"x" * (33 * 1024 * 1024) + b'"}]}'
    )
    response = httpx.post(
        f"{gateway.v1}/chat/completions", content=huge, headers={"authorization": f"Bearer {key}"}, timeout=30
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "request_too_large"
