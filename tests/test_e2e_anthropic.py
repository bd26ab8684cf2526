"""A provider of `type: anthropic` through the running suite, driven with the official `openai` SDK.

The fake provider speaks Anthropic's Messages API at its root (no /v1 in the
base URL, as in Anthropic's SDK): every request the gateway sends is checked
there like Anthropic checks it, and answered in Anthropic's shapes, which the
gateway must translate back into OpenAI's.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from chat_samples import (
    CLOCK,
    PNG_BASE64,
    PNG_DATA_URL,
    WEATHER,
    post_chat,
    question_with_images,
    stream_chat_events,
    stream_chat_until_error,
    stream_chat_with_usage,
)
from harness import FAKE_KEY, FakeProvider, Gateway

SUITE_CONFIG = """\
providers:
  - name: claude
    type: anthropic
    base_url: {fake_url}
    api_key: env:FAKE_UPSTREAM_KEY
    timeout_s: 3
models:
  - name: claude
    deployments: [{{provider: claude, model: claude-fake-sonnet}}]
  - name: claude-faulty
    deployments: [{{provider: claude, model: claude-faulty}}]
"""


def _sent(fake: FakeProvider) -> dict[str, Any]:
    """The last request the gateway sent to the fake Anthropic."""
    recorded = fake.requests()[-1]
    assert recorded["path"] == "/v1/messages"
    return recorded


def test_a_chat_answer_comes_back_in_openais_shape(
    suite_client: openai.OpenAI, suite_gateway: Gateway, suite_fake: FakeProvider
) -> None:
    raw = suite_client.chat.completions.with_raw_response.create(
        model="claude",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello there"}],
        temperature=0.3,
        max_tokens=50,
    )
    answer = raw.parse()

    assert answer.id.startswith("chatcmpl-msg_") and answer.model == "claude-fake-sonnet"
    assert answer.choices[0].message.content == "Echo: hello there"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens, answer.usage.total_tokens) == (
        4,
        3,
        7,
    )
    assert raw.headers["x-aigw-provider"] == "claude"
    sent = _sent(suite_fake)
    assert sent["headers"]["x-api-key"] == FAKE_KEY and "authorization" not in sent["headers"]
    assert sent["headers"]["anthropic-version"] == "2023-06-01"
    assert sent["body"] == {
        "model": "claude-fake-sonnet",
        "max_tokens": 50,
        "system": [{"type": "text", "text": "be brief"}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hello there"}]}],
        "temperature": 0.3,
    }


def test_the_answer_parses_through_the_openai_sdks_types(suite_gateway: Gateway, suite_key: str) -> None:
    response = post_chat(suite_gateway.v1, suite_key, "claude", "check the shape", tools=[WEATHER])
    status, _, body = stream_chat_events(
        suite_gateway.v1, suite_key, "claude", "check the shape", stream_options={"include_usage": True}
    )

    completion = ChatCompletion.model_validate(response.json())
    assert completion.choices[0].message.tool_calls is not None
    payloads = [event.removeprefix("data: ") for event in body.split("\n\n") if event]
    assert status == 200 and payloads[-1] == "[DONE]" and body.count("[DONE]") == 1
    chunks = [ChatCompletionChunk.model_validate_json(payload) for payload in payloads[:-1]]
    assert chunks[-1].usage is not None and chunks[-1].choices == []


def test_a_stream_passes_every_token_then_usage(suite_client: openai.OpenAI) -> None:
    chunks = stream_chat_with_usage(suite_client, "claude")

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: one two three four"
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) == 5
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == [
        "stop"
    ]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (4, 5)


def test_a_stream_without_include_usage_carries_no_usage(suite_gateway: Gateway, suite_key: str) -> None:
    status, _, body = stream_chat_events(suite_gateway.v1, suite_key, "claude", "hi")

    assert status == 200 and body.endswith("data: [DONE]\n\n")
    assert '"usage"' not in body


def test_parallel_tool_calls_and_their_results_round_trip(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    messages: list[Any] = [{"role": "user", "content": "weather and time?"}]
    first = suite_client.chat.completions.create(
        model="claude", messages=messages, tools=[WEATHER, CLOCK], tool_choice="required"
    )

    calls = first.choices[0].message.tool_calls or []
    assert first.choices[0].finish_reason == "tool_calls"
    assert [call.function.name for call in calls] == ["get_weather", "get_time"]
    assert [json.loads(call.function.arguments) for call in calls] == [
        {"city": "sample city"},
        {"zone": "sample zone"},
    ]
    assert _sent(suite_fake)["body"]["tool_choice"] == {"type": "any"}

    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        *({"role": "tool", "tool_call_id": call.id, "content": f"{call.function.name} ok"} for call in calls),
    ]
    second = suite_client.chat.completions.create(model="claude", messages=messages, tools=[WEATHER, CLOCK])

    assert second.choices[0].message.content == "Tool results: get_weather ok; get_time ok"
    turns = _sent(suite_fake)["body"]["messages"]
    assert [turn["role"] for turn in turns] == ["user", "assistant", "user"]
    assert [block["type"] for block in turns[2]["content"]] == ["tool_result", "tool_result"]


def test_a_named_tool_choice_without_parallel_calls_makes_one_call(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    answer = suite_client.chat.completions.create(
        model="claude",
        messages=[{"role": "user", "content": "time?"}],
        tools=[WEATHER, CLOCK],
        tool_choice={"type": "function", "function": {"name": "get_time"}},
        parallel_tool_calls=False,
    )

    assert [call.function.name for call in answer.choices[0].message.tool_calls or []] == ["get_time"]
    assert _sent(suite_fake)["body"]["tool_choice"] == {
        "type": "tool",
        "name": "get_time",
        "disable_parallel_tool_use": True,
    }


def test_streamed_tool_calls_accumulate_into_valid_json(suite_client: openai.OpenAI) -> None:
    with suite_client.chat.completions.stream(
        model="claude", messages=[{"role": "user", "content": "weather and time"}], tools=[WEATHER, CLOCK]
    ) as stream:
        ids_per_index: dict[int, list[str]] = {}
        for event in stream:
            if event.type == "chunk" and event.chunk.choices:
                for delta in event.chunk.choices[0].delta.tool_calls or []:
                    ids_per_index.setdefault(delta.index, []).append(delta.id or "")
        final = stream.get_final_completion()

    calls = final.choices[0].message.tool_calls or []
    assert final.choices[0].finish_reason == "tool_calls"
    assert [call.function.name for call in calls] == ["get_weather", "get_time"]
    assert [json.loads(call.function.arguments) for call in calls] == [
        {"city": "sample city"},
        {"zone": "sample zone"},
    ]
    assert sorted(ids_per_index) == [0, 1]
    for index, ids in ids_per_index.items():
        assert ids[0] == calls[index].id and not any(ids[1:]), "the id comes on the first delta only"


def test_images_by_data_url_and_by_url_reach_anthropic_as_sources(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    url = f"{suite_fake.url}/_fake/images/cat.png"
    answer = suite_client.chat.completions.create(
        model="claude",
        messages=question_with_images("what is this?", {"url": PNG_DATA_URL, "detail": "low"}, {"url": url}),
    )

    assert answer.choices[0].message.content == "Echo: what is this? [2 images]"
    # Anthropic fetches URLs itself: the gateway passes the URL on and never fetches it.
    assert [r["path"] for r in suite_fake.requests()] == ["/v1/messages"]
    assert _sent(suite_fake)["body"]["messages"][0]["content"][1:] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_BASE64}},
        {"type": "image", "source": {"type": "url", "url": url}},
    ]


def test_json_schema_output_becomes_anthropics_structured_output(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer"}},
        "required": ["n"],
        "additionalProperties": False,
    }

    answer = suite_client.chat.completions.create(
        model="claude",
        messages=[{"role": "user", "content": "a number"}],
        response_format={"type": "json_schema", "json_schema": {"name": "number", "schema": schema}},
    )

    assert set(json.loads(answer.choices[0].message.content or "")) == {"n"}
    assert _sent(suite_fake)["body"]["output_config"] == {"format": {"type": "json_schema", "schema": schema}}


@pytest.mark.parametrize(
    ("extra", "param", "code"),
    [
        ({"temperature": 1.5}, "temperature", "unsupported_value"),
        ({"n": 2}, "n", "unsupported_value"),
        ({"seed": 7}, "seed", "unsupported_parameter"),
        ({"response_format": {"type": "json_object"}}, "response_format", "unsupported_value"),
    ],
)
def test_what_anthropic_cannot_do_is_refused_before_it_is_sent(
    suite_client: openai.OpenAI, suite_fake: FakeProvider, extra: dict[str, Any], param: str, code: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        suite_client.chat.completions.create(
            model="claude", messages=[{"role": "user", "content": "x"}], **extra
        )

    assert caught.value.code == code
    assert isinstance(caught.value.body, dict) and caught.value.body["param"] == param
    assert suite_fake.requests() == []


def test_a_rejection_by_anthropic_is_mapped_without_the_key(suite_gateway: Gateway, suite_key: str) -> None:
    response = httpx.post(
        f"{suite_gateway.v1}/chat/completions",
        headers={"authorization": f"Bearer {suite_key}"},
        json={
            "model": "claude",
            "messages": [
                {"role": "user", "content": "x"},
                {"role": "tool", "tool_call_id": "call_x", "content": "y"},
            ],
        },
        timeout=20,
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "upstream_invalid_request" and "tool_use_id" in error["message"]
    assert FAKE_KEY not in response.text


def test_a_rate_limit_reaches_the_client_with_its_retry_after(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    suite_fake.knobs(model="claude-faulty", fault="429", retry_after=7)

    with pytest.raises(openai.RateLimitError) as caught:
        suite_client.chat.completions.create(
            model="claude-faulty", messages=[{"role": "user", "content": "x"}]
        )

    assert caught.value.code == "upstream_rate_limited"
    assert caught.value.response.headers["retry-after"] == "7"


def test_anthropics_529_overloaded_is_a_503(suite_client: openai.OpenAI, suite_fake: FakeProvider) -> None:
    suite_fake.knobs(model="claude-faulty", fault="503")

    with pytest.raises(openai.InternalServerError) as caught:
        suite_client.chat.completions.create(
            model="claude-faulty", messages=[{"role": "user", "content": "x"}]
        )

    assert caught.value.status_code == 503 and caught.value.code == "upstream_overloaded"
    assert [r["path"] for r in suite_fake.requests()] == ["/v1/messages"]


def test_a_stream_that_breaks_midway_ends_with_an_error_event_not_done(
    suite_gateway: Gateway, suite_key: str, suite_fake: FakeProvider
) -> None:
    suite_fake.knobs(model="claude-faulty", fault="drop", drop_after_chunks=5)

    chunks, error = stream_chat_until_error(suite_gateway.v1, suite_key, "claude-faulty")

    # message_start, block start, ping, two text deltas: the role chunk and two tokens, then the error.
    assert [c["choices"][0]["delta"].get("content") for c in chunks] == ["", "Echo:", " a"]
    assert error["code"] == "upstream_disconnected"


def test_an_overloaded_error_event_midway_ends_the_stream_with_an_overloaded_error_event_not_done(
    suite_gateway: Gateway, suite_key: str, suite_fake: FakeProvider
) -> None:
    # Anthropic fails a started stream with `event: error` carrying an overloaded_error.
    suite_fake.knobs(model="claude-faulty", fault="stream_error", drop_after_chunks=5)

    chunks, error = stream_chat_until_error(suite_gateway.v1, suite_key, "claude-faulty")

    # message_start, block start, ping, two text deltas: the role chunk and two tokens, then the error.
    assert [c["choices"][0]["delta"].get("content") for c in chunks] == ["", "Echo:", " a"]
    assert error["code"] == "upstream_overloaded" and error["type"] == "server_error"
