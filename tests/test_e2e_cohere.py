"""A `type: cohere` provider through the whole suite, driven with the official `openai` SDK.

The fake provider speaks Cohere's v2 API (`/v2/chat`, `/v2/embed`) strictly,
so every answer here proves the translation both ways: text, streams, tools
(streamed and not), an image, embeddings, and Cohere's failures.
"""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import httpx
import openai
import pytest

from chat_samples import (
    CLOCK,
    PNG_DATA_URL,
    WEATHER,
    question_with_images,
    stream_chat_until_error,
    stream_chat_with_usage,
    streamed_tool_calls,
)
from harness import FAKE_KEY, FakeProvider, Gateway

SUITE_CONFIG = """\
providers:
  - name: co
    type: cohere
    base_url: {fake_url}
    api_key: env:FAKE_UPSTREAM_KEY
    timeout_s: 3
models:
  - name: command
    deployments: [{{provider: co, model: command-a-03-2025}}]
  - name: command-faulty
    deployments: [{{provider: co, model: command-faulty}}]
  - name: embed
    deployments: [{{provider: co, model: embed-v4.0}}]
"""


def _sent(fake: FakeProvider) -> dict[str, Any]:
    """The last request that reached the fake Cohere, checked to be a v2 chat call with the upstream key."""
    request = fake.requests()[-1]
    assert request["path"] == "/v2/chat"
    assert request["headers"]["authorization"] == f"Bearer {FAKE_KEY}"
    body: dict[str, Any] = request["body"]
    return body


