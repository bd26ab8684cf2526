"""Upstream trouble and limits, end to end: mapped statuses, fallback, and broken streams."""

from __future__ import annotations

import pytest

from chat_samples import post_chat, stream_chat_until_error
from harness import Gateway


@pytest.fixture(scope="module")
def key(gateway: Gateway) -> str:
    secret: str = gateway.create_key("faults")["key"]
    return secret


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ("429", 429, "upstream_rate_limited"),
        ("500", 502, "upstream_error"),
        ("503", 503, "upstream_overloaded"),
    ],
)
def test_an_upstream_error_is_mapped_to_openais_shape(
    gateway: Gateway, key: str, fault: str, status: int, code: str
) -> None:
    gateway.fake.knobs(model="faulty-model", fault=fault, retry_after=7)

    response = post_chat(gateway.v1, key, "faulty")

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    if status == 429:
        assert response.headers["retry-after"] == "7"
    assert "sk-fake-upstream" not in response.text


def test_a_hanging_upstream_is_a_504_after_the_providers_timeout(gateway: Gateway, key: str) -> None:
    gateway.fake.knobs(model="faulty-model", fault="hang")

    response = post_chat(gateway.v1, key, "faulty")

    assert response.status_code == 504
    assert response.json()["error"]["code"] == "upstream_timeout"


def test_a_failing_deployment_falls_back_to_the_next(gateway: Gateway, key: str) -> None:
    gateway.fake.knobs(model="fails-first", fault="503")

    response = post_chat(gateway.v1, key, "fallback")

    assert response.status_code == 200
    assert response.headers["x-aigw-provider"] == "fake-backup"
    assert response.headers["x-aigw-attempts"] == "2"
    assert [r["body"]["model"] for r in gateway.fake.requests()] == ["fails-first", "backup-model"]


def test_a_stream_that_breaks_midway_ends_with_an_error_event_not_done(gateway: Gateway, key: str) -> None:
    gateway.fake.knobs(model="faulty-model", fault="drop", drop_after_chunks=2)

    chunks, error = stream_chat_until_error(gateway.v1, key, "faulty")

    assert len(chunks) == 2 and error["code"] == "upstream_disconnected"


def test_an_in_band_error_midway_ends_the_stream_with_the_mapped_error_event_not_done(
    gateway: Gateway, key: str
) -> None:
    # OpenAI's own failure inside a stream: `data: {"error": {"type": "server_error", ...}}`, no [DONE].
    gateway.fake.knobs(model="faulty-model", fault="stream_error", drop_after_chunks=2)

    chunks, error = stream_chat_until_error(gateway.v1, key, "faulty")

    assert [c["choices"][0]["delta"].get("content") for c in chunks] == ["", "Echo:"]
    assert error["code"] == "upstream_error" and error["type"] == "server_error"


def test_a_stream_refused_before_it_starts_gets_a_real_status(gateway: Gateway, key: str) -> None:
    gateway.fake.knobs(model="faulty-model", fault="429", retry_after=3)

    response = post_chat(gateway.v1, key, "faulty", stream=True)

    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.headers["content-type"] == "application/json"


def test_requests_beyond_the_keys_rpm_are_429_with_rate_limit_headers(gateway: Gateway) -> None:
    limited: str = gateway.create_key("limited", rpm_limit=2)["key"]

    answers = [post_chat(gateway.v1, limited, "chat") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["x-ratelimit-limit-requests"] == "2"
    assert answers[0].headers["x-ratelimit-remaining-requests"] == "1"
    assert answers[1].headers["x-ratelimit-remaining-requests"] == "0"
    refused = answers[2]
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert 1 <= int(refused.headers["retry-after"]) <= 30
    assert refused.headers["x-ratelimit-remaining-requests"] == "0"
