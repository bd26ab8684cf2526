"""The official OpenAI SDK parses every kind of answer the fake gives, and the answers are predictable."""

from __future__ import annotations

import base64
import json
import struct

import httpx
import openai
import pytest

MODEL = "fake-gpt-4o"

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer", "minimum": 3},
                "units": {"type": "string", "enum": ["c", "f"]},
                "note": {"type": "string"},
            },
            "required": ["city", "days", "units"],
        },
    },
}
STOCK_TOOL = {
    "type": "function",
    "function": {
        "name": "get_stock_price",
        "parameters": {
            "type": "object",
            "properties": {"ticker": {"type": "string"}, "live": {"type": "boolean"}},
            "required": ["ticker", "live"],
        },
    },
}


async def test_text_answer_echoes_last_user_message_with_usage(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "first question"},
            {"role": "assistant", "content": "first answer"},
            {"role": "user", "content": "what is the capital of France?"},
        ],
    )

    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == MODEL
    assert completion.system_fingerprint
    choice = completion.choices[0]
    assert choice.index == 0
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content == "Echo: what is the capital of France?"
    assert choice.message.refusal is None
    assert choice.message.tool_calls is None
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 3 + 2 + 2 + 6
    assert completion.usage.completion_tokens == 7
    assert completion.usage.total_tokens == 20
    assert completion.usage.prompt_tokens_details is not None
    assert completion.usage.prompt_tokens_details.cached_tokens == 0
    assert completion.usage.completion_tokens_details is not None
    assert completion.usage.completion_tokens_details.reasoning_tokens == 0


async def test_raw_body_has_exactly_the_keys_of_a_real_completion(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await http.post(
        "/v1/chat/completions",
        headers=auth,
        json={"model": MODEL, "messages": [{"role": "user", "content": "hi"}]},
    )

    body = response.json()
    assert response.headers["content-type"] == "application/json"
    assert list(body) == ["id", "object", "created", "model", "choices", "usage", "system_fingerprint"]
    assert list(body["choices"][0]) == ["index", "message", "logprobs", "finish_reason"]
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "Echo: hi", "refusal": None}


async def test_images_are_counted_in_the_answer_and_the_prompt_tokens(client: openai.AsyncOpenAI) -> None:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
    completion = await client.chat.completions.create(
        model=MODEL,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is this?"},
                    {
                        "type": "image_url",
                        "image_url": {"url": "https://example.com/cat.png", "detail": "low"},
                    },
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}},
                ],
            }
        ],
    )

    assert completion.choices[0].message.content == "Echo: what is this? [2 images]"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 3 + 2 * 85


async def test_max_tokens_truncates_with_finish_reason_length(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "one two three four"}], max_tokens=3
    )

    assert completion.choices[0].message.content == "Echo: one two"
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None and completion.usage.completion_tokens == 3


async def test_stop_sequence_cuts_the_text(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "alpha beta STOP gamma"}], stop=["STOP", "zzz"]
    )

    assert completion.choices[0].message.content == "Echo: alpha beta"
    assert completion.choices[0].finish_reason == "stop"


async def test_n_choices_are_indexed_and_distinct(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hi"}], n=3
    )

    assert [choice.index for choice in completion.choices] == [0, 1, 2]
    assert [choice.message.content for choice in completion.choices] == [
        "Echo: hi",
        "Echo: hi (1)",
        "Echo: hi (2)",
    ]
    assert completion.usage is not None and completion.usage.completion_tokens == 2 + 3 + 3


async def test_tool_call_fills_required_parameters_from_their_schema(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "weather in Paris?"}],
        tools=[WEATHER_TOOL],
    )

    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert choice.message.tool_calls is not None and len(choice.message.tool_calls) == 1
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert call.id.startswith("call_") and len(call.id) == 29
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "sample city", "days": 3, "units": "c"}


async def test_tool_call_ids_are_deterministic(client: openai.AsyncOpenAI) -> None:
    request = {"model": MODEL, "messages": [{"role": "user", "content": "same"}], "tools": [WEATHER_TOOL]}

    first = await client.chat.completions.create(**request)
    second = await client.chat.completions.create(**request)

    assert first.choices[0].message.tool_calls[0].id == second.choices[0].message.tool_calls[0].id


