"""The fake checks Anthropic's headers and request bodies as strictly as Anthropic does, in its error shape."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from chat_samples import PNG_BASE64 as PNG
from fake_anthropic import USER, WEATHER, body, error_of

TOOL_USE = {"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"city": "Paris"}}
TOOL_RESULT = {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "sunny"}


def image(source: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": [{"type": "image", "source": source}, {"type": "text", "text": "what?"}]}
    ]


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
