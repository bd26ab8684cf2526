"""The fake speaks Anthropic's Messages API: strict like it, parsed by its official SDK, faults in its shapes."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx
import pytest
from anthropic.types import Message, RawMessageStreamEvent
from pydantic import TypeAdapter

from aigw_fakeprovider import RunningFakeProvider

MODEL = "claude-fake-4-5"
USER = {"role": "user", "content": "hi"}
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
WEATHER: dict[str, Any] = {
    "name": "get_weather",
    "description": "Weather in a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "units": {"type": "string", "enum": ["c", "f"]}},
        "required": ["city", "units"],
    },
}
CLOCK: dict[str, Any] = {
    "name": "get_time",
    "input_schema": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]},
}
TOOL_USE = {"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"city": "Paris"}}
TOOL_RESULT = {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "sunny"}


def body(**changes: Any) -> dict[str, Any]:
    """A valid Messages request with fields replaced (a value of ... removes the field)."""
    request: dict[str, Any] = {"model": MODEL, "max_tokens": 64, "messages": [copy.deepcopy(USER)]}
    for key, value in changes.items():
        if value is ...:
            request.pop(key, None)
        else:
            request[key] = value
    return request


def image(source: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": [{"type": "image", "source": source}, {"type": "text", "text": "what?"}]}
    ]


@pytest.fixture
def api_key(auth: dict[str, str]) -> str:
    """The key the fake requires (the shared `auth` fixture holds it as a Bearer header)."""
    return auth["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def headers(api_key: str) -> dict[str, str]:
    """What Anthropic's API needs on every request: the key and a version."""
    return {"x-api-key": api_key, "anthropic-version": "2023-06-01"}


@pytest.fixture
async def sdk(
    http: httpx.AsyncClient, fake_server: RunningFakeProvider, api_key: str
) -> AsyncIterator[anthropic.AsyncAnthropic]:
    """Anthropic's official SDK (it authenticates with a Bearer key) on the freshly reset fake."""
    client = anthropic.AsyncAnthropic(base_url=fake_server.url, api_key=api_key, max_retries=0, timeout=5.0)
    yield client
    await client.close()


