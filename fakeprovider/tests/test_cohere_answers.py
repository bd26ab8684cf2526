"""The fake answers Cohere's v2 chat like Cohere: its shapes, its stream events, tools, images, stops."""

from __future__ import annotations

import json

import httpx

from aigw_fakeprovider.answers import count_tokens
from aigw_fakeprovider.cohere_response import PREAMBLE_TOKENS
from aigw_fakeprovider.schema_values import example_value
from fake_cohere import PNG, TIME, USER, WEATHER, body, chat, events, tool_turns


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