async def test_parallel_tool_calls_call_the_first_two_tools(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "weather and AAPL?"}],
        tools=[WEATHER_TOOL, STOCK_TOOL],
        tool_choice="required",
    )

    calls = completion.choices[0].message.tool_calls
    assert calls is not None
    assert [call.function.name for call in calls] == ["get_weather", "get_stock_price"]
    assert json.loads(calls[1].function.arguments) == {"ticker": "sample ticker", "live": True}
    assert calls[0].id != calls[1].id


async def test_parallel_tool_calls_false_calls_one_tool(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "weather and AAPL?"}],
        tools=[WEATHER_TOOL, STOCK_TOOL],
        parallel_tool_calls=False,
    )

    calls = completion.choices[0].message.tool_calls
    assert calls is not None and [call.function.name for call in calls] == ["get_weather"]


async def test_named_tool_choice_calls_that_tool(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "AAPL?"}],
        tools=[WEATHER_TOOL, STOCK_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_stock_price"}},
    )

    calls = completion.choices[0].message.tool_calls
    assert calls is not None and [call.function.name for call in calls] == ["get_stock_price"]


async def test_tool_choice_none_answers_with_text(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "just talk"}],
        tools=[WEATHER_TOOL],
        tool_choice="none",
    )

    assert completion.choices[0].message.content == "Echo: just talk"
    assert completion.choices[0].finish_reason == "stop"


async def test_tool_results_round_trip_into_a_summary(client: openai.AsyncOpenAI) -> None:
    messages: list[dict[str, object]] = [{"role": "user", "content": "weather and AAPL?"}]
    first = await client.chat.completions.create(
        model=MODEL, messages=messages, tools=[WEATHER_TOOL, STOCK_TOOL]
    )
    calls = first.choices[0].message.tool_calls
    assert calls is not None
    messages.append(first.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": calls[0].id, "content": "sunny, 21C"})
    messages.append(
        {"role": "tool", "tool_call_id": calls[1].id, "content": [{"type": "text", "text": "$190"}]}
    )

    second = await client.chat.completions.create(
        model=MODEL, messages=messages, tools=[WEATHER_TOOL, STOCK_TOOL]
    )

    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content == "Tool results: sunny, 21C; $190"


async def test_json_mode_answers_with_a_json_object(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "reply in JSON please"}],
        response_format={"type": "json_object"},
    )

    assert json.loads(completion.choices[0].message.content or "") == {"echo": "reply in JSON please"}


async def test_json_schema_answer_matches_the_schema(client: openai.AsyncOpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "temperature": {"type": "number"},
            "sunny": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "when": {"type": "string", "format": "date"},
            "unit": {"anyOf": [{"$ref": "#/$defs/unit"}, {"type": "null"}]},
        },
        "required": ["city", "temperature", "sunny", "tags", "when", "unit"],
        "additionalProperties": False,
        "$defs": {"unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
    }
    completion = await client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "weather"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "weather", "schema": schema, "strict": True},
        },
    )

    assert json.loads(completion.choices[0].message.content or "") == {
        "city": "sample city",
        "temperature": 1.5,
        "sunny": True,
        "tags": ["sample tags"],
        "when": "2024-01-01",
        "unit": "celsius",
    }


async def test_streamed_text_with_usage(client: openai.AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "stream me please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]

    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[0].choices[0].delta.content == ""
    pieces = [chunk.choices[0].delta.content for chunk in chunks[1:-2]]
    assert pieces == ["Echo:", " stream", " me", " please"]
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert all(chunk.usage is None for chunk in chunks[:-1])
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (3, 4)
    assert len({chunk.id for chunk in chunks}) == 1


async def test_streamed_tool_call_arguments_concatenate_to_json(client: openai.AsyncOpenAI) -> None:
    request = {"model": MODEL, "messages": [{"role": "user", "content": "weather?"}], "tools": [WEATHER_TOOL]}
    unstreamed = await client.chat.completions.create(**request)
    stream = await client.chat.completions.create(
        **request, stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]

    first = chunks[0].choices[0].delta
    assert first.role == "assistant" and first.content is None
    assert first.tool_calls is not None and first.tool_calls[0].function is not None
    assert first.tool_calls[0].function.name == "get_weather" and first.tool_calls[0].function.arguments == ""
    expected = unstreamed.choices[0].message.tool_calls[0]
    assert first.tool_calls[0].id == expected.id
    fragments = [chunk.choices[0].delta.tool_calls[0] for chunk in chunks[1:-2]]
    assert all(fragment.id is None and fragment.index == 0 for fragment in fragments)
    assert "".join(fragment.function.arguments for fragment in fragments) == expected.function.arguments
    assert chunks[-2].choices[0].finish_reason == "tool_calls"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == len(expected.function.arguments.split())


async def test_streamed_parallel_tool_calls_with_usage(client: openai.AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "both"}],
        tools=[WEATHER_TOOL, STOCK_TOOL],
        stream=True,
        stream_options={"include_usage": True},
    )
    arguments: dict[int, str] = {}
    names: dict[int, str] = {}
    async for chunk in stream:
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                if call.id is not None:
                    names[call.index] = call.function.name
                arguments[call.index] = arguments.get(call.index, "") + (call.function.arguments or "")

    assert names == {0: "get_weather", 1: "get_stock_price"}
    assert json.loads(arguments[1]) == {"ticker": "sample ticker", "live": True}
    assert json.loads(arguments[0])["city"] == "sample city"


