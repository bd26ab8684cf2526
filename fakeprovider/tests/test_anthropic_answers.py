"""The fake answers Anthropic's Messages API like Anthropic: messages, streams, tools, parsed by its official SDK."""

from __future__ import annotations

import json

import anthropic
import httpx
from anthropic.types import Message, RawMessageStreamEvent
from pydantic import TypeAdapter

from chat_samples import PNG_BASE64 as PNG
from fake_anthropic import CLOCK, MODEL, USER, WEATHER, body


async def test_a_text_answer_is_a_valid_message_echoing_the_last_user_turn(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await http.post(
        "/v1/messages",
        headers=headers,
        json=body(
            system="You are terse.", messages=[{"role": "user", "content": "what is the capital of France?"}]
        ),
    )

    message = Message.model_validate(response.json())
    assert message.id.startswith("msg_") and message.model == MODEL
    assert [(block.type, getattr(block, "text", None)) for block in message.content] == [
        ("text", "Echo: what is the capital of France?")
    ]
    assert (message.stop_reason, message.stop_sequence) == ("end_turn", None)
    assert (message.usage.input_tokens, message.usage.output_tokens) == (3 + 6, 7)
    assert (message.usage.cache_read_input_tokens, message.usage.cache_creation_input_tokens) == (0, 0)


async def test_consecutive_turns_of_one_role_are_combined(sdk: anthropic.AsyncAnthropic) -> None:
    message = await sdk.messages.create(
        model=MODEL,
        max_tokens=64,
        messages=[{"role": "user", "content": "first part"}, {"role": "user", "content": "second part"}],
    )

    assert message.content[0].type == "text" and message.content[0].text == "Echo: first part second part"


async def test_a_stream_sends_anthropics_events_in_order(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    async with http.stream("POST", "/v1/messages", headers=headers, json=body(stream=True)) as response:
        raw = (await response.aread()).decode()

    assert response.headers["content-type"] == "text/event-stream"
    frames = [frame for frame in raw.split("\n\n") if frame]
    names = [frame.split("\n")[0].removeprefix("event: ") for frame in frames]
    assert names == [
        "message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta",
        "content_block_stop", "message_delta", "message_stop",
    ]  # fmt: skip
    events = TypeAdapter(list[RawMessageStreamEvent]).validate_python(
        [json.loads(frame.split("\n")[1].removeprefix("data: ")) for frame in frames if "ping" not in frame]
    )
    assert [event.type for event in events] == [name for name in names if name != "ping"]
    assert "[DONE]" not in raw


async def test_the_sdk_accumulates_a_streamed_answer(sdk: anthropic.AsyncAnthropic) -> None:
    async with sdk.messages.stream(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "a b c"}]
    ) as stream:
        pieces = [text async for text in stream.text_stream]
        final = await stream.get_final_message()

    assert "".join(pieces) == "Echo: a b c"
    assert final.content[0].type == "text" and final.content[0].text == "Echo: a b c"
    assert (final.stop_reason, final.usage.input_tokens, final.usage.output_tokens) == ("end_turn", 3, 4)


async def test_tools_are_called_in_parallel_unless_disabled(sdk: anthropic.AsyncAnthropic) -> None:
    both = await sdk.messages.create(model=MODEL, max_tokens=64, messages=[USER], tools=[WEATHER, CLOCK])
    one = await sdk.messages.create(
        model=MODEL,
        max_tokens=64,
        messages=[USER],
        tools=[WEATHER, CLOCK],
        tool_choice={"type": "auto", "disable_parallel_tool_use": True},
    )
    forced = await sdk.messages.create(
        model=MODEL,
        max_tokens=64,
        messages=[USER],
        tools=[WEATHER, CLOCK],
        tool_choice={"type": "tool", "name": "get_time"},
    )
    unused = await sdk.messages.create(
        model=MODEL, max_tokens=64, messages=[USER], tools=[WEATHER], tool_choice={"type": "none"}
    )

    assert both.stop_reason == "tool_use"
    assert [(b.type, getattr(b, "name", None)) for b in both.content] == [
        ("tool_use", "get_weather"),
        ("tool_use", "get_time"),
    ]
    assert both.content[0].type == "tool_use" and both.content[0].id.startswith("toolu_")
    assert both.content[0].input == {"city": "sample city", "units": "c"}
    assert [getattr(b, "name", None) for b in one.content] == ["get_weather"]
    assert [getattr(b, "name", None) for b in forced.content] == ["get_time"]
    assert unused.stop_reason == "end_turn" and unused.content[0].type == "text"


