"""The Bedrock adapter, requests: OpenAI chat in, Converse out, refused where Bedrock cannot follow."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import orjson
import pytest

from aigw_router.adapters import ADAPTER_TYPES, ParamPolicy
from aigw_router.adapters.bedrock import BedrockAdapter
from aigw_runtime.config import ImageFetchConfig
from aigw_runtime.errors import InvalidRequestError
from bedrock_samples import (
    CLAUDE,
    PROFILE_ARN,
    REGION,
    bedrock_adapter,
    chat_body,
    path_as_sent_by_aiohttp,
    upstream_request,
)
from chat_samples import PNG_BYTES, PNG_DATA_URL, WEATHER

CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}
CALL_2 = {
    "id": "call_2",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Lyon"}'},
}


async def _sent(body: bytes, **options: Any) -> dict[str, Any]:
    sent: dict[str, Any] = orjson.loads((await upstream_request(body, **options)).content)
    return sent


# --- where requests go -------------------------------------------------------------


def test_bedrock_is_a_registered_provider_type() -> None:
    assert ADAPTER_TYPES["bedrock"] is BedrockAdapter


async def test_chat_goes_to_converse_on_the_regional_runtime_endpoint() -> None:
    request = await upstream_request(chat_body())

    assert request.url == f"https://bedrock-runtime.{REGION}.amazonaws.com/model/{CLAUDE}/converse"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"


async def test_a_stream_goes_to_converse_stream_and_accepts_the_event_stream() -> None:
    request = await upstream_request(chat_body(stream=True), stream=True)

    assert request.url.endswith(f"/model/{CLAUDE}/converse-stream")
    assert request.headers["accept"] == "application/vnd.amazon.eventstream"
    assert "stream" not in orjson.loads(request.content)


async def test_base_url_replaces_the_endpoint_without_a_version_path() -> None:
    request = await upstream_request(chat_body(), adapter=bedrock_adapter(base_url="http://127.0.0.1:9/"))

    assert request.url == f"http://127.0.0.1:9/model/{CLAUDE}/converse"


@pytest.mark.parametrize(
    "model",
    [
        CLAUDE,
        PROFILE_ARN,
        "us.meta.llama3-2-90b-instruct-v1:0",
        "arn:aws:bedrock:eu-west-3::foundation-model/x.y+z",
    ],
)
async def test_the_model_id_is_one_path_segment_that_no_http_client_rewrites(model: str) -> None:
    request = await upstream_request(chat_body(), model=model)

    path = httpx.URL(request.url).raw_path.decode()
    segments = path.split("/")
    assert len(segments) == 4 and segments[1] == "model" and segments[3] == "converse"
    assert httpx.URL(request.url).path.split("/model/", 1)[1].removesuffix("/converse") == model
    assert path_as_sent_by_aiohttp(request.url) == path


# --- the Converse request -------------------------------------------------------------


async def test_a_conversation_becomes_system_blocks_and_alternating_turns() -> None:
    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
        {"role": "user", "content": "What is the weather in Paris and Lyon?"},
        {"role": "assistant", "content": "\n\n", "tool_calls": [CALL, CALL_2]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "rain"}]},
        {"role": "user", "content": "And tomorrow?"},
    ]

    sent = await _sent(chat_body(messages=messages, tools=[WEATHER]))

    assert sent["system"] == [{"text": "You are terse."}, {"text": "Answer in French."}]
    assert sent["messages"] == [
        {"role": "user", "content": [{"text": "What is the weather in Paris and Lyon?"}]},
        {
            "role": "assistant",
            "content": [
                {"toolUse": {"toolUseId": "call_1", "name": "get_weather", "input": {"city": "Paris"}}},
                {"toolUse": {"toolUseId": "call_2", "name": "get_weather", "input": {"city": "Lyon"}}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "call_1", "content": [{"text": "sunny"}]}},
                {"toolResult": {"toolUseId": "call_2", "content": [{"text": "rain"}]}},
                {"text": "And tomorrow?"},
            ],
        },
    ]
    assert sent["toolConfig"] == {
        "tools": [
            {
                "toolSpec": {
                    "name": "get_weather",
                    "inputSchema": {"json": WEATHER["function"]["parameters"]},
                    "description": "Weather in a city",
                }
            }
        ]
    }
    assert set(sent) == {"messages", "system", "toolConfig"}


async def test_images_are_sent_as_bytes_from_data_urls_and_fetched_urls() -> None:
    content = [
        {"type": "text", "text": "Compare"},
        {"type": "image_url", "image_url": {"url": PNG_DATA_URL}},
        {"type": "image_url", "image_url": {"url": "http://images.test/cat.png", "detail": "low"}},
    ]

    sent = await _sent(chat_body(messages=[{"role": "user", "content": content}]))

    blocks = sent["messages"][0]["content"]
    assert blocks[0] == {"text": "Compare"}
    for block in blocks[1:]:
        assert block["image"]["format"] == "png"
        assert base64.b64decode(block["image"]["source"]["bytes"]) == PNG_BYTES


async def test_an_image_url_is_fetched_only_as_the_providers_policy_allows() -> None:
    content = [{"type": "image_url", "image_url": {"url": "http://images.test/cat.png"}}]

    with pytest.raises(InvalidRequestError, match="https") as refused:
        await upstream_request(
            chat_body(messages=[{"role": "user", "content": content}]),
            adapter=bedrock_adapter(image_fetch=ImageFetchConfig()),
        )
    assert refused.value.param == "messages[0].content[0].image_url.url"


async def test_output_controls_map_to_the_inference_config() -> None:
    sent = await _sent(chat_body(max_completion_tokens=64, temperature=0.2, top_p=0.9, stop=["END", ""]))

    assert sent["inferenceConfig"] == {
        "maxTokens": 64,
        "temperature": 0.2,
        "topP": 0.9,
        "stopSequences": ["END"],
    }


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", None),
        ("required", {"any": {}}),
        ({"type": "function", "function": {"name": "get_weather"}}, {"tool": {"name": "get_weather"}}),
    ],
)
async def test_tool_choice_maps_to_bedrocks(choice: Any, expected: dict[str, Any] | None) -> None:
    sent = await _sent(chat_body(tools=[WEATHER], tool_choice=choice))

    assert sent["toolConfig"].get("toolChoice") == expected


async def test_tool_choice_none_withholds_the_tools() -> None:
    sent = await _sent(chat_body(tools=[WEATHER], tool_choice="none"))

    assert "toolConfig" not in sent


async def test_tool_choice_none_with_tool_calls_in_the_history_is_refused() -> None:
    messages = [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    ]

    with pytest.raises(InvalidRequestError) as refused:
        await upstream_request(chat_body(messages=messages, tools=[WEATHER], tool_choice="none"))
    assert refused.value.param == "tool_choice"


async def test_json_schema_output_is_conversees_structured_output() -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    response_format = {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}

    sent = await _sent(chat_body(response_format=response_format, reasoning_effort="low"))

    structure = sent["outputConfig"]["textFormat"]
    assert structure["type"] == "json_schema"
    assert orjson.loads(structure["structure"]["jsonSchema"]["schema"]) == schema
    assert structure["structure"]["jsonSchema"]["name"] == "reply"
    assert sent["outputConfig"]["effort"] == "low"


async def test_bedrocks_own_fields_pass_through() -> None:
    extra = {
        "additionalModelRequestFields": {"top_k": 5},
        "guardrailConfig": {"guardrailIdentifier": "g", "guardrailVersion": "1"},
    }

    sent = await _sent(chat_body(**extra, user="u-1", metadata={"k": "v"}))

    assert sent["additionalModelRequestFields"] == {"top_k": 5}
    assert sent["guardrailConfig"] == extra["guardrailConfig"]
    assert "user" not in sent and "metadata" not in sent


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"temperature": 1.5}, "temperature"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"n": 2}, "n"),
        ({"seed": 7}, "seed"),
        ({"logprobs": True}, "logprobs"),
        ({"top_k": 3}, "top_k"),
        (
            {"messages": [{"role": "assistant", "content": "Hello"}, {"role": "user", "content": "hi"}]},
            "messages",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "input_audio", "input_audio": {"data": "AA==", "format": "wav"}}
                        ],
                    }
                ]
            },
            "messages[0].content[0]",
        ),
        ({"reasoning_effort": "minimal"}, "reasoning_effort"),
    ],
)
async def test_what_bedrock_cannot_do_is_a_400_naming_the_parameter(
    fields: dict[str, Any], param: str
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        await upstream_request(chat_body(**fields))

    assert refused.value.status == 400 and refused.value.param == param


async def test_unsupported_parameters_are_dropped_when_the_model_says_so() -> None:
    sent = await _sent(chat_body(seed=7, n=1, top_k=3, presence_penalty=0.5), policy=ParamPolicy.DROP)

    assert set(sent) == {"messages"}
