"""`POST /v1/messages/count_tokens` on models other than Claude, through the suite, with the `anthropic` SDK.

Gemini (AI Studio), Vertex AI and Bedrock count with their own APIs
(`countTokens`, `count-tokens`), which the fake serves as strictly as their
generate calls and answers with the prompt tokens the same conversation is
billed when it is sent: so a count here must equal the `usage.input_tokens`
of the same request sent with `messages.create`, system prompt, image, tools
and a tool round trip included. A model served over OpenAI's API has no
counting API and says so with a 400.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anthropic
import pytest

from chat_samples import PNG_BASE64
from google_keys import PROJECT
from harness import FakeProvider
from messages_suite import WEATHER, anthropic_error

KEY_ID = "AKIDE2ECOUNTTOKENS01"
SECRET = "e2e-count-tokens-secret-access-key"
REGION = "eu-central-1"
PROFILE_ARN = (
    "arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0"
)
SUITE_CONFIG = """\
providers:
  - name: gemini
    type: gemini
    base_url: {fake_url}
    api_key: env:FAKE_UPSTREAM_KEY
    timeout_s: 5
  - name: gemini-wrong-key
    type: gemini
    base_url: {fake_url}
    api_key: env:COUNT_E2E_WRONG_KEY
    timeout_s: 5
  - name: vertex
    type: vertex
    base_url: {fake_url}
    project: aigw-test
    region: us-central1
    service_account: env:COUNT_E2E_SERVICE_ACCOUNT
    token_url: {fake_url}/token
    timeout_s: 5
  - name: bedrock
    type: bedrock
    base_url: {fake_url}
    region: eu-central-1
    aws_access_key_id: env:COUNT_E2E_AWS_KEY_ID
    aws_secret_access_key: env:COUNT_E2E_AWS_SECRET
    timeout_s: 5
  - name: bedrock-wrong-secret
    type: bedrock
    base_url: {fake_url}
    region: eu-central-1
    aws_access_key_id: env:COUNT_E2E_AWS_KEY_ID
    aws_secret_access_key: env:COUNT_E2E_WRONG_KEY
    timeout_s: 5
  - name: gpt
    type: openai
    base_url: {fake_url}/v1
    api_key: env:FAKE_UPSTREAM_KEY
    timeout_s: 5
models:
  - name: gemini
    deployments: [{{provider: gemini, model: gemini-2.0-flash}}]
  - name: vertex
    deployments: [{{provider: vertex, model: gemini-2.5-flash}}]
  - name: bedrock
    deployments: [{{provider: bedrock, model: "arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0"}}]
  - name: gemini-wrong-key
    deployments: [{{provider: gemini-wrong-key, model: gemini-2.0-flash}}]
  - name: bedrock-wrong-secret
    deployments: [{{provider: bedrock-wrong-secret, model: "anthropic.claude-3-haiku-20240307-v1:0"}}]
  - name: gpt
    deployments: [{{provider: gpt, model: gpt-fake}}]
