"""Keys and headers on Anthropic's Messages door, driven with the `anthropic` SDK and plain HTTP.

A client's key as `x-api-key` or a bearer token; the `anthropic-version` and
`anthropic-beta` headers that go upstream; a bad key and a key over its limit
refused in Anthropic's shapes. The suite: `messages_suite`.
"""

from __future__ import annotations

import anthropic
import httpx
import pytest

from harness import FakeProvider, Gateway
from messages_suite import HELLO, MESSAGES_CONFIG, MODELS, anthropic_error

SUITE_CONFIG = MESSAGES_CONFIG


def test_both_x_api_key_and_bearer_are_accepted(suite_gateway: Gateway, suite_key: str) -> None:
    body = {"model": "claude", "max_tokens": 20, "messages": HELLO}

    with_x_api_key = httpx.post(f"{suite_gateway.v1}/messages", json=body, headers={"x-api-key": suite_key})
    # Coding agents add ?beta=true when they use beta features; the path is the same door.
    with_bearer = httpx.post(
        f"{suite_gateway.v1}/messages?beta=true", json=body, headers={"authorization": f"Bearer {suite_key}"}
    )

    assert with_x_api_key.status_code == 200 and with_bearer.status_code == 200
    assert with_x_api_key.json()["content"] == with_bearer.json()["content"]


def test_any_anthropic_version_is_accepted_and_the_gateway_sends_its_own_upstream(
    suite_gateway: Gateway, suite_fake: FakeProvider, suite_key: str
) -> None:
    body = {"model": "claude", "max_tokens": 20, "messages": HELLO}
    without = httpx.post(f"{suite_gateway.v1}/messages", json=body, headers={"x-api-key": suite_key})
    with_version = httpx.post(
        f"{suite_gateway.v1}/messages",
        json=body,
        headers={"x-api-key": suite_key, "anthropic-version": "2099-01-01"},
    )

    assert without.status_code == 200 and with_version.status_code == 200
    sent = [request["headers"] for request in suite_fake.requests()]
    assert [headers["anthropic-version"] for headers in sent] == ["2023-06-01", "2023-06-01"]
    assert all(headers["x-api-key"] != suite_key for headers in sent)


def test_beta_features_reach_claude_and_only_claude(
    suite_anthropic: anthropic.Anthropic, suite_fake: FakeProvider
) -> None:
    betas = ["context-management-2025-06-27", "interleaved-thinking-2025-05-14"]

    for model in MODELS:
        suite_anthropic.beta.messages.create(model=model, max_tokens=20, messages=HELLO, betas=betas)
    suite_anthropic.beta.messages.count_tokens(model="claude", messages=HELLO, betas=betas)

    sent = {request["path"]: request["headers"] for request in suite_fake.requests()}
    assert sent["/v1/messages"]["anthropic-beta"] == ",".join(betas)
    # The SDK adds its own token-counting beta there; every name the client sent goes on, in order.
    assert sent["/v1/messages/count_tokens"]["anthropic-beta"].split(",")[:2] == betas
    assert "anthropic-beta" not in sent["/v1/chat/completions"]


def test_a_malformed_beta_name_is_a_400_before_anything_is_sent(
    suite_gateway: Gateway, suite_fake: FakeProvider, suite_key: str
) -> None:
    response = httpx.post(
        f"{suite_gateway.v1}/messages",
        json={"model": "claude", "max_tokens": 20, "messages": HELLO},
        headers={"x-api-key": suite_key, "anthropic-beta": "good-2025-01-01, bad value;x=1"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert suite_fake.requests() == []


def test_a_bad_key_is_a_401_authentication_error(suite_gateway: Gateway) -> None:
    client = anthropic.Anthropic(base_url=suite_gateway.url, api_key="sk-not-a-key", max_retries=0)

    with pytest.raises(anthropic.AuthenticationError) as refused:
        client.messages.create(model="claude", max_tokens=10, messages=HELLO)

    assert refused.value.status_code == 401
    assert anthropic_error(refused)["type"] == "authentication_error"


def test_a_key_over_its_rate_limit_is_a_429_rate_limit_error(suite_gateway: Gateway) -> None:
    limited = suite_gateway.create_key("limited", rpm_limit=1)["key"]
    client = anthropic.Anthropic(base_url=suite_gateway.url, api_key=limited, max_retries=0)
    client.messages.create(model="claude", max_tokens=10, messages=HELLO)

    with pytest.raises(anthropic.RateLimitError) as refused:
        client.messages.create(model="claude", max_tokens=10, messages=HELLO)

    assert anthropic_error(refused)["type"] == "rate_limit_error"
    assert int(refused.value.response.headers["retry-after"]) >= 1
