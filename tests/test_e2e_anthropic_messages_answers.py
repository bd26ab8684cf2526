"""Messages, streamed and not, tool use and token counts on Anthropic's Messages door, with the `anthropic` SDK.

Claude's answers pass through and GPT's are translated, and the SDK sees the
same shapes from both: its messages, its events, its stream helper's final
message; the OpenAPI document describes the door. The suite: `messages_suite`.
"""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import pytest

from harness import FakeProvider, Gateway
from messages_suite import HELLO, MESSAGES_CONFIG, MODELS, UPSTREAM_PATH, WEATHER, anthropic_error

SUITE_CONFIG = MESSAGES_CONFIG


def _upstream_paths(fake: FakeProvider) -> list[str]:
    return [request["path"] for request in fake.requests()]


# --- messages, streamed and not ------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_a_message_comes_back_as_the_sdks_message(
    suite_anthropic: anthropic.Anthropic, suite_fake: FakeProvider, model: str
) -> None:
    message = suite_anthropic.messages.create(model=model, max_tokens=50, messages=HELLO)

    assert message.type == "message" and message.role == "assistant"
    assert message.id.startswith("msg_") and message.model == f"{model}-fake"
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].type == "text" and message.content[0].text == "Echo: hello there gateway"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 3 and message.usage.output_tokens == 4
    assert _upstream_paths(suite_fake) == [UPSTREAM_PATH[model]]


@pytest.mark.parametrize("model", MODELS)
def test_a_streamed_message_arrives_as_anthropics_events(
    suite_anthropic: anthropic.Anthropic, model: str
) -> None:
    events = list(suite_anthropic.messages.create(model=model, max_tokens=50, messages=HELLO, stream=True))

    kinds = [event.type for event in events]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    text = "".join(
        event.delta.text
        for event in events
        if event.type == "content_block_delta" and event.delta.type == "text_delta"
    )
    assert text == "Echo: hello there gateway"
    final = next(event for event in events if event.type == "message_delta")
    assert final.delta.stop_reason == "end_turn" and final.usage.output_tokens == 4


@pytest.mark.parametrize("model", MODELS)
def test_the_sdks_stream_helper_builds_the_final_message(
    suite_anthropic: anthropic.Anthropic, model: str
) -> None:
    with suite_anthropic.messages.stream(model=model, max_tokens=50, messages=HELLO) as stream:
        pieces = list(stream.text_stream)
        message = stream.get_final_message()

    assert "".join(pieces) == "Echo: hello there gateway"
    assert message.content[0].type == "text" and message.content[0].text == "Echo: hello there gateway"
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (3, 4)


# --- tool use --------------------------------------------------------------------------


def _tool_round_trip(client: anthropic.Anthropic, model: str, stream: bool) -> tuple[Any, Any]:
    question: list[Any] = [{"role": "user", "content": "What is the weather in Paris?"}]

    def ask(messages: list[Any]) -> anthropic.types.Message:
        if not stream:
            return client.messages.create(model=model, max_tokens=100, tools=[WEATHER], messages=messages)
        with client.messages.stream(model=model, max_tokens=100, tools=[WEATHER], messages=messages) as s:
            return s.get_final_message()

    first = ask(question)
    call = next(block for block in first.content if block.type == "tool_use")
    second = ask(
        [
            *question,
            {
                "role": "assistant",
                "content": [block.model_dump(exclude_none=True) for block in first.content],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny, 24C"}],
            },
        ]
    )
    return first, second


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("model", MODELS)
def test_a_tool_round_trip_works_on_every_model(
    suite_anthropic: anthropic.Anthropic, model: str, stream: bool
) -> None:
    first, second = _tool_round_trip(suite_anthropic, model, stream)

    call = next(block for block in first.content if block.type == "tool_use")
    assert first.stop_reason == "tool_use"
    assert call.name == "get_weather" and call.id and isinstance(call.input, dict) and "city" in call.input
    assert second.stop_reason == "end_turn"
    assert second.content[0].type == "text" and second.content[0].text == "Tool results: sunny, 24C"


# --- count_tokens ------------------------------------------------------------------------


def test_claude_counts_tokens(suite_anthropic: anthropic.Anthropic) -> None:
    counted = suite_anthropic.messages.count_tokens(model="claude", messages=HELLO)

    assert counted.input_tokens == 3


def test_a_model_that_cannot_count_tokens_says_so(suite_anthropic: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as refused:
        suite_anthropic.messages.count_tokens(model="gpt", messages=HELLO)

    assert refused.value.body == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": anthropic_error(refused)["message"]},
    }
    assert "cannot count tokens" in anthropic_error(refused)["message"]


# --- the door's description --------------------------------------------------------------


def test_the_openapi_document_describes_the_door(suite_gateway: Gateway) -> None:
    document = httpx.get(f"{suite_gateway.url}/openapi.json").json()

    assert {"/v1/messages", "/v1/messages/count_tokens"} <= set(document["paths"])
    schemas = document["components"]["schemas"]
    assert {"model", "messages", "max_tokens"} <= set(schemas["AnthropicMessagesRequest"]["required"])
    assert "ChatCompletionRequest" in schemas
    answer = document["paths"]["/v1/messages"]["post"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"] == {"$ref": "#/components/schemas/AnthropicMessage"}
