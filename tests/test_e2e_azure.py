"""Providers of `type: azure-openai` through the running suite, driven with the official `openai` SDK.

Two Azure resources on the fake provider: one reached on deployment paths
with an api-version and an `api-key`, one on the `/openai/v1` API with Entra
ID client credentials (its token endpoint is the fake's). The fake checks each
request as Azure does and answers with Azure's content-filter annotations, its
prompt-filter opening chunk and its errors; the client must see OpenAI's API.
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
    stream_chat_until_error,
    stream_chat_with_usage,
    streamed_tool_calls,
)
from harness import FAKE_KEY, FakeProvider, Gateway

TENANT = "aigw-test-tenant"
SUITE_CONFIG = """\
providers:
  - name: azure-deployments
    type: azure-openai
    base_url: {fake_url}
    api_version: "2024-10-21"
    api_key: env:FAKE_UPSTREAM_KEY
    timeout_s: 3
  - &azure-v1
    name: azure-v1
    type: azure-openai
    base_url: {fake_url}/openai/v1
    tenant_id: aigw-test-tenant
    client_id: aigw-test-app
    client_secret: env:FAKE_UPSTREAM_KEY
    token_url: {fake_url}/aigw-test-tenant/oauth2/v2.0/token
    timeout_s: 3
  # The same resource as its own provider: a token of its own, fetched where a test sees it.
  - <<: *azure-v1
    name: azure-v1-fresh
models:
  - name: azure-chat
    deployments: [{{provider: azure-deployments, model: gpt-4o-east}}]
  - name: azure-v1-chat
    deployments: [{{provider: azure-v1, model: gpt-4o-v1}}]
  - name: azure-v1-fresh
    deployments: [{{provider: azure-v1-fresh, model: gpt-4o-fresh}}]
  - name: azure-faulty
    deployments: [{{provider: azure-deployments, model: gpt-4o-faulty}}]
  - name: azure-embed
    deployments: [{{provider: azure-deployments, model: embedding-3-large}}]
  - name: azure-v1-embed
    deployments: [{{provider: azure-v1, model: embedding-3-small}}]
