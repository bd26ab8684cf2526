"""The fake refuses the chat requests Cohere refuses, with Cohere's status and words."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fake_cohere import CALL, PNG, USER, WEATHER, body, chat, error_of, tool_turns, unknown_field

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
    assert error_of(response) == unknown_field(field)


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
