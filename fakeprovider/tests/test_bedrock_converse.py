"""What the fake's Converse accepts, refuses (the service model's shapes, Converse's rules) and answers."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from aigw_fakeprovider.images import png_for
from fake_bedrock import TOOL, USER, aws_error, converse, model_path, post

TOOL_USE = {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}}
TOOL_RESULT = {"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "sunny"}]}}
IMAGE = {"image": {"format": "png", "source": {"bytes": base64.b64encode(png_for("cat")).decode()}}}
REJECTED = [
    # (id, body, fragment of the ValidationException's message)
    ("unknown-field", converse(topK=3), "#: extraneous key [topK] is not permitted"),
    (
        "unknown-nested-field",
        converse(inferenceConfig={"topK": 3}),
        "#/inferenceConfig: extraneous key [topK]",
    ),
    (
        "openai-shaped-message",
        converse(messages=[{"role": "user", "content": "hi"}]),
        "'messages.1.member.content'",
    ),
    ("temperature-above-1", converse(inferenceConfig={"temperature": 1.5}), "less than or equal to 1"),
    ("max-tokens-zero", converse(inferenceConfig={"maxTokens": 0}), "greater than or equal to 1"),
    (
        "empty-stop-sequence",
        converse(inferenceConfig={"stopSequences": [""]}),
        "length greater than or equal to 1",
    ),
    (
        "bad-role",
        converse(messages=[{"role": "tool", "content": [{"text": "x"}]}]),
        "enum value set: [user, assistant, system]",
    ),
    (
        "system-role-message",
        converse(messages=[USER, {"role": "system", "content": [{"text": "x"}]}]),
        "give system prompts in the system field",
    ),
    (
        "two-union-members",
        converse(messages=[{"role": "user", "content": [{"text": "a", **IMAGE}]}]),
        "exactly one",
    ),
    ("no-messages", converse(messages=...), "must start with a user message"),
    (
        "assistant-first",
        converse(messages=[{"role": "assistant", "content": [{"text": "hi"}]}, USER]),
        "must start with a user",
    ),
    ("not-alternating", converse(messages=[USER, USER]), "must alternate between user and assistant"),
    (
        "empty-content",
        converse(messages=[{"role": "user", "content": []}]),
        "content field in the Message object at messages.0 is empty",
    ),
    (
        "blank-text",
        converse(messages=[{"role": "user", "content": [{"text": " \n"}]}]),
        "ContentBlock object at messages.0.content.0 is blank",
    ),
    ("blank-system", converse(system=[{"text": "  "}]), "SystemContentBlock object at system.0 is blank"),
    (
        "tool-use-without-tool-config",
        converse(
            messages=[
                USER,
                {"role": "assistant", "content": [TOOL_USE]},
                {"role": "user", "content": [TOOL_RESULT]},
            ]
        ),
        "toolConfig field must be defined",
    ),
    (
        "unanswered-tool-use",
        converse(
            toolConfig={"tools": [TOOL]}, messages=[USER, {"role": "assistant", "content": [TOOL_USE]}, USER]
        ),
        "Expected toolResult blocks at messages.2.content for the following Ids: tooluse_1",
    ),
    (
        "tool-result-without-tool-use",
        converse(toolConfig={"tools": [TOOL]}, messages=[{"role": "user", "content": [TOOL_RESULT]}]),
        "exceeds the number of toolUse blocks",
    ),
    (
        "tool-use-by-the-user",
        converse(toolConfig={"tools": [TOOL]}, messages=[{"role": "user", "content": [TOOL_USE]}]),
        "must be in an assistant message",
    ),
    (
        "tool-name-with-a-dot",
        converse(toolConfig={"tools": [{"toolSpec": {**TOOL["toolSpec"], "name": "get.weather"}}]}),
        "regular expression pattern: [a-zA-Z0-9_-]+",
    ),
    (
        "schema-not-an-object",
        converse(
            toolConfig={"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {"type": "string"}}}}]}
        ),
        "must be one of the following: object",
    ),
    (
        "forced-unknown-tool",
        converse(toolConfig={"tools": [TOOL], "toolChoice": {"tool": {"name": "other"}}}),
        "not in toolConfig.tools",
    ),
    ("empty-tools", converse(toolConfig={"tools": []}), "'toolConfig.tools' failed to satisfy constraint"),
    (
        "image-not-base64",
        converse(
            messages=[
                {
                    "role": "user",
                    "content": [{"image": {"format": "png", "source": {"bytes": "not base64!"}}}],
                }
            ]
        ),
        "base64",
    ),
    (
        "image-not-a-png",
        converse(
            messages=[
                {
                    "role": "user",
                    "content": [{"image": {"format": "png", "source": {"bytes": "R0lGODlhAQABAAAAACw="}}}],
                }
            ]
        ),
        "not a valid png image",
    ),
    (
        "image-format",
        converse(
            messages=[
                {"role": "user", "content": [{"image": {"format": "bmp", "source": {"bytes": "AAAA"}}}]}
            ]
        ),
        "enum value set: [png, jpeg, gif, webp]",
    ),
    ("service-tier", converse(serviceTier={"type": "turbo"}), "'serviceTier.type'"),
    (
        "bad-json-schema",
        converse(
            outputConfig={
                "textFormat": {"type": "json_schema", "structure": {"jsonSchema": {"schema": "{nope"}}}
            }
        ),
        "JSON schema in outputConfig.textFormat",
    ),
    ("not-json", b"{nope", "Malformed input request"),
]


@pytest.mark.parametrize(
    ("body", "fragment"), [case[1:] for case in REJECTED], ids=[case[0] for case in REJECTED]
)
async def test_what_bedrock_refuses_is_a_validation_exception(
    http: httpx.AsyncClient, body: Any, fragment: str
) -> None:
    response = await post(http, body)

    assert fragment in aws_error(response, 400, "ValidationException")
    assert response.headers["x-amzn-errortype"].endswith(
        ":http://internal.amazon.com/coral/com.amazon.bedrock/"
    )


async def test_an_invalid_model_id_is_refused(http: httpx.AsyncClient) -> None:
    response = await post(http, converse(), path=model_path("has spaces"))

    assert "'modelId' failed to satisfy constraint" in aws_error(response, 400, "ValidationException")


async def test_a_full_tool_round_trip_is_accepted_and_answered_from_the_results(
    http: httpx.AsyncClient,
) -> None:
    second_use = {"toolUse": {**TOOL_USE["toolUse"], "toolUseId": "tooluse_2", "input": {"city": "Lyon"}}}
    second_result = {"toolResult": {"toolUseId": "tooluse_2", "content": [{"json": {"weather": "rain"}}]}}
    messages = [
        USER,
        {"role": "assistant", "content": [{"text": "Let me check."}, TOOL_USE, second_use]},
        {"role": "user", "content": [TOOL_RESULT, second_result]},
    ]

    response = await post(http, converse(toolConfig={"tools": [TOOL]}, messages=messages))

    assert response.status_code == 200, response.text
    expected = 'Tool results: sunny; {"weather": "rain"}'
    assert response.json()["output"]["message"]["content"] == [{"text": expected}]


async def test_offered_tools_are_called_with_bedrock_ids(http: httpx.AsyncClient) -> None:
    response = await post(http, converse(toolConfig={"tools": [TOOL], "toolChoice": {"any": {}}}))

    answer = response.json()
    assert answer["stopReason"] == "tool_use"
    (block,) = answer["output"]["message"]["content"]
    assert block["toolUse"]["toolUseId"].startswith("tooluse_")
    assert block["toolUse"]["name"] == "get_weather" and set(block["toolUse"]["input"]) == {"city"}


async def test_images_are_counted_and_limits_and_stops_apply(http: httpx.AsyncClient) -> None:
    messages = [{"role": "user", "content": [{"text": "look at this picture please"}, IMAGE]}]

    limited = await post(http, converse(messages=messages, inferenceConfig={"maxTokens": 2}))
    stopped = await post(http, converse(messages=messages, inferenceConfig={"stopSequences": ["picture"]}))

    assert limited.json()["stopReason"] == "max_tokens"
    assert limited.json()["output"]["message"]["content"] == [{"text": "Echo: look"}]
    assert stopped.json()["stopReason"] == "stop_sequence"
    assert stopped.json()["usage"]["inputTokens"] == 5 + 85
