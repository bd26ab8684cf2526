"""The Gemini adapter's tools: OpenAI function tools become function declarations in Gemini's schema.

Tool choice becomes a function-calling mode; a JSON schema the OpenAPI subset
cannot hold goes whole as `parametersJsonSchema`.
"""

from __future__ import annotations

from typing import Any

import pytest

from gemini_samples import TIME, WEATHER, chat_body, refusal, sent_body


async def test_tools_become_function_declarations_in_geminis_schema() -> None:
    sent = await sent_body(chat_body(tools=[WEATHER, TIME]))

    assert sent["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "Weather in a city",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {
                            "city": {"type": "STRING"},
                            "units": {"type": "STRING", "enum": ["C", "F"], "nullable": True},
                        },
                        "required": ["city"],
                    },
                },
                {"name": "get_time"},
            ]
        }
    ]
    assert sent["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        (
            {"type": "function", "function": {"name": "get_time"}},
            {"mode": "ANY", "allowedFunctionNames": ["get_time"]},
        ),
    ],
)
async def test_tool_choice_becomes_a_function_calling_mode(choice: Any, expected: dict[str, Any]) -> None:
    sent = await sent_body(chat_body(tools=[WEATHER, TIME], tool_choice=choice))
    assert sent["toolConfig"] == {"functionCallingConfig": expected}


async def test_allowed_tools_declare_only_the_allowed_functions() -> None:
    choice = {
        "type": "allowed_tools",
        "allowed_tools": {
            "mode": "required",
            "tools": [{"type": "function", "function": {"name": "get_time"}}],
        },
    }
    sent = await sent_body(chat_body(tools=[WEATHER, TIME], tool_choice=choice))

    assert [d["name"] for d in sent["tools"][0]["functionDeclarations"]] == ["get_time"]
    assert sent["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}


async def test_allowed_tools_entries_that_name_no_function_are_skipped_not_a_crash() -> None:
    choice = {
        "type": "allowed_tools",
        "allowed_tools": {"mode": "auto", "tools": [{"function": 3}, "get_time", {"type": "function"}]},
    }

    error = await refusal(chat_body(tools=[WEATHER, TIME], tool_choice=choice))

    assert error.status == 400 and error.param == "tool_choice"


async def test_a_custom_tool_is_a_400() -> None:
    error = await refusal(chat_body(tools=[{"type": "custom", "custom": {"name": "grammar"}}]))
    assert error.status == 400 and error.param == "tools[0]"


async def test_schemas_are_inlined_and_trimmed_to_what_gemini_takes() -> None:
    parameters = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "Place": {"type": "object", "properties": {"name": {"type": "string", "format": "hostname"}}}
        },
        "properties": {
            "place": {"$ref": "#/$defs/Place", "description": "Where"},
            "when": {"type": "string", "format": "date-time", "default": "now"},
            "count": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            "mode": {"const": "fast"},
        },
    }
    tool = {"type": "function", "function": {"name": "plan", "parameters": parameters}}

    sent = await sent_body(chat_body(tools=[tool]))

    assert sent["tools"][0]["functionDeclarations"][0]["parameters"] == {
        "type": "OBJECT",
        "properties": {
            "place": {"type": "OBJECT", "properties": {"name": {"type": "STRING"}}, "description": "Where"},
            "when": {"type": "STRING", "format": "date-time"},
            "count": {"type": "INTEGER", "minimum": 1, "nullable": True},
            "tags": {"type": "ARRAY", "maxItems": 3, "items": {"type": "STRING"}},
            "mode": {"type": "STRING", "enum": ["fast"]},
        },
    }


@pytest.mark.parametrize(
    "parameters",
    [
        {
            "type": "object",
            "properties": {"meta": {"type": "object", "additionalProperties": {"type": "string"}}},
        },
        {"type": "object", "properties": {"level": {"type": "integer", "enum": [1, 2, 3]}}},
        {
            "$defs": {"N": {"type": "object", "properties": {"next": {"$ref": "#/$defs/N"}}}},
            "$ref": "#/$defs/N",
        },
    ],
    ids=["free-form map", "integer enum", "recursion"],
)
async def test_a_schema_the_openapi_subset_cannot_hold_goes_as_parameters_json_schema(
    parameters: Any,
) -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": parameters}}

    declaration = (await sent_body(chat_body(tools=[tool])))["tools"][0]["functionDeclarations"][0]

    assert "parameters" not in declaration
    schema = declaration["parametersJsonSchema"]
    assert "$schema" not in schema and schema == {k: v for k, v in parameters.items() if k != "$schema"}
