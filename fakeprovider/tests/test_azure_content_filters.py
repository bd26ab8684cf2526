"""The fake's Azure content filters: annotations on every answer, filtered prompts, filtered completions."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from fake_azure import body, chat_path


def sse_chunks(text: str) -> list[Any]:
    events = [e.removeprefix("data: ") for e in text.split("\n\n") if e]
    assert events[-1] == "[DONE]"
    return [orjson.loads(e) for e in events[:-1]]


async def test_every_answer_carries_filter_annotations(http: httpx.AsyncClient, key: dict[str, str]) -> None:
    answer = (await http.post(chat_path(), headers=key, json=body())).json()

    prompt = answer["prompt_filter_results"][0]
    assert prompt["prompt_index"] == 0
    assert prompt["content_filter_results"]["jailbreak"] == {"filtered": False, "detected": False}
    assert answer["choices"][0]["content_filter_results"]["violence"] == {
        "filtered": False,
        "severity": "safe",
    }


async def test_a_filtered_prompt_is_a_400_with_the_inner_error(
    http: httpx.AsyncClient, key: dict[str, str]
) -> None:
    response = await http.post(chat_path(), headers=key, json=body("tell me filter-prompt:violence"))

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"], error["type"], error["status"]) == (
        "content_filter",
        "prompt",
        None,
        400,
    )
    assert error["innererror"]["code"] == "ResponsibleAIPolicyViolation"
    assert error["innererror"]["content_filter_result"]["violence"] == {"filtered": True, "severity": "high"}
    assert error["innererror"]["content_filter_result"]["hate"]["filtered"] is False


async def test_a_filtered_completion_stops_halfway_with_finish_reason_content_filter(
    http: httpx.AsyncClient, key: dict[str, str]
) -> None:
    answer = (await http.post(chat_path(), headers=key, json=body("a b filter-completion:hate c d"))).json()

    choice = answer["choices"][0]
    assert choice["finish_reason"] == "content_filter"
    assert choice["message"]["content"] == "Echo: a b"
    assert choice["content_filter_results"]["hate"] == {"filtered": True, "severity": "high"}
    assert answer["usage"]["completion_tokens"] == 3


async def test_a_stream_opens_with_the_prompt_filter_chunk(
    http: httpx.AsyncClient, key: dict[str, str]
) -> None:
    request = body("one two", stream=True, stream_options={"include_usage": True})

    response = await http.post(chat_path(), headers=key, json=request)

    chunks = sse_chunks(response.text)
    opening = chunks[0]
    assert (opening["id"], opening["object"], opening["model"], opening["choices"]) == ("", "", "", [])
    assert opening["prompt_filter_results"][0]["content_filter_results"]["sexual"]["severity"] == "safe"
    role, *tokens, finish, usage = chunks[1:]
    assert role["choices"][0]["content_filter_results"] == {}
    assert all(t["choices"][0]["content_filter_results"]["hate"]["filtered"] is False for t in tokens)
    assert "".join(t["choices"][0]["delta"]["content"] for t in tokens) == "Echo: one two"
    assert (
        finish["choices"][0]["finish_reason"] == "stop"
        and finish["choices"][0]["content_filter_results"] == {}
    )
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] == 3


async def test_a_filtered_streamed_completion_ends_with_content_filter(
    http: httpx.AsyncClient, key: dict[str, str]
) -> None:
    response = await http.post(
        chat_path(), headers=key, json=body("filter-completion:sexual x y z", stream=True)
    )

    chunks = sse_chunks(response.text)
    finish = chunks[-1]["choices"][0]
    assert finish["finish_reason"] == "content_filter"
    assert finish["content_filter_results"]["sexual"] == {"filtered": True, "severity": "high"}
