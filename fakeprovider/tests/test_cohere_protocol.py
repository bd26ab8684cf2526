"""The fake's Cohere v2 protocol: answers shaped like Cohere's, its strictness, its errors and faults."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import httpx
import pytest

from aigw_fakeprovider.answers import count_tokens
from aigw_fakeprovider.cohere_response import PREAMBLE_TOKENS
from aigw_fakeprovider.schema_values import example_value
from aigw_fakeprovider.vectors import embedding_vector

MODEL = "command-a-03-2025"
USER = {"role": "user", "content": "hello there"}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "gets the weather",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
        },
    },
}
TIME = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
}
CALL = {
    "id": "get_weather_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"location":"Paris"}'},
}
CALL_2 = {"id": "get_time_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
PNG = "data:image/png;base64,iVBORw0KGgo="


def body(**changes: Any) -> dict[str, Any]:
    """A valid chat request with fields replaced (a value of ... removes the field)."""
    request: dict[str, Any] = {"model": MODEL, "messages": [copy.deepcopy(USER)]}
    for key, value in changes.items():
        if value is ...:
            request.pop(key, None)
        else:
            request[key] = value
    return request


def embed(**changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "model": "embed-v4.0",
        "texts": ["hello", "world"],
        "input_type": "search_document",
        "embedding_types": ["float"],
    }
    request.update(changes)
    return {key: value for key, value in request.items() if value is not ...}


def tool_turns(*results: tuple[str, str]) -> list[dict[str, Any]]:
    """A user turn, the assistant's two calls, and the given (tool_call_id, content) results."""
    assistant = {"role": "assistant", "tool_plan": "I will call both.", "tool_calls": [CALL, CALL_2]}
    tools = [{"role": "tool", "tool_call_id": call_id, "content": text} for call_id, text in results]
    return [copy.deepcopy(USER), assistant, *tools]


async def chat(http: httpx.AsyncClient, auth: dict[str, str], payload: Any) -> httpx.Response:
    if isinstance(payload, bytes):
        return await http.post("/v2/chat", headers=auth, content=payload)
    return await http.post("/v2/chat", headers=auth, json=payload)


async def events(
    http: httpx.AsyncClient, auth: dict[str, str], payload: dict[str, Any]
) -> list[tuple[str, Any]]:
    """The (event name, JSON data) pairs of a streamed answer, checking each names its type twice."""
    response = await chat(http, auth, {**payload, "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    found = []
    for block in response.text.split("\n\n"):
        if not block:
            continue
        event_line, data_line = block.split("\n")
        name, data = event_line.removeprefix("event: "), json.loads(data_line.removeprefix("data: "))
        assert data["type"] == name
        found.append((name, data))
    return found


def error_of(response: httpx.Response) -> str:
    payload = response.json()
    assert set(payload) == {"id", "message"}
    message: str = payload["message"]
    return message


async def set_knobs(http: httpx.AsyncClient, **knobs: Any) -> None:
    (await http.put("/_fake/knobs", json=knobs)).raise_for_status()


# --- answers ---------------------------------------------------------------------


async def test_a_text_answer_has_cohere_shape_and_billed_and_processed_tokens(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await chat(http, auth, body(messages=[{"role": "system", "content": "be brief"}, USER]))

    answer = response.json()
    assert response.status_code == 200
    assert set(answer) == {"id", "finish_reason", "message", "usage"}
    assert answer["finish_reason"] == "COMPLETE"
    assert answer["message"] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "Echo: hello there"}],
    }
    prompt = count_tokens("be brief hello there")
    assert answer["usage"] == {
        "billed_units": {"input_tokens": prompt, "output_tokens": 3},
        "tokens": {"input_tokens": prompt + PREAMBLE_TOKENS, "output_tokens": 3},
    }


