"""Gemini's failures on AI Studio and Vertex AI through the running suite, over OpenAI's API.

Overload and rate limits keep their meaning (and AI Studio's retry delay),
and a stream that breaks midway ends with an error event. The suite and what
the fake checks: `gemini_suite`.
"""

from __future__ import annotations

import pytest

from chat_samples import post_chat, stream_chat_until_error
from gemini_suite import GEMINI_ACCOUNT_ENV, GEMINI_CONFIG
from harness import FAKE_KEY, FakeProvider, Gateway

SUITE_CONFIG = GEMINI_CONFIG
SUITE_SERVICE_ACCOUNT_ENV = GEMINI_ACCOUNT_ENV
FAULTY = [("gemini-faulty", "gemini-faulty"), ("vertex-faulty", "vertex-faulty")]


def test_ai_studios_429_keeps_its_retry_delay_as_retry_after(
    suite_gateway: Gateway, suite_key: str, suite_fake: FakeProvider
) -> None:
    suite_fake.knobs(model="gemini-faulty", fault="429", retry_after=3)

    response = post_chat(suite_gateway.v1, suite_key, "gemini-faulty")

    assert response.status_code == 429 and response.headers["retry-after"] == "3"
    assert response.json()["error"]["code"] == "upstream_rate_limited"
    assert FAKE_KEY not in response.text


@pytest.mark.parametrize(("model", "upstream"), FAULTY)
@pytest.mark.parametrize(
    ("fault", "status", "code"), [("503", 503, "upstream_overloaded"), ("429", 429, "upstream_rate_limited")]
)
def test_overload_and_rate_limits_keep_their_meaning(
    suite_gateway: Gateway,
    suite_key: str,
    suite_fake: FakeProvider,
    model: str,
    upstream: str,
    fault: str,
    status: int,
    code: str,
) -> None:
    suite_fake.knobs(model=upstream, fault=fault)

    response = post_chat(suite_gateway.v1, suite_key, model)

    assert response.status_code == status and response.json()["error"]["code"] == code


@pytest.mark.parametrize(("model", "upstream"), FAULTY)
def test_a_stream_that_breaks_midway_ends_with_an_error_event_not_done(
    suite_gateway: Gateway, suite_key: str, suite_fake: FakeProvider, model: str, upstream: str
) -> None:
    suite_fake.knobs(model=upstream, fault="drop", drop_after_chunks=2)

    chunks, error = stream_chat_until_error(suite_gateway.v1, suite_key, model)

    assert len(chunks) == 2 and error["code"] == "upstream_disconnected"


@pytest.mark.parametrize(("model", "upstream"), FAULTY)
def test_an_unavailable_status_midway_ends_the_stream_with_an_overloaded_error_event_not_done(
    suite_gateway: Gateway, suite_key: str, suite_fake: FakeProvider, model: str, upstream: str
) -> None:
    # Google fails a started stream with its Status envelope as an SSE event: 503 UNAVAILABLE.
    suite_fake.knobs(model=upstream, fault="stream_error", drop_after_chunks=2)

    chunks, error = stream_chat_until_error(suite_gateway.v1, suite_key, model)

    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == "Echo: a"
    assert error["code"] == "upstream_overloaded"