async def set_knobs(http: httpx.AsyncClient, **knobs: Any) -> None:
    (await http.put("/_fake/knobs", json=knobs)).raise_for_status()


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The error inside Anthropic's envelope, after checking the envelope's exact shape."""
    payload = response.json()
    assert set(payload) == {"type", "error", "request_id"} and payload["type"] == "error"
    assert (
        payload["request_id"].startswith("req_") and response.headers["request-id"] == payload["request_id"]
    )
    error: dict[str, Any] = payload["error"]
    assert set(error) == {"type", "message"}
    return error


# --- headers and authentication ---------------------------------------------------------


KEY = "<the key>"  # replaced by the fake's key in the test


@pytest.mark.parametrize(
    ("sent", "status", "error_type", "message"),
    [
        ({"anthropic-version": "2023-06-01"}, 401, "authentication_error", "x-api-key header is required"),
        ({"x-api-key": "sk-ant-wrong", "anthropic-version": "2023-06-01"}, 401, "authentication_error",
         "invalid x-api-key"),
        ({"authorization": "Bearer sk-ant-wrong", "anthropic-version": "2023-06-01"}, 401, "authentication_error",
         "invalid x-api-key"),
        ({"x-api-key": KEY}, 400, "invalid_request_error", "anthropic-version: header is required"),
        ({"x-api-key": KEY, "anthropic-version": "2024-01-01"}, 400, "invalid_request_error",
         "anthropic-version: '2024-01-01' is not a valid version"),
    ],
    ids=["no-key", "wrong-key", "wrong-bearer", "no-version", "unknown-version"],
)  # fmt: skip
async def test_headers_are_checked_like_anthropic(
    http: httpx.AsyncClient, api_key: str, sent: dict[str, str], status: int, error_type: str, message: str
) -> None:
    headers = {name: api_key if value == KEY else value for name, value in sent.items()}

    response = await http.post("/v1/messages", headers=headers, json=body())

    assert response.status_code == status
    assert error_of(response) == {"type": error_type, "message": message}
    assert response.headers["x-should-retry"] == "false"


async def test_a_bearer_key_is_accepted_like_an_x_api_key(http: httpx.AsyncClient, api_key: str) -> None:
    bearer = {"authorization": f"Bearer {api_key}", "anthropic-version": "2026-10-21"}

    response = await http.post("/v1/messages", headers=bearer, json=body())

    assert response.status_code == 200 and response.json()["type"] == "message"


# --- request bodies ------------------------------------------------------------------------

REJECTED: list[tuple[str, Any, str]] = [
    # (id, request, Anthropic's message)
    ("array-body", [1], "Input should be a valid dictionary"),
    ("missing-model", body(model=...), "model: Field required"),
    ("missing-messages", body(messages=...), "messages: Field required"),
    ("missing-max-tokens", body(max_tokens=...), "max_tokens: Field required"),
    ("openai-field", body(frequency_penalty=0.5), "frequency_penalty: Extra inputs are not permitted"),
    ("openai-stop", body(stop=["x"]), "stop: Extra inputs are not permitted"),
    ("temperature-above-1", body(temperature=1.5), "temperature: Input should be less than or equal to 1"),
    ("no-messages", body(messages=[]), "messages: at least one message is required"),
    (
        "system-role",
        body(messages=[{"role": "system", "content": "be terse"}, USER]),
        'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, '
        'not "system" as an input message role.',
    ),
    ("tool-role", body(messages=[{"role": "tool", "content": "x"}]), "messages.0.role: Input should be 'user' or 'assistant'"),
    (
        "empty-content",
        body(messages=[{"role": "user", "content": ""}]),
        "messages.0: all messages must have non-empty content except for the optional final assistant message",
    ),
    ("empty-text", body(messages=[{"role": "user", "content": [{"type": "text", "text": ""}]}]),
     "messages: text content blocks must be non-empty"),
    ("blank-text", body(messages=[{"role": "user", "content": [{"type": "text", "text": " \n"}]}]),
     "messages: text content blocks must contain non-whitespace text"),
    ("openai-image-part", body(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]),
     "messages.0.content.0: Input tag 'image_url' found using 'type' does not match any of the expected tags"),
    ("tool-use-from-user", body(messages=[{"role": "user", "content": [TOOL_USE]}]),
     "messages.0.content.0: `tool_use` blocks are not allowed in `user` messages"),
    ("image-svg", body(messages=image({"type": "base64", "media_type": "image/svg+xml", "data": PNG})),
     "messages.0.content.0.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"),
    ("image-bad-base64", body(messages=image({"type": "base64", "media_type": "image/png", "data": "@@"})),
     "messages.0.content.0.source.data: The data is not valid base64."),
    ("image-url-detail", body(messages=image({"type": "url", "url": "https://x.test/a.png", "detail": "low"})),
     "messages.0.content.0.source.detail: Extra inputs are not permitted"),
    (
        "tool-result-without-tool-use",
        body(messages=[USER, {"role": "user", "content": [TOOL_RESULT]}], tools=[WEATHER]),
        "messages.0.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_01A. Each "
        "`tool_result` block must have a corresponding `tool_use` block in the previous message.",
    ),
    (
        "tool-use-unanswered",
        body(messages=[USER, {"role": "assistant", "content": [TOOL_USE]}, USER]),
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_01A. "
        "Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
    ),
    (
        "tool-result-not-first",
        body(messages=[USER, {"role": "assistant", "content": [TOOL_USE]},
                       {"role": "user", "content": [{"type": "text", "text": "here"}, TOOL_RESULT]}]),
        "messages.2: Did not find 1 `tool_result` block(s) at the beginning of this message. Messages "
        "following `tool_use` blocks must begin with a matching number of `tool_result` blocks.",
    ),
    ("prefill-trailing-space", body(messages=[USER, {"role": "assistant", "content": "Sure, "}]),
     "messages: final assistant content cannot end with trailing whitespace"),
    ("tool-bad-name", body(tools=[{**WEATHER, "name": "get weather"}]),
     "tools.0.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'"),
    ("tool-without-schema", body(tools=[{"name": "f"}]), "tools.0.input_schema: Field required"),
    ("openai-tool", body(tools=[{"type": "function", "name": "f", "function": {}}]),
     "tools.0.type: Input tag 'function' found using 'type' does not match any of the expected tags"),
    ("forced-unknown-tool", body(tools=[WEATHER], tool_choice={"type": "tool", "name": "nope"}),
     "tool_choice.name: Tool 'nope' not found in the provided tools."),
    ("any-without-tools", body(tool_choice={"type": "any"}), "tool_choice: tool_choice.type 'any' requires tools"),
    ("json-object-format", body(output_config={"format": {"type": "json_object"}}),
     "output_config.format.type: Input should be 'json_schema'"),
    ("metadata-extra", body(metadata={"user": "u"}), "metadata.user: Extra inputs are not permitted"),
]  # fmt: skip


@pytest.mark.parametrize(("request_body", "message"), [r[1:] for r in REJECTED], ids=[r[0] for r in REJECTED])
async def test_an_invalid_request_is_a_400_in_anthropics_shape(
    http: httpx.AsyncClient, headers: dict[str, str], request_body: Any, message: str
) -> None:
    response = await http.post("/v1/messages", headers=headers, json=request_body)

    assert response.status_code == 400
    error = error_of(response)
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith(message)


async def test_a_body_that_is_not_json_is_a_400(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await http.post("/v1/messages", headers=headers, content=b"{nope")

    assert response.status_code == 400
    assert error_of(response)["message"] == "There was an error parsing the body of your request as JSON."


async def test_sampling_fields_exist_only_before_version_2026_10_21(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for name, value in (("temperature", 1.0), ("top_p", 0.9), ("top_k", 5)):
        old = await http.post("/v1/messages", headers=headers, json=body(**{name: value}))
        new = await http.post(
            "/v1/messages", headers={**headers, "anthropic-version": "2026-10-21"}, json=body(**{name: value})
        )

        assert old.status_code == 200
        assert new.status_code == 400
        assert error_of(new)["message"] == f"{name}: Extra inputs are not permitted"


async def test_a_wrong_method_answers_in_anthropics_shape(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for path in ("/v1/messages", "/v1/messages/count_tokens"):
        response = await http.get(path, headers=headers)

        assert response.status_code == 405 and error_of(response)["type"] == "invalid_request_error"


async def test_count_tokens_refuses_generation_fields(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await http.post("/v1/messages/count_tokens", headers=headers, json=body())

    assert response.status_code == 400
    assert error_of(response)["message"] == "max_tokens: Extra inputs are not permitted"


# --- answers, through the official SDK -----------------------------------------------------


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


# --- faults --------------------------------------------------------------------------------


async def test_fault_429_is_a_rate_limit_error_with_retry_after(
    http: httpx.AsyncClient, headers: dict[str, str], sdk: anthropic.AsyncAnthropic
) -> None:
    await set_knobs(http, fault="429", retry_after=7)

    raw = await http.post("/v1/messages", headers=headers, json=body())
    with pytest.raises(anthropic.RateLimitError) as raised:
        await sdk.messages.create(**body())

    assert raw.status_code == 429 and raw.headers["retry-after"] == "7"
    assert raw.headers["x-should-retry"] == "true"
    assert error_of(raw)["type"] == "rate_limit_error"
    assert raised.value.response.headers["retry-after"] == "7"


@pytest.mark.parametrize(
    ("fault", "status", "error_type", "error_class"),
    [
        ("503", 529, "overloaded_error", anthropic.OverloadedError),
        ("500", 500, "api_error", anthropic.InternalServerError),
    ],
)
async def test_server_faults_use_anthropics_statuses(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    sdk: anthropic.AsyncAnthropic,
    fault: str,
    status: int,
    error_type: str,
    error_class: type[Exception],
) -> None:
    await set_knobs(http, fault=fault)

    raw = await http.post("/v1/messages", headers=headers, json=body(stream=True))
    with pytest.raises(error_class):
        await sdk.messages.create(**body())

    assert raw.status_code == status and raw.headers["content-type"] == "application/json"
    assert error_of(raw)["type"] == error_type


async def test_drop_cuts_a_stream_before_message_stop(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await set_knobs(http, fault="drop", drop_after_chunks=3)
    frames: list[str] = []

    with pytest.raises(httpx.RemoteProtocolError):
        async with http.stream("POST", "/v1/messages", headers=headers, json=body(stream=True)) as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    frames.append(line.removeprefix("event: "))

    assert frames == ["message_start", "content_block_start", "ping"]


async def test_hang_never_answers_until_the_client_gives_up(
    http: httpx.AsyncClient, sdk: anthropic.AsyncAnthropic
) -> None:
    await set_knobs(http, fault="hang")
    started = time.perf_counter()

    with pytest.raises(anthropic.APITimeoutError):
        await sdk.messages.create(**body(), timeout=0.3)

    assert time.perf_counter() - started >= 0.3


async def test_faults_apply_per_model(http: httpx.AsyncClient, sdk: anthropic.AsyncAnthropic) -> None:
    await set_knobs(http, model="claude-faulty", fault="503")

    with pytest.raises(anthropic.OverloadedError):
        await sdk.messages.create(**body(model="claude-faulty"))
    healthy = await sdk.messages.create(**body())

    assert healthy.stop_reason == "end_turn"


async def test_latency_ttft_and_token_pace_shape_anthropic_answers(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await set_knobs(http, latency_ms=150, ttft_ms=150, tokens_per_s=20)

    started = time.perf_counter()
    await http.post("/v1/messages", headers=headers, json=body())
    latency = time.perf_counter() - started
    arrivals: list[float] = []
    started = time.perf_counter()
    async with http.stream("POST", "/v1/messages", headers=headers, json=body(stream=True)) as response:
        async for line in response.aiter_lines():
            if line == "event: content_block_delta":
                arrivals.append(time.perf_counter() - started)

    assert latency >= 0.15
    assert len(arrivals) == 2 and arrivals[0] >= 0.15
    assert arrivals[1] - arrivals[0] >= 0.04  # one token every 50 ms, with slack for timer jitter


async def test_fault_rate_fails_a_deterministic_share_of_requests(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await set_knobs(http, fault="503", fault_rate=0.5)

    statuses = [(await http.post("/v1/messages", headers=headers, json=body())).status_code for _ in range(4)]

    assert statuses == [200, 529, 200, 529]
