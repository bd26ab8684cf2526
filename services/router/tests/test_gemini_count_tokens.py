"""The Gemini adapter's token counts: countTokens over the chat's whole GenerateContentRequest."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from aigw_router.adapters import ChatCall
from aigw_runtime.errors import GatewayError
from chat_samples import PNG_DATA_URL
from gemini_samples import WEATHER, chat_body, gemini_adapter


@pytest.mark.parametrize(
    ("model", "name"),
    [("gemini-2.0-flash", "models/gemini-2.0-flash"), ("tunedModels/mine-1", "tunedModels/mine-1")],
)
async def test_a_count_sends_the_generate_request_of_the_chat_whole_and_named(model: str, name: str) -> None:
    body = chat_body(
        [
            {"role": "system", "content": "be brief"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is this"},
                    {"type": "image_url", "image_url": {"url": PNG_DATA_URL}},
                ],
            },
        ],
        tools=[WEATHER],
        tool_choice="required",
        response_format={"type": "json_object"},
    )
    adapter = gemini_adapter()
    generate = orjson.loads(
        (await adapter.build_chat(ChatCall(body=body, upstream_model=model, stream=False))).content
    )

    request = await adapter.build_chat_token_count(ChatCall(body=body, upstream_model=model, stream=False))

    assert request.url == f"https://generativelanguage.googleapis.com/v1beta/{name}:countTokens"
    assert request.headers["x-goog-api-key"] == "AIzaSyTestKey0123456789abcdefghij"
    assert orjson.loads(request.content) == {"generateContentRequest": {"model": name, **generate}}
    assert set(generate) == {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig"}


async def test_a_count_is_refused_where_the_chat_would_be() -> None:
    call = ChatCall(body=chat_body(logit_bias={"1": 5}), upstream_model="gemini-2.0-flash", stream=False)

    with pytest.raises(GatewayError) as refused:
        await gemini_adapter().build_chat_token_count(call)

    assert refused.value.status == 400 and refused.value.param == "logit_bias"


@pytest.mark.parametrize(
    ("answer", "count"),
    [
        (
            {"totalTokens": 93, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 8}]},
            93,
        ),
        ({"totalTokens": 7, "cachedContentTokenCount": 4}, 7),
        ({}, 0),  # proto3 JSON leaves a zero out
    ],
)
def test_the_count_is_total_tokens(answer: dict[str, Any], count: int) -> None:
    assert gemini_adapter().parse_chat_token_count(orjson.dumps(answer)) == count


@pytest.mark.parametrize("content", [b"not json", b"[]", b'{"totalTokens": "93"}', b'{"totalTokens": -1}'])
def test_an_answer_that_is_not_a_count_is_a_502(content: bytes) -> None:
    with pytest.raises(GatewayError) as failed:
        gemini_adapter().parse_chat_token_count(content)

    assert failed.value.status == 502