def test_a_text_answer_round_trips_with_billed_usage(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    answer = suite_client.chat.completions.create(
        model="command",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello there"}],
        temperature=0.2,
        top_p=1,
    )

    assert answer.choices[0].message.content == "Echo: hello there"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.id.startswith("chatcmpl-") and answer.model == "command-a-03-2025"
    assert answer.usage is not None and (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (4, 3)
    sent = _sent(suite_fake)
    assert sent["model"] == "command-a-03-2025" and sent["p"] == 0.99 and sent["temperature"] == 0.2
    assert sent["messages"][0] == {"role": "system", "content": "be brief"}


def test_a_stream_arrives_as_chunks_then_usage(suite_client: openai.OpenAI) -> None:
    chunks = stream_chat_with_usage(suite_client, "command")

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: one two three four"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 5


def test_a_tool_call_round_trip_returns_the_plan_to_cohere(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    messages: list[Any] = [{"role": "user", "content": "weather in Paris?"}]
    first = suite_client.chat.completions.create(
        model="command", messages=messages, tools=[WEATHER], tool_choice="required"
    )

    message = first.choices[0].message
    call = message.tool_calls[0]  # type: ignore[index]
    assert first.choices[0].finish_reason == "tool_calls"
    assert message.content == "I will call get_weather."
    assert call.function.name == "get_weather" and "city" in json.loads(call.function.arguments)  # type: ignore[union-attr]
    assert _sent(suite_fake)["tool_choice"] == "REQUIRED"

    messages += [
        message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"},
    ]
    second = suite_client.chat.completions.create(model="command", messages=messages, tools=[WEATHER])

    assert second.choices[0].message.content == "Tool results: sunny, 21C"
    assistant = _sent(suite_fake)["messages"][1]
    assert (
        assistant["tool_plan"] == "I will call get_weather." and assistant["tool_calls"][0]["id"] == call.id
    )


def test_parallel_tool_calls_stream_with_indexes_ids_and_json_arguments(suite_client: openai.OpenAI) -> None:
    stream = suite_client.chat.completions.create(
        model="command",
        messages=[{"role": "user", "content": "weather and time"}],
        tools=[WEATHER, CLOCK],
        stream=True,
    )

    calls, finish, content = streamed_tool_calls(stream)

    assert finish == "tool_calls"
    assert content == "I will call get_weather and get_time."
    assert [calls[i]["name"] for i in sorted(calls)] == ["get_weather", "get_time"]
    assert all(c["id"] and isinstance(json.loads(c["arguments"]), dict) for c in calls.values())


def test_a_named_tool_choice_narrows_the_tools_to_that_function(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    answer = suite_client.chat.completions.create(
        model="command",
        messages=[{"role": "user", "content": "what time is it?"}],
        tools=[WEATHER, CLOCK],
        tool_choice={"type": "function", "function": {"name": "get_time"}},
    )

    assert [c.function.name for c in answer.choices[0].message.tool_calls or []] == ["get_time"]  # type: ignore[union-attr]
    sent = _sent(suite_fake)
    assert [tool["function"]["name"] for tool in sent["tools"]] == ["get_time"] and sent[
        "tool_choice"
    ] == "REQUIRED"


def test_an_image_part_reaches_cohere_as_an_image_url(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    answer = suite_client.chat.completions.create(
        model="command",
        messages=question_with_images("what is this?", {"url": PNG_DATA_URL, "detail": "low"}),
    )

    assert answer.choices[0].message.content == "Echo: what is this? [1 image]"
    part = _sent(suite_fake)["messages"][0]["content"][1]
    assert part == {"type": "image_url", "image_url": {"url": PNG_DATA_URL, "detail": "low"}}


def test_embeddings_come_back_in_order_as_floats_and_base64(
    suite_client: openai.OpenAI, suite_gateway: Gateway, suite_key: str, suite_fake: FakeProvider
) -> None:
    texts = ["the first text", "a second one", "and a third"]

    batch = suite_client.embeddings.create(model="embed", input=texts)
    singles = [suite_client.embeddings.create(model="embed", input=text).data[0].embedding for text in texts]
    raw = httpx.post(
        f"{suite_gateway.v1}/embeddings",
        headers={"authorization": f"Bearer {suite_key}"},
        json={"model": "embed", "input": texts, "encoding_format": "base64", "dimensions": 256},
        timeout=20,
    ).json()
    short = suite_client.embeddings.create(model="embed", input=texts, dimensions=256)

    assert [item.index for item in batch.data] == [0, 1, 2]
    assert [item.embedding for item in batch.data] == singles
    assert batch.usage.prompt_tokens == 9
    decoded = [list(struct.unpack("<256f", base64.b64decode(item["embedding"]))) for item in raw["data"]]
    assert decoded == [pytest.approx(item.embedding, rel=1e-6) for item in short.data]
    sent = suite_fake.requests()[0]
    assert sent["path"] == "/v2/embed"
    assert sent["body"] == {
        "model": "embed-v4.0",
        "texts": texts,
        "input_type": "search_document",
        "embedding_types": ["float"],
    }


def test_a_cohere_429_keeps_its_retry_after(suite_client: openai.OpenAI, suite_fake: FakeProvider) -> None:
    suite_fake.knobs(model="command-faulty", fault="429", retry_after=7)

    with pytest.raises(openai.RateLimitError) as raised:
        suite_client.chat.completions.create(
            model="command-faulty", messages=[{"role": "user", "content": "hi"}]
        )

    assert raised.value.response.headers["retry-after"] == "7"
    assert raised.value.code == "upstream_rate_limited"
    assert FAKE_KEY not in raised.value.response.text


def test_a_cohere_503_is_an_overloaded_503(suite_client: openai.OpenAI, suite_fake: FakeProvider) -> None:
    suite_fake.knobs(model="command-faulty", fault="503")

    with pytest.raises(openai.InternalServerError) as raised:
        suite_client.chat.completions.create(
            model="command-faulty", messages=[{"role": "user", "content": "hi"}]
        )

    assert raised.value.status_code == 503 and raised.value.code == "upstream_overloaded"


def test_a_stream_dropped_midway_ends_with_an_error_event_not_done(
    suite_gateway: Gateway, suite_key: str, suite_fake: FakeProvider
) -> None:
    suite_fake.knobs(model="command-faulty", fault="drop", drop_after_chunks=4)

    chunks, error = stream_chat_until_error(suite_gateway.v1, suite_key, "command-faulty")

    assert chunks[1]["choices"][0]["delta"]["content"] == "Echo:"
    assert error["code"] == "upstream_disconnected"


def test_a_generation_that_fails_midway_ends_the_stream_with_an_error_event_not_done(
    suite_gateway: Gateway, suite_key: str, suite_fake: FakeProvider
) -> None:
    # Cohere's stream has no error event: a failed generation ends with message-end, finish_reason ERROR.
    suite_fake.knobs(model="command-faulty", fault="stream_error", drop_after_chunks=4)

    chunks, error = stream_chat_until_error(suite_gateway.v1, suite_key, "command-faulty")

    # message-start, content-start and two content deltas: the role chunk and two tokens, then the error.
    assert [c["choices"][0]["delta"].get("content") for c in chunks] == ["", "Echo:", " a"]
    assert error["code"] == "upstream_error" and error["type"] == "server_error"
