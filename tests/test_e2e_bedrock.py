"""A `type: bedrock` provider through the whole suite, driven with the official `openai` SDK.

The fake provider speaks Bedrock Runtime strictly (SigV4 verified with
botocore's signer against the path exactly as it arrived, the Converse
service model's shapes and rules, binary event streams), so every answer here
proves the translation both ways, the signature over the router's real HTTP
client, and an inference-profile ARN as the model id.
"""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import httpx
import openai
import pytest

from chat_samples import CLOCK, WEATHER, stream_chat_until_error, stream_chat_with_usage
from harness import FAKE_KEY, FakeProvider, Gateway

KEY_ID = "AKIDE2EBEDROCK000001"
SECRET = "e2e-bedrock-secret-access-key"
REGION = "eu-central-1"
PROFILE_ARN = (
    "arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0"
)
FAULTY = "faulty.model-v1:0"
SUITE_CONFIG = """\
providers:
  - name: br
    type: bedrock
    base_url: {fake_url}
    region: eu-central-1
    aws_access_key_id: env:BEDROCK_E2E_KEY_ID
    aws_secret_access_key: env:BEDROCK_E2E_SECRET
    timeout_s: 5
    image_fetch: {{allow_http: true, allow_private_addresses: true}}
  - name: br-key
    type: bedrock
    base_url: {fake_url}
    region: eu-central-1
    api_key: env:FAKE_UPSTREAM_KEY
    timeout_s: 5
models:
  - name: claude
    deployments: [{{provider: br, model: "arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0"}}]
  - name: claude-key
    deployments: [{{provider: br-key, model: "anthropic.claude-3-haiku-20240307-v1:0"}}]
  - name: faulty
    deployments: [{{provider: br, model: "faulty.model-v1:0"}}]
  - name: titan
    deployments: [{{provider: br, model: "amazon.titan-embed-text-v2:0"}}]
  - name: cohere
    deployments: [{{provider: br, model: "cohere.embed-english-v3"}}]
"""


@pytest.fixture(scope="module")
def suite_fake_args() -> tuple[str, ...]:
    return ("--aws-access-key-id", KEY_ID, "--aws-secret-access-key", SECRET, "--aws-region", REGION)


@pytest.fixture(scope="module")
def suite_env() -> dict[str, str]:
    return {"BEDROCK_E2E_KEY_ID": KEY_ID, "BEDROCK_E2E_SECRET": SECRET}


def _converse_requests(fake: FakeProvider) -> list[dict[str, Any]]:
    return [r for r in fake.requests() if r["path"].startswith("/model/")]


