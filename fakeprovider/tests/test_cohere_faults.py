"""The fake's faults on Cohere's v2 API: Cohere-shaped errors, cut and paced streams."""

from __future__ import annotations

import time

import httpx
import pytest

from fake_cohere import body, chat, embed, error_of, events
from fake_requests import set_knobs


async def test_fault_429_is_cohere_shaped_with_retry_after(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await set_knobs(http, fault="429", retry_after=7)

    response = await chat(http, auth, body())

    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert "Trial key" in error_of(response)


@pytest.mark.parametrize(("fault", "status"), [("500", 500), ("503", 503)])
async def test_server_faults_are_cohere_shaped(
    http: httpx.AsyncClient, auth: dict[str, str], fault: str, status: int
) -> None:
    await set_knobs(http, fault=fault)

    chat_response = await chat(http, auth, body())
    embed_response = await http.post("/v2/embed", headers=auth, json=embed())

    assert chat_response.status_code == embed_response.status_code == status
    assert error_of(chat_response) and error_of(embed_response)


async def test_invalid_requests_are_refused_before_faults_apply(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await set_knobs(http, fault="500")
    assert (await chat(http, auth, body(model=...))).status_code == 400


async def test_drop_cuts_a_stream_before_message_end(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await set_knobs(http, fault="drop", drop_after_chunks=2)
    received: list[str] = []

    with pytest.raises(httpx.RemoteProtocolError):
        async with http.stream("POST", "/v2/chat", headers=auth, json=body(stream=True)) as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    received.append(line.removeprefix("event: "))

    assert received == ["message-start", "content-start"]


async def test_hang_never_answers_a_cohere_request(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await set_knobs(http, fault="hang")

    with pytest.raises(httpx.ReadTimeout):
        await http.post("/v2/chat", headers=auth, json=body(), timeout=0.3)


async def test_stream_pacing_knobs_apply_to_cohere_events(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await set_knobs(http, ttft_ms=150)
    started = time.perf_counter()

    found = await events(http, auth, body())

    assert time.perf_counter() - started >= 0.15
    assert found[-1][0] == "message-end"
