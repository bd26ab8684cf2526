"""The Gemini adapter's chat requests: where they go, how messages become contents, and the generation config.

What Gemini cannot honour is a 400 naming the parameter, unless the model's
policy says to drop it.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import orjson
import pytest

from aigw_router.adapters import ADAPTER_TYPES, AdapterServices, ChatCall, ParamPolicy
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.gemini import GeminiAdapter
from aigw_router.adapters.gemini_messages import SKIP_SIGNATURE
from aigw_runtime.config import ConfigError, ImageFetchConfig, ProviderConfig
from chat_samples import PNG_BYTES, PNG_DATA_URL
from gemini_samples import TIME, WEATHER, chat_body, gemini_adapter, refusal, sent_body


def test_the_type_is_registered() -> None:
    assert ADAPTER_TYPES["gemini"] is GeminiAdapter


async def test_a_chat_goes_to_generate_content_with_the_key_in_x_goog_api_key() -> None:
    request = await gemini_adapter().build_chat(
        ChatCall(body=chat_body(), upstream_model="gemini-2.0-flash", stream=False)
    )

    assert (
        request.url
        == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent"
    )
    assert request.headers["x-goog-api-key"] == "AIzaSyTestKey0123456789abcdefghij"
    assert "authorization" not in request.headers
    assert orjson.loads(request.content) == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


async def test_a_stream_goes_to_stream_generate_content_as_sse_under_the_configured_base_url() -> None:
    adapter = gemini_adapter(base_url="http://gemini.internal:8080/")
    request = await adapter.build_chat(
        ChatCall(body=chat_body(stream=True), upstream_model="models/gemini-2.5-pro", stream=True)
    )

    assert (
        request.url
        == "http://gemini.internal:8080/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    )
    assert request.headers["accept"] == "text/event-stream"
    assert "stream" not in orjson.loads(request.content)


def test_a_gemini_provider_without_a_key_stops_the_router_at_start() -> None:
    client = httpx.AsyncClient()
    provider = ProviderConfig(name="g", type="gemini")
    with pytest.raises(ConfigError, match="needs api_key"):
        GeminiAdapter(provider, AdapterServices(http=client, images=ImageFetcher(client)))


# --- messages ---------------------------------------------------------------------------------------


async def test_system_and_developer_text_become_the_system_instruction_and_roles_alternate() -> None:
    sent = await sent_body(
        chat_body(
            [
                {"role": "system", "content": "You are terse."},
                {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
                {"role": "user", "content": "Hello"},
                {"role": "user", "content": "Are you there?"},
                {"role": "assistant", "content": "Oui."},
                {"role": "user", "content": "Good."},
            ]
        )
    )

    assert sent["systemInstruction"] == {"parts": [{"text": "You are terse."}, {"text": "Answer in French."}]}
    assert sent["contents"] == [
        {"role": "user", "parts": [{"text": "Hello"}, {"text": "Are you there?"}]},
        {"role": "model", "parts": [{"text": "Oui."}]},
        {"role": "user", "parts": [{"text": "Good."}]},
    ]


async def test_an_image_data_url_goes_as_inline_data() -> None:
    content = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": PNG_DATA_URL}},
    ]

    sent = await sent_body(chat_body([{"role": "user", "content": content}]))

    image = sent["contents"][0]["parts"][1]["inlineData"]
    assert image["mimeType"] == "image/png" and base64.b64decode(image["data"]) == PNG_BYTES


async def test_an_image_url_is_fetched_under_the_providers_policy() -> None:
    content = [{"type": "image_url", "image_url": {"url": "http://127.0.0.1/cat.png", "detail": "low"}}]
    allowing = gemini_adapter(image_fetch=ImageFetchConfig(allow_http=True, allow_private_addresses=True))

    sent = await sent_body(chat_body([{"role": "user", "content": content}]), adapter=allowing)
    refused = await refusal(chat_body([{"role": "user", "content": content}]))

    assert base64.b64decode(sent["contents"][0]["parts"][0]["inlineData"]["data"]) == PNG_BYTES
    assert refused.status == 400 and refused.param == "messages[0].content[0].image_url.url"


async def test_tool_calls_and_their_results_become_function_call_and_response_turns_in_call_order() -> None:
    calls = [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        },
        {"id": "call_b", "type": "function", "function": {"name": "get_time", "arguments": ""}},
    ]
    sent = await sent_body(
        chat_body(
            [
                {"role": "user", "content": "Weather and time in Paris?"},
                {"role": "assistant", "content": None, "tool_calls": calls},
                {"role": "tool", "tool_call_id": "call_b", "content": "14:05"},
                {"role": "tool", "tool_call_id": "call_a", "content": '{"temperature": 21}'},
                {"role": "user", "content": "Thanks"},
            ],
            tools=[WEATHER, TIME],
        )
    )

    assert sent["contents"][1] == {
        "role": "model",
        "parts": [
            {
                "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                "thoughtSignature": SKIP_SIGNATURE,
            },
            {"functionCall": {"name": "get_time", "args": {}}},
        ],
    }
    assert sent["contents"][2] == {
        "role": "user",
        "parts": [
            {"functionResponse": {"name": "get_weather", "response": {"temperature": 21}}},
            {"functionResponse": {"name": "get_time", "response": {"output": "14:05"}}},
            {"text": "Thanks"},
        ],
    }


async def test_a_tool_result_for_an_unknown_call_is_a_400() -> None:
    error = await refusal(
        chat_body(
            [{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "call_x", "content": "1"}]
        )
    )
    assert error.status == 400 and error.param == "messages[1].tool_call_id"


async def test_tool_call_arguments_that_are_not_an_object_are_a_400() -> None:
    call = {"id": "c", "type": "function", "function": {"name": "get_weather", "arguments": "[1]"}}
    error = await refusal(
        chat_body([{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": [call]}])
    )
    assert error.status == 400 and error.param == "messages[1].tool_calls[0]"


async def test_output_controls_become_the_generation_config() -> None:
    sent = await sent_body(
        chat_body(
            max_completion_tokens=256,
            temperature=1.5,
            top_p=0.9,
            top_k=40,
            stop="END",
            seed=7,
            n=2,
            presence_penalty=0.5,
            frequency_penalty=-0.5,
            response_format={"type": "json_object"},
        )
    )

    assert sent["generationConfig"] == {
        "maxOutputTokens": 256,
        "temperature": 1.5,
        "topP": 0.9,
        "topK": 40,
        "seed": 7,
        "stopSequences": ["END"],
        "candidateCount": 2,
        "presencePenalty": 0.5,
        "frequencyPenalty": -0.5,
        "responseMimeType": "application/json",
    }


async def test_a_json_schema_response_format_goes_as_response_json_schema() -> None:
    schema = {
        "type": "object",
        "definitions": {"City": {"type": "string", "minLength": 1}},
        "properties": {"city": {"$ref": "#/definitions/City"}, "n": {"type": "integer", "multipleOf": 2}},
        "required": ["city"],
        "additionalProperties": False,
    }
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": schema, "strict": True},
    }

    config = (await sent_body(chat_body(response_format=response_format)))["generationConfig"]

    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == {
        "type": "object",
        "properties": {"city": {"$ref": "#/$defs/City"}, "n": {"type": "integer"}},
        "required": ["city"],
        "additionalProperties": False,
        "$defs": {"City": {"type": "string"}},
    }


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"logprobs": True}, "logprobs"),
        ({"logit_bias": {"1": 2}}, "logit_bias"),
        ({"parallel_tool_calls": False, "tools": [WEATHER]}, "parallel_tool_calls"),
        ({"n": 9}, "n"),
        ({"seed": 2**31}, "seed"),
        ({"top_k": 0}, "top_k"),
        ({"modalities": ["text", "audio"]}, "modalities"),
    ],
)
async def test_what_gemini_cannot_honour_is_a_400_naming_the_parameter(
    fields: dict[str, Any], param: str
) -> None:
    error = await refusal(chat_body(**fields))
    assert error.status == 400 and error.param == param


async def test_unsupported_parameters_are_dropped_when_the_model_says_so() -> None:
    sent = await sent_body(
        chat_body(logprobs=True, reasoning_effort="low", temperature=0.3), policy=ParamPolicy.DROP
    )
    assert sent["generationConfig"] == {"temperature": 0.3}


async def test_values_gemini_honours_anyway_are_left_out_rather_than_refused() -> None:
    sent = await sent_body(chat_body(logprobs=False, parallel_tool_calls=True, user="u-1", store=False))
    assert set(sent) == {"contents"}
