"""Tools and images sent to Gemini on AI Studio and Vertex AI, driven with the official `openai` SDK.

Tool calls (parallel, streamed, forced by name) and their results round trip
in OpenAI's shapes; what Gemini refuses is a 400 with Google's reason; images
by data URL and by URL (fetched by the router, since Gemini needs bytes)
reach Gemini as bytes. The suite and what the fake checks: `gemini_suite`.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import openai
import pytest

from chat_samples import CLOCK, PNG_BYTES, PNG_DATA_URL, question_with_images, streamed_tool_calls
from gemini_suite import CHATS, GEMINI_ACCOUNT_ENV, GEMINI_CONFIG, WEATHER, generations
from harness import FakeProvider

SUITE_CONFIG = GEMINI_CONFIG
SUITE_SERVICE_ACCOUNT_ENV = GEMINI_ACCOUNT_ENV


# --- tools ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", CHATS)
def test_parallel_tool_calls_and_their_results_round_trip(
    suite_client: openai.OpenAI, suite_fake: FakeProvider, model: str
) -> None:
    messages: list[Any] = [{"role": "user", "content": "Weather and time in Paris?"}]
    first = suite_client.chat.completions.create(model=model, messages=messages, tools=[WEATHER, CLOCK])

    calls = first.choices[0].message.tool_calls or []
    assert first.choices[0].finish_reason == "tool_calls"
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [  # type: ignore[union-attr]
        ("get_weather", {"city": "sample city"}),
        ("get_time", {"zone": "sample zone"}),
    ]
    messages.append(first.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": calls[1].id, "content": "14:05"})
    messages.append({"role": "tool", "tool_call_id": calls[0].id, "content": '{"celsius": 21}'})

    second = suite_client.chat.completions.create(model=model, messages=messages, tools=[WEATHER, CLOCK])

    assert second.choices[0].message.content == 'Tool results: {"celsius": 21}; 14:05'
    declared = generations(suite_fake)[0]["body"]["tools"][0]["functionDeclarations"][0]
    assert declared["parameters"]["properties"]["units"] == {
        "type": "STRING",
        "enum": ["C", "F"],
        "nullable": True,
    }


@pytest.mark.parametrize("model", CHATS)
def test_streamed_tool_calls_carry_index_and_id_first_and_arguments_that_parse(
    suite_client: openai.OpenAI, model: str
) -> None:
    stream = suite_client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "go"}], tools=[WEATHER, CLOCK], stream=True
    )
    chunks = list(stream)

    by_index, _, _ = streamed_tool_calls(chunks)
    assert [(e["name"], json.loads(e["arguments"])) for e in by_index.values()] == [
        ("get_weather", {"city": "sample city"}),
        ("get_time", {"zone": "sample zone"}),
    ]
    assert sorted(by_index) == [0, 1] and by_index[0]["id"] != by_index[1]["id"]
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


def test_a_named_tool_choice_forces_that_function(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    answer = suite_client.chat.completions.create(
        model="gemini-chat",
        messages=[{"role": "user", "content": "go"}],
        tools=[WEATHER, CLOCK],
        tool_choice={"type": "function", "function": {"name": "get_time"}},
    )

    assert [c.function.name for c in answer.choices[0].message.tool_calls or []] == ["get_time"]  # type: ignore[union-attr]
    assert generations(suite_fake)[0]["body"]["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_time"]}
    }


def test_a_request_gemini_refuses_is_a_400_with_googles_reason(suite_client: openai.OpenAI) -> None:
    bad_name: Any = {"type": "function", "function": {"name": "9lives", "parameters": {"type": "object"}}}

    with pytest.raises(openai.BadRequestError) as refused:
        suite_client.chat.completions.create(
            model="gemini-chat", messages=[{"role": "user", "content": "go"}], tools=[bad_name]
        )

    assert "Invalid function name" in refused.value.message


# --- images -------------------------------------------------------------------------------------------------------


def _inline_images(fake: FakeProvider) -> list[bytes]:
    [sent] = generations(fake)
    parts = [part for content in sent["body"]["contents"] for part in content["parts"]]
    return [base64.b64decode(part["inlineData"]["data"]) for part in parts if "inlineData" in part]


@pytest.mark.parametrize("model", CHATS)
def test_an_image_by_data_url_reaches_gemini_as_its_bytes(
    suite_client: openai.OpenAI, suite_fake: FakeProvider, model: str
) -> None:
    answer = suite_client.chat.completions.create(
        model=model, messages=question_with_images("what is it", {"url": PNG_DATA_URL})
    )

    assert answer.choices[0].message.content == "Echo: what is it [1 image]"
    assert _inline_images(suite_fake) == [PNG_BYTES]


@pytest.mark.parametrize("model", CHATS)
def test_an_image_by_url_is_fetched_by_the_gateway_and_sent_as_bytes(
    suite_client: openai.OpenAI, suite_fake: FakeProvider, model: str
) -> None:
    url = f"{suite_fake.url}/_fake/images/{model}.png"
    served = httpx.get(url).content

    answer = suite_client.chat.completions.create(
        model=model, messages=question_with_images("and this", {"url": url})
    )

    assert answer.choices[0].message.content == "Echo: and this [1 image]"
    assert _inline_images(suite_fake) == [served] and served.startswith(b"\x89PNG")
