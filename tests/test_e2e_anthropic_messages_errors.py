"""Errors on Anthropic's Messages door, in Anthropic's shapes, seen by the `anthropic` SDK and over plain HTTP.

The gateway's own refusals, the providers' faults, and streams that fail
midway, from Claude (passed through) and GPT (translated) alike. The suite:
`messages_suite`.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import orjson
import pytest

from harness import FakeProvider, Gateway
from messages_suite import HELLO, MESSAGES_CONFIG, anthropic_error

SUITE_CONFIG = MESSAGES_CONFIG


def _error_event(response: httpx.Response) -> dict[str, Any]:
    """The event that ended a stream begun as a 200, checked to be Anthropic's `event: error`, not message_stop."""
    assert response.status_code == 200
    frames = response.text.strip().split("\n\n")
    assert frames[0].startswith("event: message_start\n")
    assert "event: message_stop" not in response.text
    name, data = frames[-1].split("\n", 1)
    assert name == "event: error"
    error: dict[str, Any] = orjson.loads(data.removeprefix("data: "))
    return error


def test_an_unknown_model_is_a_404_not_found_error(suite_anthropic: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as refused:
        suite_anthropic.messages.create(model="no-such-model", max_tokens=10, messages=HELLO)

    assert anthropic_error(refused)["type"] == "not_found_error"
    assert "no-such-model" in anthropic_error(refused)["message"]


def test_a_bad_body_is_a_400_invalid_request_error_naming_the_field(
    suite_gateway: Gateway, suite_key: str
) -> None:
    response = httpx.post(
        f"{suite_gateway.v1}/messages",
        json={"model": "claude", "messages": HELLO},
        headers={"x-api-key": suite_key},
    )

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in body["error"]["message"]


def test_paths_and_methods_under_the_door_answer_in_its_shape(suite_gateway: Gateway, suite_key: str) -> None:
    wrong_method = httpx.get(f"{suite_gateway.v1}/messages", headers={"x-api-key": suite_key})
    unknown_path = httpx.post(
        f"{suite_gateway.v1}/messages/batches", json={}, headers={"x-api-key": suite_key}
    )

    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["type"] == "invalid_request_error"
    assert unknown_path.status_code == 404 and unknown_path.json()["error"]["type"] == "not_found_error"


@pytest.mark.parametrize("model", ["claude-faulty", "gpt-faulty"])
def test_a_provider_rate_limit_is_a_429_with_its_retry_after(
    suite_anthropic: anthropic.Anthropic, suite_fake: FakeProvider, model: str
) -> None:
    suite_fake.knobs(model=model, fault="429", retry_after=7)

    with pytest.raises(anthropic.RateLimitError) as refused:
        suite_anthropic.messages.create(model=model, max_tokens=10, messages=HELLO)

    assert anthropic_error(refused)["type"] == "rate_limit_error"
    assert refused.value.response.headers["retry-after"] == "7"


@pytest.mark.parametrize("model", ["claude-faulty", "gpt-faulty"])
def test_an_overloaded_provider_is_anthropics_529_overloaded_error(
    suite_anthropic: anthropic.Anthropic, suite_fake: FakeProvider, model: str
) -> None:
    suite_fake.knobs(model=model, fault="503")

    with pytest.raises(anthropic.OverloadedError) as refused:
        suite_anthropic.messages.create(model=model, max_tokens=10, messages=HELLO)

    assert refused.value.status_code == 529
    assert anthropic_error(refused)["type"] == "overloaded_error"
    assert "sk-fake-upstream" not in json.dumps(refused.value.body)


@pytest.mark.parametrize("model", ["claude-faulty", "gpt-faulty"])
def test_a_stream_that_drops_midway_ends_with_an_error_event(
    suite_gateway: Gateway,
    suite_fake: FakeProvider,
    suite_key: str,
    suite_anthropic: anthropic.Anthropic,
    model: str,
) -> None:
    suite_fake.knobs(model=model, fault="drop", drop_after_chunks=3)
    body = {"model": model, "max_tokens": 50, "messages": HELLO, "stream": True}

    response = httpx.post(f"{suite_gateway.v1}/messages", json=body, headers={"x-api-key": suite_key})
    with pytest.raises(anthropic.APIStatusError) as failed:
        list(suite_anthropic.messages.create(model=model, max_tokens=50, messages=HELLO, stream=True))

    error = _error_event(response)
    assert error["type"] == "error" and error["error"]["type"] == "api_error"
    assert anthropic_error(failed)["type"] == "api_error"


@pytest.mark.parametrize(
    ("model", "error_type", "texts"),
    [
        # Claude's own `event: error` (overloaded_error) after message_start, a block start, a ping and
        # one text delta, is Anthropic's overload.
        ("claude-faulty", "overloaded_error", ["Echo:"]),
        # OpenAI's in-band `data: {"error": {"type": "server_error"}}` after the role chunk and three
        # tokens is a failed upstream: an api_error.
        ("gpt-faulty", "api_error", ["Echo:", " hello", " there"]),
    ],
)
def test_an_in_band_error_midway_ends_the_stream_with_an_error_event_not_message_stop(
    suite_gateway: Gateway,
    suite_fake: FakeProvider,
    suite_key: str,
    suite_anthropic: anthropic.Anthropic,
    model: str,
    error_type: str,
    texts: list[str],
) -> None:
    suite_fake.knobs(model=model, fault="stream_error", drop_after_chunks=4)
    body = {"model": model, "max_tokens": 50, "messages": HELLO, "stream": True}

    response = httpx.post(f"{suite_gateway.v1}/messages", json=body, headers={"x-api-key": suite_key})
    received: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as failed:
        for event in suite_anthropic.messages.create(model=model, max_tokens=50, messages=HELLO, stream=True):
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                received.append(event.delta.text)

    error = _error_event(response)
    assert error["type"] == "error" and error["error"]["type"] == error_type
    assert anthropic_error(failed)["type"] == error_type
    assert received == texts
