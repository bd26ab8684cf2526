"""The fake rejects what OpenAI rejects, with OpenAI's status, error shape and `param`."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

MODEL = "fake-gpt-4o"
USER = {"role": "user", "content": "hi"}
TOOL = {
    "type": "function",
    "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
}
CALL = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
CALL_2 = {"id": "call_2", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
PNG = "data:image/png;base64,iVBORw0KGgo="


def body(**changes: Any) -> dict[str, Any]:
    """A valid request with fields replaced (a value of ... removes the field)."""
    request: dict[str, Any] = {"model": MODEL, "messages": [copy.deepcopy(USER)]}
    for key, value in changes.items():
        if value is ...:
            request.pop(key, None)
        else:
            request[key] = value
    return request


def user_with(*parts: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "text", "text": "look"}, *parts]}]


async def post_chat(http: httpx.AsyncClient, auth: dict[str, str], payload: Any) -> httpx.Response:
    if isinstance(payload, bytes):
        return await http.post("/v1/chat/completions", headers=auth, content=payload)
    return await http.post("/v1/chat/completions", headers=auth, json=payload)


def error_of(response: httpx.Response) -> dict[str, Any]:
    payload = response.json()
    assert list(payload) == ["error"]
    error: dict[str, Any] = payload["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error


REJECTED = [
    # (id, request, param, code, message fragment)
    ("not-json", b"{nope", None, None, "We could not parse the JSON body of your request."),
    ("array-body", b"[1, 2]", None, "invalid_type", "expected an object, but got an array instead"),
    ("missing-model", body(model=...), "model", "missing_required_parameter", "Missing required parameter: 'model'."),
    ("empty-model", body(model=""), "model", "missing_required_parameter", "'model'"),
    ("model-not-string", body(model=4), "model", "invalid_type", "expected a string, but got an integer"),
    ("empty-messages", body(messages=[]), "messages", "empty_array", "empty array"),
    ("messages-not-array", body(messages="hi"), "messages", "invalid_type", "expected an array"),
    ("unknown-field", body(top_k=3), None, None, "Unrecognized request argument supplied: top_k"),
    ("message-not-object", body(messages=["hi"]), "messages[0]", "invalid_type", "expected an object"),
    ("missing-role", body(messages=[{"content": "hi"}]), "messages[0].role", "missing_required_parameter", ""),
    ("bad-role", body(messages=[{"role": "robot", "content": "x"}]), "messages[0].role", "invalid_value",
     "Invalid value: 'robot'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and"),
    ("user-without-content", body(messages=[{"role": "user"}]), "messages[0].content", "missing_required_parameter",
     ""),
    ("content-number", body(messages=[{"role": "user", "content": 7}]), "messages[0].content", "invalid_type", ""),
    ("content-empty-array", body(messages=[{"role": "user", "content": []}]), "messages[0].content", "empty_array",
     ""),
    ("system-image", body(messages=[{"role": "system", "content": [{"type": "image_url", "image_url": {"url": PNG}}]},
                                    USER]), "messages[0].content[0].type", "invalid_value", "Supported values are: 'text'."),
    ("developer-refusal", body(messages=[{"role": "developer", "content": [{"type": "refusal", "refusal": "no"}]},
                                         USER]), "messages[0].content[0].type", "invalid_value", ""),
    ("user-refusal", body(messages=user_with({"type": "refusal", "refusal": "no"})), "messages[0].content[1].type",
     "invalid_value", "'refusal'"),
    ("text-part-without-text", body(messages=[{"role": "user", "content": [{"type": "text"}]}]),
     "messages[0].content[0].text", "missing_required_parameter", ""),
    ("assistant-image", body(messages=[USER, {"role": "assistant", "content": [{"type": "image_url",
                                                                                 "image_url": {"url": PNG}}]}, USER]),
     "messages[1].content[0].type", "invalid_value", "'text' and 'refusal'"),
    ("assistant-null-content", body(messages=[USER, {"role": "assistant", "content": None}, USER]),
     "messages.[1].content", None, "Invalid value for 'content': expected a string, got null."),
    ("tool-image", body(messages=[USER, {"role": "assistant", "tool_calls": [CALL]},
                                  {"role": "tool", "tool_call_id": "call_1",
                                   "content": [{"type": "image_url", "image_url": {"url": PNG}}]}]),
     "messages[2].content[0].type", "invalid_value", ""),
    ("tool-without-id", body(messages=[USER, {"role": "assistant", "tool_calls": [CALL]},
                                       {"role": "tool", "content": "x"}]),
     "messages[2].tool_call_id", "missing_required_parameter", ""),
    ("function-without-name", body(messages=[USER, {"role": "function", "content": "x"}]), "messages[1].name",
     "missing_required_parameter", ""),
    ("audio-bad-format", body(messages=user_with({"type": "input_audio", "input_audio": {"data": "AA==",
                                                                                         "format": "ogg"}})),
     "messages[0].content[1].input_audio.format", "invalid_value", ""),
    ("image-ftp-url", body(messages=user_with({"type": "image_url", "image_url": {"url": "ftp://x.org/a.png"}})),
     "messages[0].content[1].image_url.url", "invalid_value", "Expected a valid URL"),
    ("image-not-a-url", body(messages=user_with({"type": "image_url", "image_url": {"url": "cat.png"}})),
     "messages[0].content[1].image_url.url", "invalid_value", ""),
    ("image-svg", body(messages=user_with({"type": "image_url",
                                           "image_url": {"url": "data:image/svg+xml;base64,PHN2Zz4="}})),
     "messages[0].content[1].image_url.url", "invalid_value", "unsupported MIME type 'image/svg+xml'"),
    ("image-bad-base64", body(messages=user_with({"type": "image_url",
                                                  "image_url": {"url": "data:image/png;base64,@@not base64@@"}})),
     "messages[0].content[1].image_url.url", "invalid_value", "base64"),
    ("image-not-base64-url", body(messages=user_with({"type": "image_url",
                                                      "image_url": {"url": "data:image/png,rawbytes"}})),
     "messages[0].content[1].image_url.url", "invalid_value", ""),
    ("image-bad-detail", body(messages=user_with({"type": "image_url", "image_url": {"url": PNG, "detail": "max"}})),
     "messages[0].content[1].image_url.detail", "invalid_value", ""),
    ("tool-call-unknown-id", body(messages=[USER, {"role": "assistant", "tool_calls": [CALL]},
                                            {"role": "tool", "tool_call_id": "call_9", "content": "x"}]),
     "messages.[2].tool_call_id", None, "'tool_call_id' of 'call_9' not found in 'tool_calls' of previous message."),
    ("tool-call-unanswered", body(messages=[USER, {"role": "assistant", "tool_calls": [CALL, CALL_2]},
                                            {"role": "tool", "tool_call_id": "call_1", "content": "x"}, USER]),
     "messages.[1].role", None, "The following tool_call_ids did not have response messages: call_2"),
    ("tool-call-unanswered-at-end", body(messages=[USER, {"role": "assistant", "tool_calls": [CALL]}]),
     "messages.[1].role", None, "must be followed by tool messages responding to each 'tool_call_id'"),
    ("tool-after-user", body(messages=[USER, {"role": "assistant", "tool_calls": [CALL]},
                                       {"role": "tool", "tool_call_id": "call_1", "content": "x"}, USER,
                                       {"role": "tool", "tool_call_id": "call_1", "content": "again"}]),
     "messages.[4].role", None, "must be a response to a preceeding message with 'tool_calls'"),
    ("tool-call-without-function", body(messages=[USER, {"role": "assistant", "tool_calls": [{"id": "c",
                                                                                              "type": "function"}]}]),
     "messages[1].tool_calls[0].function", "missing_required_parameter", ""),
    ("temperature-high", body(temperature=2.5), "temperature", "decimal_above_max_value",
     "Expected a value <= 2, but got 2.5 instead."),
    ("temperature-negative", body(temperature=-1), "temperature", "integer_below_min_value", ""),
    ("temperature-string", body(temperature="hot"), "temperature", "invalid_type", "expected a decimal"),
    ("top-p-high", body(top_p=1.5), "top_p", "decimal_above_max_value", ""),
    ("n-zero", body(n=0), "n", "integer_below_min_value", "Expected a value >= 1, but got 0 instead."),
    ("n-too-many", body(n=129), "n", "integer_above_max_value", ""),
    ("n-boolean", body(n=True), "n", "invalid_type", "expected an integer, but got a boolean instead"),
    ("max-tokens-zero", body(max_tokens=0), "max_tokens", "integer_below_min_value", ""),
    ("max-tokens-decimal", body(max_tokens=1.5), "max_tokens", "invalid_type",
     "Invalid type for 'max_tokens': expected an integer, but got a decimal number instead."),
    ("max-completion-tokens-zero", body(max_completion_tokens=0), "max_completion_tokens",
     "integer_below_min_value", ""),
    ("stop-five", body(stop=["a", "b", "c", "d", "e"]), "stop", "array_above_max_length",
     "Expected an array with maximum length 4, but got an array with length 5 instead."),
    ("stop-number", body(stop=3), "stop", "invalid_type", ""),
    ("stop-item-number", body(stop=["a", 3]), "stop[1]", "invalid_type", ""),
    ("tools-empty", body(tools=[]), "tools", "empty_array", ""),
    ("tool-type", body(tools=[{"type": "retrieval"}]), "tools[0].type", "invalid_value", ""),
    ("tool-without-function", body(tools=[{"type": "function"}]), "tools[0].function",
     "missing_required_parameter", ""),
    ("tool-name-space", body(tools=[{"type": "function", "function": {"name": "get weather"}}]),
     "tools[0].function.name", "invalid_value", "string does not match pattern"),
    ("tool-name-long", body(tools=[{"type": "function", "function": {"name": "x" * 65}}]),
     "tools[0].function.name", "string_above_max_length", "maximum length 64"),
    ("tool-parameters-list", body(tools=[{"type": "function", "function": {"name": "f", "parameters": []}}]),
     "tools[0].function.parameters", "invalid_type", ""),
    ("tool-choice-unknown-mode", body(tools=[TOOL], tool_choice="sometimes"), "tool_choice", "invalid_value", ""),
    ("tool-choice-unknown-function", body(tools=[TOOL], tool_choice={"type": "function",
                                                                      "function": {"name": "nope"}}),
     "tool_choice.function.name", "invalid_value", "nope"),
    ("tool-choice-without-tools", body(tool_choice="auto"), "tool_choice", None,
     "'tool_choice' is only allowed when 'tools' are specified."),
    ("parallel-without-tools", body(parallel_tool_calls=True), "parallel_tool_calls", None, ""),
    ("response-format-type", body(response_format={"type": "xml"}), "response_format.type", "invalid_value", ""),
    ("json-schema-without-name", body(response_format={"type": "json_schema", "json_schema": {"schema": {}}}),
     "response_format.json_schema.name", "missing_required_parameter", ""),
    ("json-schema-missing", body(response_format={"type": "json_schema"}), "response_format.json_schema",
     "missing_required_parameter", ""),
    ("json-object-without-json-word", body(response_format={"type": "json_object"}), "messages", None,
     "'messages' must contain the word 'json' in some form"),
    ("stream-options-without-stream", body(stream_options={"include_usage": True}), "stream_options", None,
     "The 'stream_options' parameter is only allowed when 'stream' is enabled."),
    ("stream-options-stream-false", body(stream=False, stream_options={"include_usage": True}), "stream_options",
     None, ""),
    ("stream-not-boolean", body(stream="yes"), "stream", "invalid_type", ""),
    ("service-tier", body(service_tier="gold"), "service_tier", "invalid_value", ""),
    ("metadata-value", body(metadata={"k": 1}), "metadata.k", "invalid_type", ""),
    ("logit-bias-range", body(logit_bias={"50256": 101}), "logit_bias.50256", "integer_above_max_value", ""),
]  # fmt: skip


@pytest.mark.parametrize(("request_body", "param", "code", "fragment"), [case[1:] for case in REJECTED],
                         ids=[case[0] for case in REJECTED])  # fmt: skip
async def test_invalid_chat_request_is_rejected_like_openai(
    http: httpx.AsyncClient,
    auth: dict[str, str],
    request_body: Any,
    param: str | None,
    code: str | None,
    fragment: str,
) -> None:
    response = await post_chat(http, auth, request_body)

    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert error["code"] == code
    assert fragment in error["message"]


async def test_missing_messages_matches_openai_byte_for_byte(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await post_chat(http, auth, {"model": MODEL})

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "message": "Missing required parameter: 'messages'.",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "missing_required_parameter",
        }
    }


async def test_tool_message_without_tool_calls_matches_openai(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await post_chat(
        http, auth, body(messages=[USER, {"role": "tool", "tool_call_id": "call_1", "content": "x"}])
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "message": "Invalid parameter: messages with role 'tool' must be a response to a preceeding message "
            "with 'tool_calls'.",
            "type": "invalid_request_error",
            "param": "messages.[1].role",
            "code": None,
        }
    }


async def test_several_unknown_fields_are_all_named(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await post_chat(http, auth, body(top_k=3, thinking={"type": "enabled"}))

    assert error_of(response)["message"] == "Unrecognized request arguments supplied: top_k, thinking"


async def test_every_documented_field_is_accepted(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    request = {
        "model": MODEL,
        "messages": [
            {"role": "developer", "content": [{"type": "text", "text": "Answer in json."}], "name": "dev"},
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "name": "ann",
                "content": [
                    {"type": "text", "text": "look"},
                    {"type": "image_url", "image_url": {"url": PNG, "detail": "high"}},
                    {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
                    {"type": "file", "file": {"file_id": "file-123"}},
                ],
            },
            {"role": "assistant", "content": [{"type": "refusal", "refusal": "no"}], "tool_calls": [CALL]},
            {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": "ok"}]},
            {"role": "assistant", "content": None, "function_call": {"name": "legacy", "arguments": "{}"}},
            {"role": "function", "name": "legacy", "content": None},
            {"role": "user", "content": "go"},
        ],
        "audio": {"voice": "alloy", "format": "wav"},
        "frequency_penalty": 0.5,
        "function_call": "none",
        "functions": [{"name": "legacy", "parameters": {"type": "object"}}],
        "logit_bias": {"50256": -100},
        "logprobs": True,
        "max_completion_tokens": 50,
        "max_tokens": 50,
        "metadata": {"team": "gateway"},
        "modalities": ["text"],
        "moderation": {"model": "omni-moderation-latest"},
        "n": 1,
        "parallel_tool_calls": True,
        "prediction": {"type": "content", "content": "go"},
        "presence_penalty": -0.5,
        "prompt_cache_key": "key",
        "prompt_cache_options": {"ttl": "30m"},
        "prompt_cache_retention": "24h",
        "reasoning_effort": "low",
        "response_format": {"type": "json_object"},
        "safety_identifier": "user-1",
        "seed": 7,
        "service_tier": "auto",
        "stop": ["\n\n"],
        "store": False,
        "stream": True,
        "stream_options": {"include_usage": True, "include_obfuscation": False},
        "temperature": 0.2,
        "tool_choice": "none",
        "tools": [TOOL],
        "top_logprobs": 2,
        "top_p": 0.9,
        "user": "user-1",
        "verbosity": "low",
        "web_search_options": {"search_context_size": "low"},
    }

    response = await post_chat(http, auth, request)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/event-stream"
    assert response.text.endswith("data: [DONE]\n\n")


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, "You didn't provide an API key."),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "You didn't provide an API key."),
        ({"Authorization": "Bearer"}, "You didn't provide an API key."),
        ({"Authorization": "Bearer sk-VKMIsWRONGKEYWRONGKEYwjh3"}, "Incorrect API key provided: sk-VKMIs*"),
    ],
    ids=["missing", "not-bearer", "empty", "wrong"],
)
async def test_bad_credentials_get_401_invalid_api_key(
    http: httpx.AsyncClient, headers: dict[str, str], fragment: str
) -> None:
    response = await http.post("/v1/chat/completions", headers=headers, json=body())

    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "invalid_api_key"
    assert error["param"] is None
    assert fragment in error["message"]
    assert "WRONGKEYWRONGKEY" not in error["message"]


async def test_wrong_key_is_masked_like_openai(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/models", headers={"Authorization": "Bearer sk-VKMIs1234567890wjh3"})

    assert error_of(response)["message"] == (
        "Incorrect API key provided: sk-VKMIs**********wjh3. "
        "You can find your API key at https://platform.openai.com/account/api-keys."
    )


async def test_unknown_path_is_404_and_wrong_method_is_405(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    missing = await http.post("/v1/completions/legacy", headers=auth, json={})
    wrong_method = await http.get("/v1/chat/completions", headers=auth)

    assert missing.status_code == 404
    assert error_of(missing)["message"] == "Invalid URL (POST /v1/completions/legacy)"
    assert wrong_method.status_code == 405


@pytest.mark.parametrize(
    ("request_body", "param", "fragment"),
    [
        ({"model": "m", "input": ""}, "input", "'$.input' is invalid."),
        ({"model": "m", "input": []}, "input", "empty array"),
        ({"model": "m", "input": [1, "a"]}, "input", "'$.input' is invalid."),
        ({"model": "m"}, "input", "Missing required parameter: 'input'."),
        ({"model": "m", "input": "x", "dimensions": 0}, "dimensions", "Expected a value >= 1"),
        ({"model": "m", "input": "x", "encoding_format": "hex"}, "encoding_format", "'float' and 'base64'"),
        ({"model": "m", "input": "x", "truncate": True}, None, "Unrecognized request argument supplied: truncate"),
        ({"model": "text-embedding-ada-002", "input": "x", "dimensions": 8}, None, "does not support specifying"),
    ],
    ids=["empty-string", "empty-list", "mixed-list", "missing-input", "zero-dimensions", "bad-encoding",
         "unknown-field", "ada-dimensions"],
)  # fmt: skip
async def test_invalid_embedding_request_is_rejected(
    http: httpx.AsyncClient,
    auth: dict[str, str],
    request_body: dict[str, Any],
    param: str | None,
    fragment: str,
) -> None:
    response = await http.post("/v1/embeddings", headers=auth, json=request_body)

    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["param"] == param
    assert fragment in error["message"]


async def test_token_array_inputs_are_embedded(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await http.post(
        "/v1/embeddings", headers=auth, json={"model": "m", "input": [[1, 2, 3], [4]], "dimensions": 4}
    )

    assert response.status_code == 200
    assert [item["index"] for item in response.json()["data"]] == [0, 1]
    assert response.json()["usage"] == {"prompt_tokens": 4, "total_tokens": 4}


async def test_embedding_dimensions_beyond_any_models_size_are_refused(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await http.post(
        "/v1/embeddings",
        headers=auth,
        json={"model": "text-embedding-3-large", "input": "hi", "dimensions": 2**40},
    )

    assert response.status_code == 400 and response.json()["error"]["param"] == "dimensions"
