"""The fake's Gemini generateContent (AI Studio): answers, its key, the bodies and images it refuses, output config."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from aigw_fakeprovider.images import png_for
from fake_credentials import API_KEY
from fake_google import GENERATE, generate, google_error, user_turn


async def test_a_conversation_is_answered_deterministically_with_usage(http: httpx.AsyncClient) -> None:
    body = {"systemInstruction": {"parts": [{"text": "be brief"}]}, "contents": [user_turn("hello there")]}

    answer = (await generate(http, body)).json()

    assert answer["candidates"] == [
        {
            "content": {"parts": [{"text": "Echo: hello there"}], "role": "model"},
            "finishReason": "STOP",
            "index": 0,
        }
    ]
    assert (
        answer["usageMetadata"]["promptTokenCount"] == 4
        and answer["usageMetadata"]["candidatesTokenCount"] == 3
    )
    assert (
        answer["usageMetadata"]["totalTokenCount"] == 7
        and "thoughtsTokenCount" not in answer["usageMetadata"]
    )
    assert answer["modelVersion"] == "gemini-2.0-flash" and answer["responseId"]


async def test_thinking_models_report_thought_tokens(http: httpx.AsyncClient) -> None:
    answer = (
        await generate(
            http, {"contents": [user_turn("one two")]}, "/v1beta/models/gemini-2.5-flash:generateContent"
        )
    ).json()
    usage = answer["usageMetadata"]
    assert usage["thoughtsTokenCount"] == usage["candidatesTokenCount"] == 3
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + 6


async def test_the_key_may_come_as_a_query_parameter_and_snake_case_names_parse(
    http: httpx.AsyncClient,
) -> None:
    body = {
        "system_instruction": {"parts": [{"text": "x"}]},
        "contents": [user_turn("hi")],
        "generation_config": {"max_output_tokens": 1},
    }

    response = await http.post(f"{GENERATE}?key={API_KEY}", json=body)

    assert response.status_code == 200, response.text
    assert response.json()["candidates"][0]["finishReason"] == "MAX_TOKENS"


async def test_no_key_is_googles_403_and_a_wrong_key_its_api_key_invalid(http: httpx.AsyncClient) -> None:
    missing = await http.post(GENERATE, json={"contents": [user_turn("hi")]})
    wrong = await http.post(
        GENERATE, json={"contents": [user_turn("hi")]}, headers={"x-goog-api-key": "AIzaWrong"}
    )

    assert "unregistered callers" in google_error(missing, 403, "PERMISSION_DENIED")
    assert google_error(wrong, 400, "INVALID_ARGUMENT") == "API key not valid. Please pass a valid API key."
    assert wrong.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"messages": []}, 'Invalid JSON payload received. Unknown name "messages": Cannot find field.'),
        ({"contents": [{"role": "user", "parts": [{"text": "a", "type": "text"}]}]},
         "Invalid JSON payload received. Unknown name \"type\" at 'contents[0].parts[0]': Cannot find field."),
        ({"contents": [user_turn("a")], "generationConfig": {"max_tokens": 5}},
         "Invalid JSON payload received. Unknown name \"max_tokens\" at 'generation_config': Cannot find field."),
        ({"contents": [user_turn("a")], "generationConfig": {"temperature": "hot"}},
         "Invalid value at 'generation_config.temperature' (TYPE_FLOAT), \"hot\""),
        ({"contents": [user_turn("a")], "labels": {"team": "x"}},
         'Invalid JSON payload received. Unknown name "labels": Cannot find field.'),
        ({"contents": [{"role": "assistant", "parts": [{"text": "a"}]}]}, "Please use a valid role: user, model."),
        ({"contents": [{"role": "user", "parts": []}]},
         "* GenerateContentRequest.contents[0].parts: contents.parts must not be empty.\n"),
        ({}, "* GenerateContentRequest.contents: contents is not specified\n"),
        ({"contents": [{"role": "user", "parts": [{"text": ""}]}]},
         "Unable to submit request because it has an empty text parameter. Add a value to the parameter and try again."),
        ({"contents": [{"role": "user", "parts": [{"text": "a", "inlineData": {"mimeType": "image/png", "data": "AA=="}}]}]},
         "Invalid JSON payload received. Oneof field 'data' is already set. Cannot set 'inlineData'"),
        ({"contents": [user_turn("a")], "generationConfig": {"temperature": 2.5}},
         "* GenerateContentRequest.generation_config.temperature: must be between 0 and 2\n"),
        ({"contents": [user_turn("a")], "generationConfig": {"candidateCount": 9}},
         "* GenerateContentRequest.generation_config.candidate_count: must be between 1 and 8\n"),
        ({"contents": [user_turn("a")], "generationConfig": {"responseSchema": {"type": "STRING"}}},
         "* GenerateContentRequest.generation_config.response_schema: only supported with response_mime_type "
         "application/json or text/x.enum\n"),
    ],
)  # fmt: skip
async def test_bodies_the_api_refuses_are_a_400_in_googles_words(
    http: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    assert google_error(await generate(http, body), 400, "INVALID_ARGUMENT") == message


async def test_unknown_query_parameters_and_sse_on_a_unary_method_are_refused(
    http: httpx.AsyncClient,
) -> None:
    unknown = await generate(http, {"contents": [user_turn("a")]}, f"{GENERATE}?stream=true")
    unary_sse = await generate(http, {"contents": [user_turn("a")]}, f"{GENERATE}?alt=sse")

    assert 'Unknown name "stream": Cannot bind query parameter' in google_error(
        unknown, 400, "INVALID_ARGUMENT"
    )
    assert "only available on streaming methods" in google_error(unary_sse, 400, "INVALID_ARGUMENT")


# --- images -----------------------------------------------------------------------------------------------------


def _image(data: bytes, mime: str = "image/png") -> dict[str, Any]:
    return {"inlineData": {"mimeType": mime, "data": base64.b64encode(data).decode()}}


async def test_an_image_is_counted_when_its_bytes_are_what_its_type_says(http: httpx.AsyncClient) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "what is it"}, _image(png_for("cat"))]}]}
    answer = (await generate(http, body)).json()
    assert answer["candidates"][0]["content"]["parts"][0]["text"] == "Echo: what is it [1 image]"


@pytest.mark.parametrize(
    ("part", "message"),
    [
        (_image(b"GIF89a not a png"), "Unable to process input image."),
        (_image(png_for("cat"), "image/bmp"), "Unsupported MIME type: image/bmp"),
        ({"inlineData": {"mimeType": "image/png", "data": "***"}}, "Base64 decoding failed"),
    ],
)
async def test_an_image_gemini_cannot_read_is_a_400(
    http: httpx.AsyncClient, part: dict[str, Any], message: str
) -> None:
    body = {"contents": [{"role": "user", "parts": [part]}]}
    assert message in google_error(await generate(http, body), 400, "INVALID_ARGUMENT")


# --- output --------------------------------------------------------------------------------------------------------


async def test_generation_config_shapes_the_answer(http: httpx.AsyncClient) -> None:
    body = {
        "contents": [user_turn("one two three END four")],
        "generationConfig": {"candidateCount": 2, "stopSequences": ["END"]},
    }
    answer = (await generate(http, body)).json()
    assert [c["content"]["parts"][0]["text"] for c in answer["candidates"]] == [
        "Echo: one two three",
        "Echo: one two three",
    ]
    assert [c["index"] for c in answer["candidates"]] == [0, 1]


@pytest.mark.parametrize(
    "config",
    [
        {
            "responseMimeType": "application/json",
            "responseSchema": {
                "type": "OBJECT",
                "properties": {"city": {"type": "STRING"}},
                "required": ["city"],
            },
        },
        {
            "responseMimeType": "application/json",
            "responseJsonSchema": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    ],
    ids=["responseSchema", "responseJsonSchema"],
)
async def test_json_output_follows_the_schema(http: httpx.AsyncClient, config: dict[str, Any]) -> None:
    answer = (await generate(http, {"contents": [user_turn("where?")], "generationConfig": config})).json()
    assert json.loads(answer["candidates"][0]["content"]["parts"][0]["text"]) == {"city": "sample city"}