def test_a_text_answer_round_trips_through_a_signed_converse(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    answer = suite_client.chat.completions.create(
        model="claude",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello there"}],
        max_tokens=50,
    )

    assert answer.choices[0].message.content == "Echo: hello there"
    assert answer.choices[0].finish_reason == "stop"
    assert (
        answer.usage is not None and answer.usage.prompt_tokens == 4 and answer.usage.completion_tokens == 3
    )
    (sent,) = _converse_requests(suite_fake)
    assert sent["path"] == f"/model/{PROFILE_ARN}/converse"
    assert sent["headers"]["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={KEY_ID}/")
    assert sent["body"] == {
        "messages": [{"role": "user", "content": [{"text": "hello there"}]}],
        "system": [{"text": "be brief"}],
        "inferenceConfig": {"maxTokens": 50},
    }


def test_a_stream_sends_every_delta_then_usage(suite_client: openai.OpenAI, suite_fake: FakeProvider) -> None:
    chunks = stream_chat_with_usage(suite_client, "claude")

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: one two three four"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 9
    assert _converse_requests(suite_fake)[0]["path"].endswith("/converse-stream")


def test_tools_are_called_and_their_results_answered(suite_client: openai.OpenAI) -> None:
    messages: list[Any] = [{"role": "user", "content": "weather and time in Paris?"}]

    first = suite_client.chat.completions.create(model="claude", messages=messages, tools=[WEATHER, CLOCK])

    message = first.choices[0].message
    assert first.choices[0].finish_reason == "tool_calls"
    calls = message.tool_calls or []
    assert [call.function.name for call in calls] == ["get_weather", "get_time"]
    assert all(call.id.startswith("tooluse_") for call in calls)
    assert set(json.loads(calls[0].function.arguments)) == {"city"}
    messages.append(message.model_dump(exclude_none=True))
    messages += [
        {"role": "tool", "tool_call_id": calls[0].id, "content": "sunny"},
        {"role": "tool", "tool_call_id": calls[1].id, "content": "noon"},
    ]

    second = suite_client.chat.completions.create(model="claude", messages=messages, tools=[WEATHER, CLOCK])

    assert second.choices[0].message.content == "Tool results: sunny; noon"


def test_streamed_tool_calls_have_an_index_an_id_first_and_arguments_that_join_to_json(
    suite_client: openai.OpenAI,
) -> None:
    stream = suite_client.chat.completions.create(
        model="claude",
        messages=[{"role": "user", "content": "weather and time?"}],
        tools=[WEATHER, CLOCK],
        stream=True,
    )

    calls: dict[int, dict[str, Any]] = {}
    finish = None
    for chunk in stream:
        if not chunk.choices:
            continue
        finish = chunk.choices[0].finish_reason or finish
        for delta in chunk.choices[0].delta.tool_calls or []:
            if delta.index not in calls:
                assert delta.id is not None and delta.function is not None and delta.function.name
                calls[delta.index] = {"id": delta.id, "name": delta.function.name, "arguments": ""}
            if delta.function is not None and delta.function.arguments:
                calls[delta.index]["arguments"] += delta.function.arguments

    assert finish == "tool_calls"
    assert [calls[i]["name"] for i in sorted(calls)] == ["get_weather", "get_time"]
    assert set(json.loads(calls[0]["arguments"])) == {"city"}
    assert set(json.loads(calls[1]["arguments"])) == {"zone"}


def test_images_by_data_url_and_by_url_reach_bedrock_as_the_same_bytes(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    png = httpx.get(f"{suite_fake.url}/_fake/images/cat.png").content
    data_url = "data:image/png;base64," + base64.b64encode(png).decode()
    content: Any = [
        {"type": "text", "text": "compare these"},
        {"type": "image_url", "image_url": {"url": data_url}},
        {"type": "image_url", "image_url": {"url": f"{suite_fake.url}/_fake/images/cat.png"}},
    ]

    answer = suite_client.chat.completions.create(
        model="claude", messages=[{"role": "user", "content": content}]
    )

    assert answer.choices[0].message.content == "Echo: compare these [2 images]"
    blocks = _converse_requests(suite_fake)[0]["body"]["messages"][0]["content"]
    images = [block["image"] for block in blocks if "image" in block]
    assert [image["format"] for image in images] == ["png", "png"]
    assert [base64.b64decode(image["source"]["bytes"]) for image in images] == [png, png]


def test_what_bedrock_cannot_do_is_a_400_naming_the_parameter(suite_client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        suite_client.chat.completions.create(
            model="claude", messages=[{"role": "user", "content": "hi"}], temperature=1.5
        )

    assert refused.value.status_code == 400
    assert refused.value.body is not None and refused.value.body["param"] == "temperature"


def test_a_bedrock_api_key_goes_out_as_a_bearer_token(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    answer = suite_client.chat.completions.create(
        model="claude-key", messages=[{"role": "user", "content": "hi key"}]
    )

    assert answer.choices[0].message.content == "Echo: hi key"
    (sent,) = _converse_requests(suite_fake)
    assert sent["headers"]["authorization"] == f"Bearer {FAKE_KEY}"
    assert "x-amz-date" not in sent["headers"]


def _unpack(encoded: str) -> list[float]:
    raw = base64.b64decode(encoded)
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def test_titan_embeddings_float_and_base64(suite_client: openai.OpenAI, suite_fake: FakeProvider) -> None:
    floats = suite_client.embeddings.create(model="titan", input="hello world", dimensions=256)
    encoded = suite_client.embeddings.create(
        model="titan", input="hello world", dimensions=256, encoding_format="base64"
    )

    assert len(floats.data[0].embedding) == 256
    assert floats.usage.prompt_tokens == 2
    assert _unpack(encoded.data[0].embedding) == pytest.approx(floats.data[0].embedding, rel=1e-6)
    sent = _converse_requests(suite_fake)[0]
    assert sent["path"] == "/model/amazon.titan-embed-text-v2:0/invoke"
    assert sent["body"] == {"inputText": "hello world", "dimensions": 256}


def test_cohere_embeddings_come_back_in_order_float_and_base64(suite_client: openai.OpenAI) -> None:
    texts = ["the first text", "a second one", "and a third"]

    batch = suite_client.embeddings.create(model="cohere", input=texts)
    singles = [suite_client.embeddings.create(model="cohere", input=text).data[0].embedding for text in texts]
    encoded = suite_client.embeddings.create(model="cohere", input=texts, encoding_format="base64")

    assert [item.index for item in batch.data] == [0, 1, 2]
    assert [item.embedding for item in batch.data] == singles
    assert len(singles[0]) == 1024
    assert [_unpack(item.embedding) for item in encoded.data] == [
        pytest.approx(vector, rel=1e-6) for vector in singles
    ]


def test_a_throttled_request_is_a_429_with_retry_after(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    suite_fake.knobs(model=FAULTY, fault="429", retry_after=3)

    with pytest.raises(openai.RateLimitError) as refused:
        suite_client.chat.completions.create(model="faulty", messages=[{"role": "user", "content": "hi"}])

    assert refused.value.status_code == 429
    assert refused.value.response.headers["retry-after"] == "3"


def test_an_unavailable_service_is_a_503(suite_client: openai.OpenAI, suite_fake: FakeProvider) -> None:
    suite_fake.knobs(model=FAULTY, fault="503")

    with pytest.raises(openai.InternalServerError) as failed:
        suite_client.chat.completions.create(model="faulty", messages=[{"role": "user", "content": "hi"}])

    assert failed.value.status_code == 503


def test_a_stream_that_breaks_midway_ends_with_an_error_event_not_done(
    suite_gateway: Gateway, suite_key: str, suite_fake: FakeProvider
) -> None:
    suite_fake.knobs(model=FAULTY, fault="drop", drop_after_chunks=3)

    chunks, error = stream_chat_until_error(suite_gateway.v1, suite_key, "faulty")

    assert len(chunks) == 3 and chunks[1]["choices"][0]["delta"]["content"] == "Echo:"
    assert error["code"] == "upstream_disconnected"


def test_a_throttling_exception_midway_ends_the_stream_with_a_rate_limit_error_event_not_done(
    suite_gateway: Gateway, suite_key: str, suite_fake: FakeProvider
) -> None:
    # ConverseStream fails in band with an exception message (`:exception-type` throttlingException).
    suite_fake.knobs(model=FAULTY, fault="stream_error", drop_after_chunks=3)

    chunks, error = stream_chat_until_error(suite_gateway.v1, suite_key, "faulty")

    # messageStart and two text deltas: the role chunk and two tokens, then the error.
    assert [c["choices"][0]["delta"].get("content") for c in chunks] == ["", "Echo:", " a"]
    assert error["code"] == "upstream_rate_limited"
