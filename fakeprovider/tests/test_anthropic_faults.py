"""The fake's faults on Anthropic's Messages API: Anthropic's statuses, error types, and stream cuts."""

from __future__ import annotations

import time

import anthropic
import httpx
import pytest

from fake_anthropic import body, error_of
from fake_requests import set_knobs


async def test_fault_429_is_a_rate_limit_error_with_retry_after(
    http: httpx.AsyncClient, headers: dict[str, str], sdk: anthropic.AsyncAnthropic
) -> None:
    await set_knobs(http, fault="429", retry_after=7)

    raw = await http.post("/v1/messages", headers=headers, json=body())
    with pytest.raises(anthropic.RateLimitError) as raised:
        await sdk.messages.create(**body())

    assert raw.status_code == 429 and raw.headers["retry-after"] == "7"
    assert raw.headers["x-should-retry"] == "true"
    assert error_of(raw)["type"] == "rate_limit_error"
    assert raised.value.response.headers["retry-after"] == "7"


@pytest.mark.parametrize(
    ("fault", "status", "error_type", "error_class"),
    [
        ("503", 529, "overloaded_error", anthropic.OverloadedError),
        ("500", 500, "api_error", anthropic.InternalServerError),
    ],
)
async def test_server_faults_use_anthropics_statuses(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    sdk: anthropic.AsyncAnthropic,
    fault: str,
    status: int,
    error_type: str,
    error_class: type[Exception],
) -> None:
    await set_knobs(http, fault=fault)

    raw = await http.post("/v1/messages", headers=headers, json=body(stream=True))
    with pytest.raises(error_class):
        await sdk.messages.create(**body())

    assert raw.status_code == status and raw.headers["content-type"] == "application/json"
    assert error_of(raw)["type"] == error_type


async def test_drop_cuts_a_stream_before_message_stop(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await set_knobs(http, fault="drop", drop_after_chunks=3)
    frames: list[str] = []

    with pytest.raises(httpx.RemoteProtocolError):
        async with http.stream("POST", "/v1/messages", headers=headers, json=body(stream=True)) as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    frames.append(line.removeprefix("event: "))

    assert frames == ["message_start", "content_block_start", "ping"]


async def test_hang_never_answers_until_the_client_gives_up(
    http: httpx.AsyncClient, sdk: anthropic.AsyncAnthropic
) -> None:
    await set_knobs(http, fault="hang")
    started = time.perf_counter()

    with pytest.raises(anthropic.APITimeoutError):
        await sdk.messages.create(**body(), timeout=0.3)

    assert time.perf_counter() - started >= 0.3


async def test_faults_apply_per_model(http: httpx.AsyncClient, sdk: anthropic.AsyncAnthropic) -> None:
    await set_knobs(http, model="claude-faulty", fault="503")

    with pytest.raises(anthropic.OverloadedError):
        await sdk.messages.create(**body(model="claude-faulty"))
    healthy = await sdk.messages.create(**body())

    assert healthy.stop_reason == "end_turn"


async def test_latency_ttft_and_token_pace_shape_anthropic_answers(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await set_knobs(http, latency_ms=150, ttft_ms=150, tokens_per_s=20)

    started = time.perf_counter()
    await http.post("/v1/messages", headers=headers, json=body())
    latency = time.perf_counter() - started
    arrivals: list[float] = []
    started = time.perf_counter()
    async with http.stream("POST", "/v1/messages", headers=headers, json=body(stream=True)) as response:
        async for line in response.aiter_lines():
            if line == "event: content_block_delta":
                arrivals.append(time.perf_counter() - started)

    assert latency >= 0.15
    assert len(arrivals) == 2 and arrivals[0] >= 0.15
    assert arrivals[1] - arrivals[0] >= 0.04  # one token every 50 ms, with slack for timer jitter


async def test_fault_rate_fails_a_deterministic_share_of_requests(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await set_knobs(http, fault="503", fault_rate=0.5)

    statuses = [(await http.post("/v1/messages", headers=headers, json=body())).status_code for _ in range(4)]

    assert statuses == [200, 529, 200, 529]
