"""Knobs and faults set through the control API, and the request recorder, seen over real HTTP."""

from __future__ import annotations

import time
from typing import Any

import httpx
import openai
import pytest

MODEL = "fake-gpt-4o"


def chat(content: str = "a b c d", *, model: str = MODEL, **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}], **extra}


async def set_knobs(http: httpx.AsyncClient, **knobs: Any) -> None:
    response = await http.put("/_fake/knobs", json=knobs)
    assert response.status_code == 200, response.text


async def test_fault_429_has_retry_after_and_openai_rate_limit_body(
    http: httpx.AsyncClient, client: openai.AsyncOpenAI, auth: dict[str, str]
) -> None:
    await set_knobs(http, fault="429", retry_after=7)

    raw = await http.post("/v1/chat/completions", headers=auth, json=chat())
    with pytest.raises(openai.RateLimitError) as raised:
        await client.chat.completions.create(**chat())

    assert raw.status_code == 429
    assert raw.headers["retry-after"] == "7"
    assert raw.json()["error"] == {
        "message": "Rate limit reached for fake-gpt-4o in organization org-fake on requests per min (RPM): "
        "Limit 3, Used 3. Please try again in 7s.",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    assert raised.value.status_code == 429
    assert raised.value.code == "rate_limit_exceeded"


@pytest.mark.parametrize(
    ("fault", "error_class", "message"),
    [
        (
            "500",
            openai.InternalServerError,
            "The server had an error while processing your request. Sorry about that!",
        ),
        ("503", openai.InternalServerError, "The engine is currently overloaded, please try again later"),
    ],
)
async def test_server_error_faults_use_openai_bodies(
    http: httpx.AsyncClient,
    client: openai.AsyncOpenAI,
    auth: dict[str, str],
    fault: str,
    error_class: type[Exception],
    message: str,
) -> None:
    await set_knobs(http, fault=fault)

    raw = await http.post("/v1/chat/completions", headers=auth, json=chat())
    with pytest.raises(error_class):
        await client.chat.completions.create(**chat())

    assert raw.status_code == int(fault)
    assert raw.json() == {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
    assert "retry-after" not in raw.headers


async def test_faults_apply_to_embeddings(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await set_knobs(http, fault="500")

    response = await http.post(
        "/v1/embeddings", headers=auth, json={"model": "fake-embedding-small", "input": "x"}
    )

    assert response.status_code == 500


async def test_invalid_requests_are_rejected_before_faults_apply(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await set_knobs(http, fault="500")

    response = await http.post("/v1/chat/completions", headers=auth, json={"model": MODEL})

    assert response.status_code == 400


async def test_hang_never_answers_until_the_client_gives_up(
    http: httpx.AsyncClient, client: openai.AsyncOpenAI
) -> None:
    await set_knobs(http, fault="hang")
    started = time.perf_counter()

    with pytest.raises(openai.APITimeoutError):
        await client.chat.completions.create(**chat(), timeout=0.3)

    assert time.perf_counter() - started >= 0.3
    assert (await http.get("/_fake/health")).json() == {"status": "ok"}
    assert len((await http.get("/_fake/requests")).json()) == 1


async def test_drop_cuts_a_stream_after_n_chunks_without_done(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await set_knobs(http, fault="drop", drop_after_chunks=2)
    events: list[str] = []

    with pytest.raises(httpx.RemoteProtocolError):
        async with http.stream(
            "POST", "/v1/chat/completions", headers=auth, json=chat(stream=True)
        ) as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if line:
                    events.append(line)

    assert len(events) == 2
    assert all(event.startswith("data: {") for event in events)
    assert '"content":"Echo:"' in events[1]


async def test_drop_mid_stream_surfaces_as_a_connection_error_in_the_sdk(
    http: httpx.AsyncClient, client: openai.AsyncOpenAI
) -> None:
    await set_knobs(http, fault="drop", drop_after_chunks=3)
    contents: list[str] = []

    with pytest.raises(openai.APIConnectionError):
        stream = await client.chat.completions.create(**chat(stream=True))
        async for chunk in stream:
            contents.append(chunk.choices[0].delta.content or "")

    assert contents == ["", "Echo:", " a"]


async def test_drop_closes_a_non_stream_request_without_a_response(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await set_knobs(http, fault="drop")

    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        await http.post("/v1/chat/completions", headers=auth, json=chat())


async def test_fault_rate_fails_a_deterministic_share_of_requests(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await set_knobs(http, fault="500", fault_rate=0.5)
    halves = [
        (await http.post("/v1/chat/completions", headers=auth, json=chat())).status_code for _ in range(6)
    ]
    await set_knobs(http, fault_rate=0.25)
    quarters = [
        (await http.post("/v1/chat/completions", headers=auth, json=chat())).status_code for _ in range(8)
    ]

    assert halves == [200, 500, 200, 500, 200, 500]
    assert quarters == [200, 200, 200, 500, 200, 200, 200, 500]


async def test_knobs_scoped_to_a_model_leave_other_models_alone(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await set_knobs(http, model="flaky-model", fault="503")

    flaky = await http.post("/v1/chat/completions", headers=auth, json=chat(model="flaky-model"))
    steady = await http.post("/v1/chat/completions", headers=auth, json=chat(model="steady-model"))
    shown = (await http.get("/_fake/knobs")).json()

    assert (flaky.status_code, steady.status_code) == (503, 200)
    assert shown["default"]["fault"] == "none"
    assert shown["models"]["flaky-model"]["fault"] == "503"


async def test_model_knobs_layer_over_later_default_changes(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await set_knobs(http, model="slow-model", latency_ms=1)
    await set_knobs(http, fault="500")

    response = await http.post("/v1/chat/completions", headers=auth, json=chat(model="slow-model"))

    assert response.status_code == 500


async def test_deleting_knobs_restores_the_defaults(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await set_knobs(http, fault="500")
    await set_knobs(http, model="other", fault="429")

    reset = await http.delete("/_fake/knobs")
    response = await http.post("/v1/chat/completions", headers=auth, json=chat(model="other"))

    assert reset.json()["models"] == {}
    assert response.status_code == 200


async def test_latency_delays_a_non_stream_answer(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await set_knobs(http, latency_ms=150)
    started = time.perf_counter()

    response = await http.post("/v1/chat/completions", headers=auth, json=chat())

    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.15


async def test_ttft_and_token_pace_shape_a_stream(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await set_knobs(http, ttft_ms=150, tokens_per_s=40)
    arrivals: list[tuple[float, str]] = []
    started = time.perf_counter()

    async with http.stream("POST", "/v1/chat/completions", headers=auth, json=chat(stream=True)) as response:
        async for line in response.aiter_lines():
            if line:
                arrivals.append((time.perf_counter() - started, line))

    content = [at for at, line in arrivals if '"content":"' in line and '"content":""' not in line]
    assert len(content) == 5
    assert content[0] >= 0.15
    assert content[-1] - content[0] >= 4 / 40 * 0.9
    assert arrivals[-1][1] == "data: [DONE]"


@pytest.mark.parametrize(
    "knobs",
    [{"fault": "404"}, {"fault_rate": 1.5}, {"latency_ms": -1}, {"drop_after_chunks": 1.5}, {"speed": 3},
     {"model": ""}, {"tokens_per_s": "fast"}],
    ids=["fault", "rate", "latency", "chunks", "unknown", "model", "type"],
)  # fmt: skip
async def test_invalid_knobs_are_rejected(http: httpx.AsyncClient, knobs: dict[str, Any]) -> None:
    response = await http.put("/_fake/knobs", json=knobs)

    assert response.status_code == 400
    assert isinstance(response.json()["error"], str)


async def test_knobs_body_must_be_a_json_object(http: httpx.AsyncClient) -> None:
    response = await http.put("/_fake/knobs", content=b"[1]")

    assert response.status_code == 400


async def test_recorder_keeps_method_path_lowercased_headers_and_parsed_body(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    sent = chat("recorded")
    await http.post("/v1/chat/completions", headers={**auth, "X-Trace-ID": "trace-1"}, json=sent)
    await http.post("/v1/chat/completions", headers=auth, content=b"not json")
    await http.get("/_fake/health")

    recorded = (await http.get("/_fake/requests")).json()

    assert [(entry["method"], entry["path"]) for entry in recorded] == [
        ("POST", "/v1/chat/completions"),
        ("POST", "/v1/chat/completions"),
    ]
    assert recorded[0]["headers"]["x-trace-id"] == "trace-1"
    assert recorded[0]["headers"]["authorization"] == auth["Authorization"]
    assert recorded[0]["body"] == sent
    assert recorded[1]["body"] is None


async def test_deleting_requests_clears_the_recorder(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await http.post("/v1/chat/completions", headers=auth, json=chat())

    cleared = await http.delete("/_fake/requests")

    assert cleared.json() == {"cleared": 1}
    assert (await http.get("/_fake/requests")).json() == []


async def test_unknown_control_path_is_404(http: httpx.AsyncClient) -> None:
    response = await http.get("/_fake/nothing")

    assert response.status_code == 404
    assert (await http.get("/_fake/requests")).json() == []