async def test_a_stream_names_each_event_and_ends_with_message_end_without_done(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    found = await events(http, auth, body())

    names = [name for name, _ in found]
    assert names == ["message-start", "content-start", *["content-delta"] * 3, "content-end", "message-end"]
    assert found[0][1]["id"] and found[0][1]["delta"]["message"]["role"] == "assistant"
    text = "".join(
        data["delta"]["message"]["content"]["text"] for name, data in found if name == "content-delta"
    )
    assert text == "Echo: hello there"
    assert found[-1][1]["delta"]["finish_reason"] == "COMPLETE"
    assert found[-1][1]["delta"]["usage"]["billed_units"]["output_tokens"] == 3


async def test_a_streamed_tool_call_has_a_plan_then_start_deltas_and_end(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    found = await events(http, auth, body(tools=[WEATHER], tool_choice="REQUIRED"))

    plan = "".join(d["delta"]["message"]["tool_plan"] for n, d in found if n == "tool-plan-delta")
    start = next(d for n, d in found if n == "tool-call-start")
    arguments = "".join(
        d["delta"]["message"]["tool_calls"]["function"]["arguments"]
        for n, d in found
        if n == "tool-call-delta"
    )
    assert plan == "I will call get_weather."
    assert start["index"] == 0
    assert start["delta"]["message"]["tool_calls"]["id"].startswith("get_weather_")
    assert start["delta"]["message"]["tool_calls"]["function"] == {"name": "get_weather", "arguments": ""}
    assert json.loads(arguments) == example_value(WEATHER["function"]["parameters"])
    assert [n for n, _ in found][-2:] == ["tool-call-end", "message-end"]
    assert found[-1][1]["delta"]["finish_reason"] == "TOOL_CALL"


async def test_two_tools_are_called_in_parallel_with_a_plan(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    answer = (await chat(http, auth, body(tools=[WEATHER, TIME]))).json()

    message = answer["message"]
    assert answer["finish_reason"] == "TOOL_CALL"
    assert message["tool_plan"] == "I will call get_weather and get_time."
    assert [call["function"]["name"] for call in message["tool_calls"]] == ["get_weather", "get_time"]
    assert all(isinstance(json.loads(call["function"]["arguments"]), dict) for call in message["tool_calls"])


async def test_tool_choice_none_answers_with_text(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    answer = (await chat(http, auth, body(tools=[WEATHER], tool_choice="NONE"))).json()
    assert answer["message"]["content"][0]["text"] == "Echo: hello there"


async def test_parallel_tool_results_pair_by_id_and_are_answered_in_order(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    messages = tool_turns(("get_weather_1", "sunny"), ("get_time_2", [{"type": "text", "text": "noon"}]))

    answer = (await chat(http, auth, body(messages=messages, tools=[WEATHER, TIME]))).json()

    assert answer["message"]["content"][0]["text"] == "Tool results: sunny; noon"


async def test_an_image_part_is_counted(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    content = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": PNG, "detail": "low"}},
    ]

    answer = (await chat(http, auth, body(messages=[{"role": "user", "content": content}]))).json()

    assert answer["message"]["content"][0]["text"] == "Echo: what is this? [1 image]"


async def test_json_object_with_a_schema_answers_json_matching_it(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}

    answer = (
        await chat(http, auth, body(response_format={"type": "json_object", "json_schema": schema}))
    ).json()

    assert json.loads(answer["message"]["content"][0]["text"]) == example_value(schema)


async def test_stop_sequences_and_max_tokens_set_the_finish_reason(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    stopped = (await chat(http, auth, body(stop_sequences=["there"]))).json()
    cut = (await chat(http, auth, body(max_tokens=1))).json()

    assert stopped["finish_reason"] == "STOP_SEQUENCE"
    assert stopped["message"]["content"][0]["text"] == "Echo: hello"
    assert cut["finish_reason"] == "MAX_TOKENS"


# --- strictness ------------------------------------------------------------------


def _unknown(name: str, endpoint: str = "chat") -> str:
    return (
        f"unknown field: parameter '{name}' is not a valid field. For proper usage, please refer to "
        f"https://docs.cohere.com/reference/{endpoint}"
    )


UNKNOWN_FIELDS = [
    ("top-level", body(top_p=0.5), "top_p"),
    (
        "openai-strict-in-a-tool",
        body(tools=[{**WEATHER, "function": {**WEATHER["function"], "strict": True}}]),
        "strict",
    ),
    ("message-name", body(messages=[{**USER, "name": "bob"}]), "name"),
    (
        "tool-message-content-key",
        body(
            messages=[
                *tool_turns(("get_weather_1", "a"))[:2],
                {"role": "tool", "tool_call_id": "get_weather_1", "tool_content": "x"},
            ]
        ),
        "tool_content",
    ),
    (
        "image-url-key",
        body(
            messages=[
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": PNG, "size": 1}}]}
            ]
        ),
        "size",
    ),
]


@pytest.mark.parametrize(
    ("request_body", "field"), [case[1:] for case in UNKNOWN_FIELDS], ids=[c[0] for c in UNKNOWN_FIELDS]
)
async def test_a_field_cohere_does_not_define_is_a_422(
    http: httpx.AsyncClient, auth: dict[str, str], request_body: dict[str, Any], field: str
) -> None:
    response = await chat(http, auth, request_body)

    assert response.status_code == 422
    assert error_of(response) == _unknown(field)


REJECTED = [
    ("not-json", b"{nope", "not valid JSON"),
    ("missing-model", body(model=...), "model is required"),
    ("missing-messages", body(messages=...), "messages is required"),
    ("empty-messages", body(messages=[]), "messages must not be empty"),
    ("bad-role", body(messages=[{"role": "developer", "content": "x"}]), "messages[0].role must be one of"),
    ("empty-user-message", body(messages=[{"role": "user", "content": ""}]), "at least 1 token long"),
    (
        "ends-with-assistant",
        body(messages=[USER, {"role": "assistant", "content": "hi"}]),
        "last message must be a user or tool",
    ),
    ("empty-assistant", body(messages=[USER, {"role": "assistant"}, USER]), "needs content or tool_calls"),
    (
        "tool-without-call",
        body(messages=[USER, {"role": "tool", "tool_call_id": "x", "content": "a"}]),
        "must follow an assistant message with tool_calls",
    ),
    (
        "tool-id-mismatch",
        body(messages=tool_turns(("get_weather_1", "a"), ("nope", "b"))),
        "tool_call_id 'nope' does not match",
    ),
    (
        "unanswered-call",
        body(messages=[*tool_turns(("get_weather_1", "a")), USER]),
        "tool call 'get_time_2' has no tool result",
    ),
    (
        "arguments-not-json",
        body(
            messages=[
                USER,
                {
                    "role": "assistant",
                    "tool_calls": [{**CALL, "function": {"name": "f", "arguments": "{oops"}}],
                },
                {"role": "tool", "tool_call_id": "get_weather_1", "content": "a"},
            ]
        ),
        "must be a JSON object",
    ),
    (
        "bad-image-url",
        body(
            messages=[
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}]}
            ]
        ),
        "base64 image data URI or an http(s) URL",
    ),
    (
        "bad-image-base64",
        body(
            messages=[
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,!!"}}],
                }
            ]
        ),
        "not a valid base64 data URI",
    ),
    (
        "image-for-system",
        body(
            messages=[{"role": "system", "content": [{"type": "image_url", "image_url": {"url": PNG}}]}, USER]
        ),
        "messages[0].content[0].type must be one of text",
    ),
    (
        "openai-tool-choice",
        body(tools=[WEATHER], tool_choice="required"),
        "tool_choice must be one of REQUIRED, NONE",
    ),
    (
        "tool-choice-without-tools",
        body(tool_choice="REQUIRED"),
        "tool_choice can only be used when tools are specified",
    ),
    (
        "tool-without-parameters",
        body(tools=[{"type": "function", "function": {"name": "f"}}]),
        "tools[0].function.parameters is required",
    ),
    ("p-above-range", body(p=1), "p: 1 is not less or equal to 0.99"),
    ("negative-temperature", body(temperature=-0.1), "temperature: -0.1 is not greater or equal to 0"),
    ("negative-penalty", body(frequency_penalty=-1), "frequency_penalty: -1 is not greater or equal to 0"),
    ("k-above-range", body(k=501), "k: 501 is not less or equal to 500"),
    (
        "six-stop-sequences",
        body(stop_sequences=["a", "b", "c", "d", "e", "f"]),
        "stop_sequences must have at most 5 items",
    ),
    (
        "schema-for-text",
        body(response_format={"type": "text", "json_schema": {}}),
        "must not be specified when the type is text",
    ),
    (
        "openai-json-schema-format",
        body(response_format={"type": "json_schema"}),
        "response_format.type must be one of text, json_object",
    ),
]


@pytest.mark.parametrize(
    ("request_body", "fragment"), [case[1:] for case in REJECTED], ids=[c[0] for c in REJECTED]
)
async def test_an_invalid_chat_request_is_a_400_in_cohere_words(
    http: httpx.AsyncClient, auth: dict[str, str], request_body: Any, fragment: str
) -> None:
    response = await chat(http, auth, request_body)

    assert response.status_code == 400
    message = error_of(response)
    assert message.startswith("invalid request: ") and fragment in message


async def test_a_request_without_a_key_or_with_the_wrong_one_is_a_401(http: httpx.AsyncClient) -> None:
    missing = await chat(http, {}, body())
    wrong = await chat(http, {"Authorization": "Bearer not-the-key"}, body())

    assert (missing.status_code, error_of(missing)) == (401, "no api key supplied")
    assert (wrong.status_code, error_of(wrong)) == (401, "invalid api token")
    assert "not-the-key" not in wrong.text


async def test_another_method_on_a_cohere_path_is_a_405_in_cohere_shape(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await http.get("/v2/chat", headers=auth)
    assert (response.status_code, error_of(response)) == (405, "Method Not Allowed")


# --- embeddings ------------------------------------------------------------------


async def test_embed_returns_float_vectors_in_order_with_billed_tokens(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    texts = ["the first text", "a second one", "and a third"]

    answer = (await http.post("/v2/embed", headers=auth, json=embed(texts=texts))).json()

    assert answer["embeddings"]["float"] == [embedding_vector(text, 1536) for text in texts]
    assert answer["texts"] == texts
    assert answer["meta"]["billed_units"] == {"input_tokens": 9}
    assert answer["response_type"] == "embeddings_by_type"


async def test_embed_v4_takes_an_output_dimension(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    answer = (await http.post("/v2/embed", headers=auth, json=embed(output_dimension=256))).json()
    assert [len(vector) for vector in answer["embeddings"]["float"]] == [256, 256]


EMBED_REJECTED = [
    ("missing-input-type", embed(input_type=...), 400, "input_type is required"),
    ("unknown-input-type", embed(input_type="document"), 400, "input_type must be one of"),
    ("missing-embedding-types", embed(embedding_types=...), 400, "embedding_types is required"),
    ("too-many-texts", embed(texts=["x"] * 97), 400, "texts must have at most 96 items"),
    ("no-texts", embed(texts=[]), 400, "texts must contain at least one text"),
    (
        "dimension-not-offered",
        embed(output_dimension=100),
        400,
        "output_dimension must be one of 256, 512, 1024, 1536",
    ),
    (
        "dimension-on-v3",
        embed(model="embed-english-v3.0", output_dimension=256),
        400,
        "not supported for model embed-english-v3.0",
    ),
    ("openai-field", embed(dimensions=256), 422, _unknown("dimensions", "embed")),
]


@pytest.mark.parametrize(
    ("request_body", "status", "fragment"),
    [c[1:] for c in EMBED_REJECTED],
    ids=[c[0] for c in EMBED_REJECTED],
)
async def test_an_invalid_embed_request_is_refused_like_cohere(
    http: httpx.AsyncClient, auth: dict[str, str], request_body: dict[str, Any], status: int, fragment: str
) -> None:
    response = await http.post("/v2/embed", headers=auth, json=request_body)

    assert response.status_code == status
    assert fragment in error_of(response)


# --- faults ----------------------------------------------------------------------


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
