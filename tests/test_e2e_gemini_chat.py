"""Gemini chats on AI Studio and Vertex AI through the running suite, driven with the official `openai` SDK.

Each one's credentials (AI Studio's key; Vertex's token, fetched once and
renewed when refused), a translated conversation, and streams. The suite and
what the fake checks: `gemini_suite`.
"""

from __future__ import annotations

import httpx
import openai
import pytest

from chat_samples import stream_chat_events, stream_chat_with_usage
from gemini_suite import CHATS, GEMINI_ACCOUNT_ENV, GEMINI_CONFIG, VERTEX_PATH, generations, upstream
from harness import FAKE_KEY, FakeProvider, Gateway

SUITE_CONFIG = GEMINI_CONFIG
SUITE_SERVICE_ACCOUNT_ENV = GEMINI_ACCOUNT_ENV


def test_ai_studio_gets_the_key_in_its_header_and_a_translated_conversation(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    raw = suite_client.chat.completions.with_raw_response.create(
        model="gemini-chat",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello gemini"}],
        max_tokens=50,
        temperature=0.5,
    )
    answer = raw.parse()

    assert answer.choices[0].message.content == "Echo: hello gemini"
    assert answer.choices[0].finish_reason == "stop" and answer.model == "gemini-2.0-flash"
    assert answer.usage is not None and (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (4, 3)
    assert raw.headers["x-aigw-provider"] == "gemini"
    [sent] = generations(suite_fake)
    assert sent["path"] == "/v1beta/models/gemini-2.0-flash:generateContent"
    assert sent["headers"]["x-goog-api-key"] == FAKE_KEY and "authorization" not in sent["headers"]
    assert sent["body"] == {
        "contents": [{"role": "user", "parts": [{"text": "hello gemini"}]}],
        "systemInstruction": {"parts": [{"text": "be brief"}]},
        "generationConfig": {"maxOutputTokens": 50, "temperature": 0.5},
    }


def test_vertex_gets_a_bearer_token_and_reports_reasoning_tokens(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    answer = suite_client.chat.completions.create(
        model="vertex-chat", messages=[{"role": "user", "content": "hello vertex"}]
    )

    assert answer.choices[0].message.content == "Echo: hello vertex"
    assert answer.usage is not None and answer.usage.completion_tokens_details is not None
    assert answer.usage.completion_tokens_details.reasoning_tokens == 3
    assert answer.usage.completion_tokens == 6
    [sent] = generations(suite_fake)
    assert sent["path"] == f"{VERTEX_PATH}/gemini-3-flash-preview:generateContent"
    assert sent["headers"]["authorization"].startswith("Bearer ya29.")
    assert "x-goog-api-key" not in sent["headers"]


def test_a_vertex_token_is_fetched_once_and_renewed_after_vertex_refuses_it(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    def ask(text: str) -> str | None:
        return (
            suite_client.chat.completions.create(
                model="vertex-fresh", messages=[{"role": "user", "content": text}]
            )
            .choices[0]
            .message.content
        )

    assert [ask("first"), ask("second")] == ["Echo: first", "Echo: second"]
    assert len(upstream(suite_fake, "/token")) == 1
    [bearer] = {r["headers"]["authorization"] for r in generations(suite_fake)}
    token = bearer.removeprefix("Bearer ")
    httpx.delete(f"{suite_fake.url}/_fake/google/tokens/{token}").raise_for_status()

    with pytest.raises(openai.APIStatusError) as refused:
        ask("third")
    recovered = ask("fourth")

    assert refused.value.status_code == 502 and refused.value.body["code"] == "upstream_auth_failed"  # type: ignore[index]
    assert recovered == "Echo: fourth"
    assert len(upstream(suite_fake, "/token")) == 2


@pytest.mark.parametrize("model", CHATS)
def test_a_stream_arrives_in_chunks_then_usage(suite_client: openai.OpenAI, model: str) -> None:
    chunks = stream_chat_with_usage(suite_client, model)

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: one two three four"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.prompt_tokens == 4
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) == 5


def test_a_stream_without_include_usage_carries_no_usage(suite_gateway: Gateway, suite_key: str) -> None:
    _, _, body = stream_chat_events(suite_gateway.v1, suite_key, "gemini-chat", "hi")

    assert body.rstrip().endswith("data: [DONE]") and '"usage"' not in body