"""
COUNTING = ["gemini", "vertex", "bedrock"]
COUNT_PATH = {
    "gemini": "/v1beta/models/gemini-2.0-flash:countTokens",
    "vertex": f"/v1/projects/{PROJECT}/locations/us-central1/publishers/google/models/gemini-2.5-flash:countTokens",
    "bedrock": f"/model/{PROFILE_ARN}/count-tokens",
}
SYSTEM = "You are a terse weather assistant"
IMAGE: Any = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_BASE64}}
QUESTION: list[Any] = [
    {"role": "user", "content": [{"type": "text", "text": "what is the weather here"}, IMAGE]}
]
ROUND_TRIP: list[Any] = [
    *QUESTION,
    {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}],
    },
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny, 24C"}]},
]
# The fake counts words and 85 tokens an image: the system prompt (6), the question (5), the image,
# and in the round trip the tool's answer (2); the assistant's call carries no text.
QUESTION_TOKENS = 6 + 5 + 85
ROUND_TRIP_TOKENS = QUESTION_TOKENS + 2


@pytest.fixture(scope="module")
def suite_fake_args(google_service_account: Path) -> tuple[str, ...]:
    return (
        "--google-service-account", str(google_service_account),
        "--aws-access-key-id", KEY_ID,
        "--aws-secret-access-key", SECRET,
        "--aws-region", REGION,
    )  # fmt: skip


@pytest.fixture(scope="module")
def suite_env(google_service_account: Path) -> dict[str, str]:
    return {
        "COUNT_E2E_SERVICE_ACCOUNT": google_service_account.read_text(),
        "COUNT_E2E_AWS_KEY_ID": KEY_ID,
        "COUNT_E2E_AWS_SECRET": SECRET,
        "COUNT_E2E_WRONG_KEY": "not-the-upstream-credential",
    }


@pytest.mark.parametrize("model", COUNTING)
@pytest.mark.parametrize(
    ("messages", "tokens"), [(QUESTION, QUESTION_TOKENS), (ROUND_TRIP, ROUND_TRIP_TOKENS)]
)
def test_the_providers_own_count_is_what_the_same_message_is_billed(
    suite_anthropic: anthropic.Anthropic,
    suite_fake: FakeProvider,
    model: str,
    messages: list[Any],
    tokens: int,
) -> None:
    counted = suite_anthropic.messages.count_tokens(
        model=model, system=SYSTEM, messages=messages, tools=[WEATHER]
    )
    sent = suite_anthropic.messages.create(
        model=model, max_tokens=50, system=SYSTEM, messages=messages, tools=[WEATHER]
    )

    assert counted.input_tokens == tokens
    assert sent.usage.input_tokens == tokens
    paths = [request["path"] for request in suite_fake.requests() if request["path"] != "/token"]
    assert paths[0] == COUNT_PATH[model] and len(paths) == 2


def test_a_model_served_over_openais_api_cannot_count_and_says_so(
    suite_anthropic: anthropic.Anthropic, suite_fake: FakeProvider
) -> None:
    with pytest.raises(anthropic.BadRequestError) as refused:
        suite_anthropic.messages.count_tokens(model="gpt", system=SYSTEM, messages=QUESTION, tools=[WEATHER])

    assert anthropic_error(refused)["type"] == "invalid_request_error"
    assert "gpt (openai) cannot count tokens" in anthropic_error(refused)["message"]
    assert suite_fake.requests() == []


@pytest.mark.parametrize("model", ["gemini-wrong-key", "bedrock-wrong-secret"])
def test_credentials_the_provider_refuses_are_the_gateways_fault_not_the_clients(
    suite_anthropic: anthropic.Anthropic, suite_fake: FakeProvider, model: str
) -> None:
    with pytest.raises(anthropic.APIStatusError) as refused:
        suite_anthropic.messages.count_tokens(model=model, messages=QUESTION)

    assert refused.value.status_code == 502
    assert anthropic_error(refused) == {
        "type": "api_error",
        "message": f"Provider {model} refused the gateway's credentials.",
    }
    assert suite_fake.requests()[0]["path"].endswith(("countTokens", "count-tokens"))


@pytest.mark.parametrize(
    ("model", "upstream", "fault", "status", "kind"),
    [
        ("gemini", "gemini-2.0-flash", "429", 429, "rate_limit_error"),
        ("vertex", "gemini-2.5-flash", "503", 529, "overloaded_error"),  # Anthropic's own overload status
        ("bedrock", PROFILE_ARN, "429", 429, "rate_limit_error"),
    ],
)
def test_a_providers_fault_while_counting_is_mapped_like_any_of_its_faults(
    suite_anthropic: anthropic.Anthropic,
    suite_fake: FakeProvider,
    model: str,
    upstream: str,
    fault: str,
    status: int,
    kind: str,
) -> None:
    suite_fake.knobs(model=upstream, fault=fault, retry_after=3)

    with pytest.raises(anthropic.APIStatusError) as refused:
        suite_anthropic.messages.count_tokens(model=model, messages=QUESTION)

    assert refused.value.status_code == status and anthropic_error(refused)["type"] == kind
    if status == 429:
        assert refused.value.response.headers["retry-after"] == "3"