"""
SURFACES = ["azure-chat", "azure-v1-chat"]


def _upstream(fake: FakeProvider, suffix: str) -> list[dict[str, Any]]:
    return [r for r in fake.requests() if r["path"].endswith(suffix)]


# --- chat -------------------------------------------------------------------------------------------


def test_a_deployment_path_request_carries_the_key_and_no_model(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    raw = suite_client.chat.completions.with_raw_response.create(
        model="azure-chat",
        messages=[{"role": "developer", "content": "be brief"}, {"role": "user", "content": "hello azure"}],
    )
    answer = raw.parse()

    assert answer.choices[0].message.content == "Echo: hello azure"
    assert raw.headers["x-aigw-provider"] == "azure-deployments"
    assert (
        answer.model_extra is not None and answer.model_extra["prompt_filter_results"][0]["prompt_index"] == 0
    )
    [sent] = _upstream(suite_fake, "/chat/completions")
    assert sent["path"] == "/openai/deployments/gpt-4o-east/chat/completions"
    assert sent["headers"]["api-key"] == FAKE_KEY and "authorization" not in sent["headers"]
    assert "model" not in sent["body"]
    assert sent["body"]["messages"][0]["role"] == "system"


def test_the_v1_api_gets_an_entra_token_once_and_names_the_deployment(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    for text in ("first", "second"):
        answer = suite_client.chat.completions.create(
            model="azure-v1-fresh", messages=[{"role": "user", "content": text}], store=False
        )
        assert answer.choices[0].message.content == f"Echo: {text}"

    tokens = _upstream(suite_fake, "/oauth2/v2.0/token")
    chats = _upstream(suite_fake, "/openai/v1/chat/completions")
    assert [r["path"] for r in tokens] == [f"/{TENANT}/oauth2/v2.0/token"]
    assert [r["body"]["model"] for r in chats] == ["gpt-4o-fresh", "gpt-4o-fresh"]
    assert chats[0]["body"]["store"] is False
    bearer = {r["headers"]["authorization"] for r in chats}
    assert len(bearer) == 1 and bearer != {f"Bearer {FAKE_KEY}"}
    assert "api-key" not in chats[0]["headers"]


def test_a_token_azure_stops_honouring_is_replaced_after_the_401(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    suite_client.chat.completions.create(
        model="azure-v1-chat", messages=[{"role": "user", "content": "warm up"}]
    )
    httpx.delete(f"{suite_fake.url}/_fake/azure/tokens").raise_for_status()
    suite_fake.reset()

    with pytest.raises(openai.APIStatusError) as caught:
        suite_client.chat.completions.create(
            model="azure-v1-chat", messages=[{"role": "user", "content": "refused"}]
        )
    answer = suite_client.chat.completions.create(
        model="azure-v1-chat", messages=[{"role": "user", "content": "again"}]
    )

    assert caught.value.status_code == 502 and caught.value.code == "upstream_auth_failed"
    assert answer.choices[0].message.content == "Echo: again"
    assert len(_upstream(suite_fake, "/oauth2/v2.0/token")) == 1
    refused, accepted = (r["headers"]["authorization"] for r in _upstream(suite_fake, "/v1/chat/completions"))
    assert refused != accepted


@pytest.mark.parametrize("model", SURFACES)
def test_a_stream_reaches_the_client_as_openai_chunks_then_usage(
    suite_client: openai.OpenAI, model: str
) -> None:
    chunks = stream_chat_with_usage(suite_client, model, "one two three")

    # Azure's prompt-filter chunk (empty id, no choices) never reaches the client.
    assert all(chunk.id.startswith("chatcmpl-") for chunk in chunks)
    assert all(chunk.choices for chunk in chunks[:-1])
    assert chunks[0].model_extra is not None and "prompt_filter_results" in chunks[0].model_extra
    assert "".join(c.choices[0].delta.content or "" for c in chunks[:-1]) == "Echo: one two three"
    assert (
        chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 4
    )


def test_an_image_part_reaches_azure_unchanged(suite_client: openai.OpenAI, suite_fake: FakeProvider) -> None:
    image = {"type": "image_url", "image_url": {"url": PNG_DATA_URL, "detail": "low"}}

    answer = suite_client.chat.completions.create(
        model="azure-chat", messages=[{"role": "user", "content": [{"type": "text", "text": "what?"}, image]}]
    )

    assert answer.choices[0].message.content == "Echo: what? [1 image]"
    assert _upstream(suite_fake, "/chat/completions")[0]["body"]["messages"][0]["content"][1] == image


@pytest.mark.parametrize("model", SURFACES)
def test_a_tool_call_round_trip(suite_client: openai.OpenAI, model: str) -> None:
    messages: list[Any] = [{"role": "user", "content": "weather in Paris?"}]
    first = suite_client.chat.completions.create(
        model=model, messages=messages, tools=[WEATHER], tool_choice="required"
    )

    call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert first.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather" and "city" in json.loads(call.function.arguments)  # type: ignore[union-attr]
    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
    ]
    second = suite_client.chat.completions.create(model=model, messages=messages, tools=[WEATHER])
    assert second.choices[0].message.content == "Tool results: sunny"


def test_streamed_parallel_tool_calls_assemble(suite_client: openai.OpenAI) -> None:
    stream = suite_client.chat.completions.create(
        model="azure-chat",
        messages=[{"role": "user", "content": "weather and time"}],
        tools=[WEATHER, CLOCK],
        stream=True,
    )
    chunks = list(stream)
    calls, _, _ = streamed_tool_calls(chunks)

    assert [calls[i]["name"] for i in sorted(calls)] == ["get_weather", "get_time"]
    assert all(entry["id"].startswith("call_") and json.loads(entry["arguments"]) for entry in calls.values())
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


# --- embeddings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["azure-embed", "azure-v1-embed"])
def test_embeddings_in_order_as_floats_and_base64_with_dimensions(
    suite_client: openai.OpenAI, suite_gateway: Gateway, suite_key: str, model: str
) -> None:
    texts = ["the first text", "a second one", "and a third"]

    floats = suite_client.embeddings.create(model=model, input=texts, dimensions=8, encoding_format="float")
    raw = httpx.post(
        f"{suite_gateway.v1}/embeddings",
        headers={"authorization": f"Bearer {suite_key}"},
        json={"model": model, "input": texts, "dimensions": 8, "encoding_format": "base64"},
        timeout=20,
    ).json()

    assert [item.index for item in floats.data] == [0, 1, 2]
    assert all(len(item.embedding) == 8 for item in floats.data)
    decoded = [list(struct.unpack("<8f", base64.b64decode(item["embedding"]))) for item in raw["data"]]
    assert decoded == [pytest.approx(item.embedding, rel=1e-6) for item in floats.data]
    single = suite_client.embeddings.create(
        model=model, input=texts[1], dimensions=8, encoding_format="float"
    )
    assert single.data[0].embedding == floats.data[1].embedding


# --- Azure's refusals and faults ---------------------------------------------------------------


def test_a_parameter_the_api_version_lacks_is_a_400_on_deployment_paths_only(
    suite_client: openai.OpenAI,
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        suite_client.chat.completions.create(
            model="azure-chat", messages=[{"role": "user", "content": "hi"}], reasoning_effort="low"
        )
    answer = suite_client.chat.completions.create(
        model="azure-v1-chat", messages=[{"role": "user", "content": "hi"}], reasoning_effort="low"
    )

    assert caught.value.code == "unsupported_parameter" and caught.value.param == "reasoning_effort"
    assert answer.choices[0].message.content == "Echo: hi"


@pytest.mark.parametrize("stream", [False, True])
def test_a_prompt_the_content_filter_refuses_is_a_400_saying_so(
    suite_client: openai.OpenAI, stream: bool
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        suite_client.chat.completions.create(
            model="azure-chat",
            messages=[{"role": "user", "content": "please filter-prompt:violence"}],
            stream=stream,
        )

    assert caught.value.status_code == 400 and caught.value.code == "content_filter"
    assert (
        "refused by the content filter of provider azure-deployments (violence: high)" in caught.value.message
    )
    assert FAKE_KEY not in caught.value.message


def test_a_filtered_completion_keeps_finish_reason_content_filter(suite_client: openai.OpenAI) -> None:
    messages: Any = [{"role": "user", "content": "a b filter-completion:hate c d"}]

    answer = suite_client.chat.completions.create(model="azure-v1-chat", messages=messages)
    chunks = list(suite_client.chat.completions.create(model="azure-v1-chat", messages=messages, stream=True))

    assert answer.choices[0].finish_reason == "content_filter"
    assert answer.choices[0].message.content == "Echo: a b"
    assert chunks[-1].choices[0].finish_reason == "content_filter"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Echo: a b"


def test_a_rate_limit_is_a_429_with_retry_after(
    suite_gateway: Gateway, suite_fake: FakeProvider, suite_client: openai.OpenAI
) -> None:
    suite_fake.knobs(model="gpt-4o-faulty", fault="429", retry_after=3)

    with pytest.raises(openai.RateLimitError) as caught:
        suite_client.chat.completions.create(
            model="azure-faulty", messages=[{"role": "user", "content": "hi"}]
        )

    assert caught.value.response.headers["retry-after"] == "3"
    assert caught.value.code == "upstream_rate_limited"


def test_a_stream_that_breaks_midway_ends_with_an_error_event_not_done(
    suite_gateway: Gateway, suite_fake: FakeProvider, suite_key: str
) -> None:
    # The fake's first frame is the prompt-filter chunk, which the client never sees.
    suite_fake.knobs(model="gpt-4o-faulty", fault="drop", drop_after_chunks=3)

    chunks, error = stream_chat_until_error(suite_gateway.v1, suite_key, "azure-faulty")

    assert len(chunks) == 2 and all(c["id"].startswith("chatcmpl-") for c in chunks)
    assert error["code"] == "upstream_disconnected"


def test_an_in_band_error_midway_ends_the_stream_with_the_mapped_error_event_not_done(
    suite_gateway: Gateway, suite_fake: FakeProvider, suite_key: str
) -> None:
    # Azure fails a started stream as OpenAI does: `data: {"error": {...}}` (a server_error), no [DONE].
    # The fake's first frame is the prompt-filter chunk, which the client never sees.
    suite_fake.knobs(model="gpt-4o-faulty", fault="stream_error", drop_after_chunks=3)

    chunks, error = stream_chat_until_error(suite_gateway.v1, suite_key, "azure-faulty")

    assert [c["choices"][0]["delta"].get("content") for c in chunks] == ["", "Echo:"]
    assert error["code"] == "upstream_error" and error["type"] == "server_error"