async def test_streamed_tool_input_accumulates_into_the_same_input(sdk: anthropic.AsyncAnthropic) -> None:
    async with sdk.messages.stream(
        model=MODEL, max_tokens=64, messages=[USER], tools=[WEATHER, CLOCK]
    ) as stream:
        final = await stream.get_final_message()
    plain = await sdk.messages.create(model=MODEL, max_tokens=64, messages=[USER], tools=[WEATHER, CLOCK])

    assert final.content == plain.content
    assert final.content[0].type == "tool_use" and final.content[0].input == {
        "city": "sample city",
        "units": "c",
    }


async def test_parallel_tool_results_in_one_turn_answer_the_calls(sdk: anthropic.AsyncAnthropic) -> None:
    first = await sdk.messages.create(model=MODEL, max_tokens=64, messages=[USER], tools=[WEATHER, CLOCK])
    results = [
        {"type": "tool_result", "tool_use_id": block.id, "content": f"result of {block.name}"}
        for block in first.content
        if block.type == "tool_use"
    ]

    second = await sdk.messages.create(
        model=MODEL,
        max_tokens=64,
        messages=[
            USER,
            {"role": "assistant", "content": first.content},
            {"role": "user", "content": results},
        ],
        tools=[WEATHER, CLOCK],
    )

    assert second.content[0].type == "text"
    assert second.content[0].text == "Tool results: result of get_weather; result of get_time"


async def test_stop_sequences_and_max_tokens_end_the_answer(sdk: anthropic.AsyncAnthropic) -> None:
    stopped = await sdk.messages.create(
        model=MODEL,
        max_tokens=64,
        messages=[{"role": "user", "content": "one two three"}],
        stop_sequences=["two"],
    )
    truncated = await sdk.messages.create(
        model=MODEL, max_tokens=2, messages=[{"role": "user", "content": "one two three"}]
    )

    assert (stopped.stop_reason, stopped.stop_sequence) == ("stop_sequence", "two")
    assert stopped.content[0].type == "text" and stopped.content[0].text == "Echo: one"
    assert (truncated.stop_reason, truncated.usage.output_tokens) == ("max_tokens", 2)


async def test_structured_output_follows_the_schema(sdk: anthropic.AsyncAnthropic) -> None:
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer"}},
        "required": ["n"],
        "additionalProperties": False,
    }

    message = await sdk.messages.create(
        model=MODEL,
        max_tokens=64,
        messages=[USER],
        output_config={"format": {"type": "json_schema", "schema": schema}},
    )

    assert message.content[0].type == "text"
    assert set(json.loads(message.content[0].text)) == {"n"}


async def test_images_by_base64_and_by_url_are_counted(sdk: anthropic.AsyncAnthropic) -> None:
    message = await sdk.messages.create(
        model=MODEL,
        max_tokens=64,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
                    {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
                    {"type": "text", "text": "compare"},
                ],
            }
        ],
    )

    assert message.content[0].type == "text" and message.content[0].text == "Echo: compare [2 images]"


async def test_count_tokens_counts_what_messages_would(sdk: anthropic.AsyncAnthropic) -> None:
    counted = await sdk.messages.count_tokens(
        model=MODEL, system="be brief", messages=[{"role": "user", "content": "a b c"}]
    )
    created = await sdk.messages.create(
        model=MODEL, max_tokens=8, system="be brief", messages=[{"role": "user", "content": "a b c"}]
    )

    assert counted.input_tokens == created.usage.input_tokens == 5
