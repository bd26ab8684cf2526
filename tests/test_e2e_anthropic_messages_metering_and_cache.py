"""Metering and the cache behind Anthropic's Messages door, with the `anthropic` SDK and plain HTTP.

The usage of Claude's answers and of translated ones reaches metering, and a
cached answer is replayed in Anthropic's shape. The suite: `messages_suite`.
"""

from __future__ import annotations

import json
import time

import anthropic
import httpx

from harness import FakeProvider, Gateway
from messages_suite import HELLO, MESSAGES_CONFIG

SUITE_CONFIG = MESSAGES_CONFIG


def test_usage_of_native_and_translated_answers_reaches_metering(suite_gateway: Gateway) -> None:
    created = suite_gateway.create_key("metered")
    client = anthropic.Anthropic(base_url=suite_gateway.url, api_key=created["key"], max_retries=0)
    native = client.messages.create(model="claude", max_tokens=50, messages=HELLO)
    with client.messages.stream(model="gpt", max_tokens=50, messages=HELLO) as stream:
        translated = stream.get_final_message()

    deadline = time.monotonic() + 5
    while True:
        result = suite_gateway.cli("usage", "--key", created["id"], "--json")
        rows = {row["model"]: row for row in json.loads(result.stdout)}
        if {"claude", "gpt"} <= set(rows) or time.monotonic() > deadline:
            break
        time.sleep(0.1)

    for model, message in (("claude", native), ("gpt", translated)):
        assert rows[model]["requests"] == 1 and rows[model]["errors"] == 0
        assert rows[model]["prompt_tokens"] == message.usage.input_tokens
        assert rows[model]["completion_tokens"] == message.usage.output_tokens


def test_a_cached_answer_is_replayed_in_anthropics_shape(
    suite_gateway: Gateway, suite_fake: FakeProvider, suite_key: str
) -> None:
    body = {"model": "gpt-cached", "max_tokens": 50, "messages": [{"role": "user", "content": "cache me"}]}
    headers = {"x-api-key": suite_key}

    answers = [httpx.post(f"{suite_gateway.v1}/messages", json=body, headers=headers) for _ in range(2)]
    streams = [
        httpx.post(f"{suite_gateway.v1}/messages", json={**body, "stream": True}, headers=headers)
        for _ in range(2)
    ]
    chat = httpx.post(
        f"{suite_gateway.v1}/chat/completions",
        json={"model": "gpt-cached", "max_tokens": 50, "messages": body["messages"]},
        headers=headers,
    )

    assert [a.headers.get("x-aigw-cache") for a in answers] == ["miss", "hit"]
    assert answers[1].json() == answers[0].json() and answers[1].json()["type"] == "message"
    assert [s.headers.get("x-aigw-cache") for s in streams] == ["miss", "hit"]
    assert streams[1].text == streams[0].text and streams[1].text.startswith("event: message_start\n")
    assert chat.headers.get("x-aigw-cache") == "miss" and chat.json()["object"] == "chat.completion"
    assert len(suite_fake.requests()) == 3
