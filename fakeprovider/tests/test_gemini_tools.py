"""The fake's Gemini function calling: declarations, calling modes, function turns, and Gemini 3's signatures."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from fake_google import TIME, WEATHER, function_calls, generate, google_error, user_turn


async def test_declared_functions_are_called_in_parallel_with_arguments_from_their_schemas(
    http: httpx.AsyncClient,
) -> None:
    body = {
        "contents": [user_turn("weather and time?")],
        "tools": [{"functionDeclarations": [WEATHER, TIME]}],
    }

    answer = (await generate(http, body)).json()

    assert function_calls(answer) == [
        {"name": "get_weather", "args": {"city": "sample city"}},
        {"name": "get_time", "args": {"zone": "sample zone"}},
    ]
    assert answer["candidates"][0]["finishReason"] == "STOP"


@pytest.mark.parametrize(
    ("config", "names"),
    [
        ({"mode": "ANY", "allowedFunctionNames": ["get_time"]}, ["get_time"]),
        ({"mode": "NONE"}, []),
        ({"mode": "AUTO"}, ["get_weather", "get_time"]),
    ],
)
async def test_the_function_calling_mode_decides_what_is_called(
    http: httpx.AsyncClient, config: dict[str, Any], names: list[str]
) -> None:
    body = {
        "contents": [user_turn("go")],
        "tools": [{"functionDeclarations": [WEATHER, TIME]}],
        "toolConfig": {"functionCallingConfig": config},
    }
    assert [call["name"] for call in function_calls((await generate(http, body)).json())] == names


@pytest.mark.parametrize(
    ("tools", "config", "message"),
    [
        ([], {"mode": "ANY"}, "Function calling config is set without function_declarations."),
        ([WEATHER], {"mode": "AUTO", "allowedFunctionNames": ["get_weather"]},
         "allowed_function_names should only be set when mode is ANY or VALIDATED."),
        ([WEATHER], {"mode": "ANY", "allowedFunctionNames": ["nope"]}, "function nope is not declared in tools"),
        ([WEATHER], {"mode": "SOMETIMES"}, "Invalid value at 'tool_config.function_calling_config.mode'"),
        ([{"name": "1-bad"}], None, "Invalid function name."),
        ([WEATHER, WEATHER], None, "Duplicate function declaration found: get_weather"),
        ([{"name": "f", "parameters": {"type": "OBJECT", "properties": {}}}], None,
         "function_declarations[0].parameters.properties: should be non-empty for OBJECT type"),
        ([{"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "string"}}}}], None,
         "Invalid value at 'tools[0].function_declarations[0].parameters.type'"),
        ([{"name": "f", "parameters": {"type": "OBJECT", "properties": {"a": {"type": "INTEGER", "enum": ["1"]}}}}],
         None, "enum: only allowed for STRING type"),
        ([{"name": "f", "parameters": {"type": "OBJECT", "properties": {"a": {"type": "ARRAY"}}}}], None,
         "parameters.properties[a].items: missing field."),
        ([{"name": "f", "parameters": {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}, "required": ["b"]}}],
         None, "parameters.required[0]: property is not defined"),
        ([{"name": "f", "parameters": {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}, "additionalProperties": False}}],
         None, 'Unknown name "additionalProperties"'),
        ([{"name": "f", "parameters": WEATHER["parameters"], "parametersJsonSchema": {"type": "object"}}], None,
         "parameters and parameters_json_schema cannot both be set"),
    ],
)  # fmt: skip
async def test_tools_the_api_refuses_are_a_400(
    http: httpx.AsyncClient, tools: list[dict[str, Any]], config: dict[str, Any] | None, message: str
) -> None:
    body: dict[str, Any] = {
        "contents": [user_turn("go")],
        "tools": [{"functionDeclarations": tools}] if tools else [],
    }
    if config is not None:
        body["toolConfig"] = {"functionCallingConfig": config}
    assert message in google_error(await generate(http, body), 400, "INVALID_ARGUMENT")


async def test_a_json_schema_declaration_is_taken_as_is(http: httpx.AsyncClient) -> None:
    declaration = {
        "name": "tag",
        "parametersJsonSchema": {
            "type": "object",
            "properties": {"labels": {"type": "object", "additionalProperties": {"type": "string"}}},
            "required": ["labels"],
        },
    }
    body = {"contents": [user_turn("go")], "tools": [{"functionDeclarations": [declaration]}]}
    assert function_calls((await generate(http, body)).json()) == [{"name": "tag", "args": {"labels": {}}}]


def _round(calls: list[dict[str, Any]], responses: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "contents": [
            user_turn("weather and time?"),
            {"role": "model", "parts": [{"functionCall": call} for call in calls]},
            {"role": "user", "parts": [{"functionResponse": response} for response in responses]},
        ],
        "tools": [{"functionDeclarations": [WEATHER, TIME]}],
    }


async def test_function_responses_are_answered_as_tool_results(http: httpx.AsyncClient) -> None:
    body = _round(
        [{"name": "get_weather", "args": {"city": "Paris"}}, {"name": "get_time", "args": {}}],
        [
            {"name": "get_weather", "response": {"output": "22C"}},
            {"name": "get_time", "response": {"hour": 14}},
        ],
    )
    answer = (await generate(http, body)).json()
    assert answer["candidates"][0]["content"]["parts"] == [{"text": 'Tool results: 22C; {"hour": 14}'}]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_round([{"name": "get_weather"}, {"name": "get_time"}], [{"name": "get_weather", "response": {}}]),
         "the number of function response parts is equal to the number of function call parts"),
        (_round([{"name": "get_weather"}], [{"name": "get_time", "response": {}}]),
         "function response parts answer the function calls of the function call turn, by name"),
        ({"contents": [user_turn("a"), {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]}]},
         "function response turn comes immediately after a function call turn"),
        ({"contents": [user_turn("a"), {"role": "model", "parts": [{"text": "b"}]},
                       {"role": "model", "parts": [{"functionCall": {"name": "f"}}]}]},
         "function call turn comes immediately after a user turn or after a function response turn"),
        ({"contents": [{"role": "user", "parts": [{"functionCall": {"name": "f"}}]}]},
         "function call turn comes immediately after a user turn"),
    ],
)  # fmt: skip
async def test_function_turns_out_of_order_are_a_400(
    http: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    assert message in google_error(await generate(http, body), 400, "INVALID_ARGUMENT")


async def test_gemini_3_signs_its_calls_and_refuses_an_unsigned_call_of_the_current_turn(
    http: httpx.AsyncClient,
) -> None:
    path = "/v1beta/models/gemini-3-pro-preview:generateContent"
    first = (
        await generate(
            http, {"contents": [user_turn("weather?")], "tools": [{"functionDeclarations": [WEATHER]}]}, path
        )
    ).json()
    unsigned = _round(
        [{"name": "get_weather", "args": {"city": "Paris"}}],
        [{"name": "get_weather", "response": {"output": "sunny"}}],
    )
    signed = json.loads(json.dumps(unsigned))
    signed["contents"][1]["parts"][0]["thoughtSignature"] = "skip_thought_signature_validator"

    refused = await generate(http, unsigned, path)
    accepted = await generate(http, signed, path)

    assert "thoughtSignature" in first["candidates"][0]["content"]["parts"][0]
    assert "missing a thought_signature" in google_error(refused, 400, "INVALID_ARGUMENT")
    assert accepted.status_code == 200, accepted.text