async def test_streamed_n_choices_interleave_and_each_finishes(client: openai.AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hi"}], n=2, stream=True
    )
    texts = {0: "", 1: ""}
    finished: dict[int, str | None] = {}
    async for chunk in stream:
        choice = chunk.choices[0]
        texts[choice.index] += choice.delta.content or ""
        if choice.finish_reason:
            finished[choice.index] = choice.finish_reason

    assert texts == {0: "Echo: hi", 1: "Echo: hi (1)"}
    assert finished == {0: "stop", 1: "stop"}


async def test_embeddings_are_deterministic_unit_vectors_in_both_encodings(
    client: openai.AsyncOpenAI, http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    by_sdk = await client.embeddings.create(
        model="fake-embedding-small", input=["hello", "world"], dimensions=8
    )
    raw = await http.post(
        "/v1/embeddings",
        headers=auth,
        json={"model": "fake-embedding-small", "input": "hello", "dimensions": 8, "encoding_format": "float"},
    )
    encoded = await http.post(
        "/v1/embeddings",
        headers=auth,
        json={
            "model": "fake-embedding-small",
            "input": "hello",
            "dimensions": 8,
            "encoding_format": "base64",
        },
    )

    floats = raw.json()["data"][0]["embedding"]
    decoded = list(struct.unpack("<8f", base64.b64decode(encoded.json()["data"][0]["embedding"])))
    assert [item.index for item in by_sdk.data] == [0, 1]
    assert by_sdk.data[0].embedding == floats == decoded
    assert by_sdk.data[1].embedding != floats
    assert sum(value * value for value in floats) == pytest.approx(1.0, abs=1e-5)
    assert by_sdk.usage.prompt_tokens == 2
    assert raw.json()["object"] == "list" and raw.json()["model"] == "fake-embedding-small"


async def test_embedding_dimensions_default_by_model(client: openai.AsyncOpenAI) -> None:
    small = await client.embeddings.create(model="fake-embedding-small", input="x", encoding_format="float")
    large = await client.embeddings.create(model="fake-embedding-large", input="x", encoding_format="float")

    assert (len(small.data[0].embedding), len(large.data[0].embedding)) == (1536, 3072)


async def test_models_are_listed_and_retrievable(client: openai.AsyncOpenAI) -> None:
    models = [model async for model in client.models.list()]
    retrieved = await client.models.retrieve("fake-gpt-4o-mini")

    assert "fake-gpt-4o" in [model.id for model in models]
    assert all(model.object == "model" for model in models)
    assert retrieved.id == "fake-gpt-4o-mini"
    with pytest.raises(openai.NotFoundError) as raised:
        await client.models.retrieve("gpt-5-nonexistent")
    assert raised.value.code == "model_not_found"


async def test_allowed_tools_choice_restricts_the_tools_called(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "price?"}],
        tools=[WEATHER_TOOL, STOCK_TOOL],
        tool_choice={
            "type": "allowed_tools",
            "allowed_tools": {
                "mode": "required",
                "tools": [{"type": "function", "function": {"name": "get_stock_price"}}],
            },
        },
    )

    calls = completion.choices[0].message.tool_calls
    assert calls is not None and [call.function.name for call in calls] == ["get_stock_price"]


async def test_custom_tools_are_accepted_but_never_called(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "run it"}],
        tools=[{"type": "custom", "custom": {"name": "shell", "description": "runs a command"}}],
    )

    assert completion.choices[0].message.content == "Echo: run it"
