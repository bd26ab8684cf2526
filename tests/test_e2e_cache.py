"""Exact-match cache: opt-in per model, a hit skips the router, streams replay as SSE."""

from __future__ import annotations

import httpx
import pytest

from harness import Gateway


@pytest.fixture(scope="module")
def key(gateway: Gateway) -> str:
    secret: str = gateway.create_key("cache")["key"]
    return secret


def _post(gateway: Gateway, key: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(
        f"{gateway.v1}/chat/completions", headers={"authorization": f"Bearer {key}"}, json=body, timeout=20
    )


def test_a_second_identical_request_is_a_hit_that_never_reaches_the_provider(
    gateway: Gateway, key: str
) -> None:
    body = {"model": "cached", "messages": [{"role": "user", "content": "cache me"}], "temperature": 0}

    miss = _post(gateway, key, body)
    hit = _post(gateway, key, {**body, "user": "someone-else"})  # labels do not change the answer

    assert (miss.headers["x-aigw-cache"], hit.headers["x-aigw-cache"]) == ("miss", "hit")
    assert hit.content == miss.content
    assert len(gateway.fake.requests()) == 1


def test_a_different_request_is_a_miss(gateway: Gateway, key: str) -> None:
    _post(gateway, key, {"model": "cached", "messages": [{"role": "user", "content": "first"}]})
    other = _post(gateway, key, {"model": "cached", "messages": [{"role": "user", "content": "second"}]})

    assert other.headers["x-aigw-cache"] == "miss"


def test_a_model_without_caching_says_nothing_about_the_cache(gateway: Gateway, key: str) -> None:
    answer = _post(gateway, key, {"model": "chat", "messages": [{"role": "user", "content": "x"}]})
    assert "x-aigw-cache" not in answer.headers


def test_a_cached_stream_is_replayed_as_the_same_sse(gateway: Gateway, key: str) -> None:
    body = {"model": "cached", "messages": [{"role": "user", "content": "stream me please"}], "stream": True}

    first = _post(gateway, key, body)
    again = _post(gateway, key, body)

    assert (first.headers["x-aigw-cache"], again.headers["x-aigw-cache"]) == ("miss", "hit")
    assert again.text == first.text and again.text.endswith("data: [DONE]\n\n")
    assert again.headers["content-type"].startswith("text/event-stream")
    assert len(gateway.fake.requests()) == 1


def test_keys_do_not_share_cache_entries(gateway: Gateway, key: str) -> None:
    other_key: str = gateway.create_key("cache-tenant-2")["key"]
    body = {"model": "cached", "messages": [{"role": "user", "content": "tenant isolation"}]}

    _post(gateway, key, body)
    other = _post(gateway, other_key, body)

    assert other.headers["x-aigw-cache"] == "miss"
