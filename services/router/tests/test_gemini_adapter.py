"""The Gemini adapter (AI Studio): OpenAI chat in, GenerateContentRequest out, and Gemini's answers back."""

from __future__ import annotations

import base64
import os
import struct
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from aigw_router.adapters import (
    ADAPTER_TYPES,
    AdapterServices,
    ChatCall,
    EmbeddingsCall,
    ParamPolicy,
    UpstreamAnswer,
)
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.base import TokenUsage
from aigw_router.adapters.gemini import GeminiAdapter
from aigw_router.adapters.gemini_messages import SKIP_SIGNATURE
from aigw_runtime.config import ConfigError, ImageFetchConfig, ProviderConfig
from aigw_runtime.errors import GatewayError

FIXTURES = Path(__file__).parent / "fixtures"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
PNG_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "units": {"type": ["string", "null"], "enum": ["C", "F"]},
            },
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
TIME = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
}


class FixedClock:
    def now(self) -> float:
        return 1_700_000_000.0

    def monotonic(self) -> float:
        return 100.0


def _images_served(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/cat.png":
        return httpx.Response(200, content=PNG, headers={"content-type": "image/png"})
    return httpx.Response(404)


def _adapter(base_url: str | None = None, image_fetch: ImageFetchConfig | None = None) -> GeminiAdapter:
    os.environ["AIGW_TEST_GEMINI_KEY"] = "AIzaSyTestKey0123456789abcdefghij"
    provider = ProviderConfig(
        name="gemini-main",
        type="gemini",
        base_url=base_url,
        api_key="env:AIGW_TEST_GEMINI_KEY",
        image_fetch=image_fetch or ImageFetchConfig(),
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(_images_served))
    return GeminiAdapter(
        provider, AdapterServices(http=client, images=ImageFetcher(client)), clock=FixedClock()
    )


def _chat(messages: list[dict[str, Any]] | None = None, **fields: Any) -> bytes:
    return orjson.dumps(
        {"model": "public", "messages": messages or [{"role": "user", "content": "hi"}], **fields}
    )


async def _sent(
    body: bytes,
    *,
    stream: bool = False,
    policy: ParamPolicy = ParamPolicy.REJECT,
    adapter: GeminiAdapter | None = None,
) -> dict[str, Any]:
    request = await (adapter or _adapter()).build_chat(
        ChatCall(body=body, upstream_model="gemini-2.0-flash", stream=stream, policy=policy)
    )
    sent: dict[str, Any] = orjson.loads(request.content)
    return sent


async def _refusal(body: bytes, adapter: GeminiAdapter | None = None) -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        await _sent(body, adapter=adapter)
    return caught.value


# --- where requests go ----------------------------------------------------------------------------


def test_the_type_is_registered() -> None:
    assert ADAPTER_TYPES["gemini"] is GeminiAdapter


async def test_a_chat_goes_to_generate_content_with_the_key_in_x_goog_api_key() -> None:
    request = await _adapter().build_chat(
        ChatCall(body=_chat(), upstream_model="gemini-2.0-flash", stream=False)
    )

    assert (
        request.url
        == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent"
    )
    assert request.headers["x-goog-api-key"] == "AIzaSyTestKey0123456789abcdefghij"
    assert "authorization" not in request.headers
    assert orjson.loads(request.content) == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


async def test_a_stream_goes_to_stream_generate_content_as_sse_under_the_configured_base_url() -> None:
    adapter = _adapter(base_url="http://gemini.internal:8080/")
    request = await adapter.build_chat(
        ChatCall(body=_chat(stream=True), upstream_model="models/gemini-2.5-pro", stream=True)
    )

    assert (
        request.url
        == "http://gemini.internal:8080/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    )
    assert request.headers["accept"] == "text/event-stream"
    assert "stream" not in orjson.loads(request.content)


def test_a_gemini_provider_without_a_key_stops_the_router_at_start() -> None:
    client = httpx.AsyncClient()
    provider = ProviderConfig(name="g", type="gemini")
    with pytest.raises(ConfigError, match="needs api_key"):
        GeminiAdapter(provider, AdapterServices(http=client, images=ImageFetcher(client)))


# --- messages ---------------------------------------------------------------------------------------


async def test_system_and_developer_text_become_the_system_instruction_and_roles_alternate() -> None:
    sent = await _sent(
        _chat(
            [
                {"role": "system", "content": "You are terse."},
                {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
                {"role": "user", "content": "Hello"},
                {"role": "user", "content": "Are you there?"},
                {"role": "assistant", "content": "Oui."},
                {"role": "user", "content": "Good."},
            ]
        )
    )

    assert sent["systemInstruction"] == {"parts": [{"text": "You are terse."}, {"text": "Answer in French."}]}
    assert sent["contents"] == [
        {"role": "user", "parts": [{"text": "Hello"}, {"text": "Are you there?"}]},
        {"role": "model", "parts": [{"text": "Oui."}]},
        {"role": "user", "parts": [{"text": "Good."}]},
    ]


async def test_an_image_data_url_goes_as_inline_data() -> None:
    content = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": PNG_URL}},
    ]

    sent = await _sent(_chat([{"role": "user", "content": content}]))

    image = sent["contents"][0]["parts"][1]["inlineData"]
    assert image["mimeType"] == "image/png" and base64.b64decode(image["data"]) == PNG


async def test_an_image_url_is_fetched_under_the_providers_policy() -> None:
    content = [{"type": "image_url", "image_url": {"url": "http://127.0.0.1/cat.png", "detail": "low"}}]
    allowing = _adapter(image_fetch=ImageFetchConfig(allow_http=True, allow_private_addresses=True))

    sent = await _sent(_chat([{"role": "user", "content": content}]), adapter=allowing)
    refused = await _refusal(_chat([{"role": "user", "content": content}]))

    assert base64.b64decode(sent["contents"][0]["parts"][0]["inlineData"]["data"]) == PNG
    assert refused.status == 400 and refused.param == "messages[0].content[0].image_url.url"


async def test_tool_calls_and_their_results_become_function_call_and_response_turns_in_call_order() -> None:
    calls = [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        },
        {"id": "call_b", "type": "function", "function": {"name": "get_time", "arguments": ""}},
    ]
    sent = await _sent(
        _chat(
            [
                {"role": "user", "content": "Weather and time in Paris?"},
                {"role": "assistant", "content": None, "tool_calls": calls},
                {"role": "tool", "tool_call_id": "call_b", "content": "14:05"},
                {"role": "tool", "tool_call_id": "call_a", "content": '{"temperature": 21}'},
                {"role": "user", "content": "Thanks"},
            ],
            tools=[WEATHER, TIME],
        )
    )

    assert sent["contents"][1] == {
        "role": "model",
        "parts": [
            {
                "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                "thoughtSignature": SKIP_SIGNATURE,
            },
            {"functionCall": {"name": "get_time", "args": {}}},
        ],
    }
    assert sent["contents"][2] == {
        "role": "user",
        "parts": [
            {"functionResponse": {"name": "get_weather", "response": {"temperature": 21}}},
            {"functionResponse": {"name": "get_time", "response": {"output": "14:05"}}},
            {"text": "Thanks"},
        ],
    }


async def test_a_tool_result_for_an_unknown_call_is_a_400() -> None:
    error = await _refusal(
        _chat([{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "call_x", "content": "1"}])
    )
    assert error.status == 400 and error.param == "messages[1].tool_call_id"


async def test_tool_call_arguments_that_are_not_an_object_are_a_400() -> None:
    call = {"id": "c", "type": "function", "function": {"name": "get_weather", "arguments": "[1]"}}
    error = await _refusal(
        _chat([{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": [call]}])
    )
    assert error.status == 400 and error.param == "messages[1].tool_calls[0]"


# --- tools --------------------------------------------------------------------------------------------


async def test_tools_become_function_declarations_in_geminis_schema() -> None:
    sent = await _sent(_chat(tools=[WEATHER, TIME]))

    assert sent["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "Weather in a city",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {
                            "city": {"type": "STRING"},
                            "units": {"type": "STRING", "enum": ["C", "F"], "nullable": True},
                        },
                        "required": ["city"],
                    },
                },
                {"name": "get_time"},
            ]
        }
    ]
    assert sent["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        (
            {"type": "function", "function": {"name": "get_time"}},
            {"mode": "ANY", "allowedFunctionNames": ["get_time"]},
        ),
    ],
)
async def test_tool_choice_becomes_a_function_calling_mode(choice: Any, expected: dict[str, Any]) -> None:
    sent = await _sent(_chat(tools=[WEATHER, TIME], tool_choice=choice))
    assert sent["toolConfig"] == {"functionCallingConfig": expected}


async def test_allowed_tools_declare_only_the_allowed_functions() -> None:
    choice = {
        "type": "allowed_tools",
        "allowed_tools": {
            "mode": "required",
            "tools": [{"type": "function", "function": {"name": "get_time"}}],
        },
    }
    sent = await _sent(_chat(tools=[WEATHER, TIME], tool_choice=choice))

    assert [d["name"] for d in sent["tools"][0]["functionDeclarations"]] == ["get_time"]
    assert sent["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}


async def test_allowed_tools_entries_that_name_no_function_are_skipped_not_a_crash() -> None:
    choice = {
        "type": "allowed_tools",
        "allowed_tools": {"mode": "auto", "tools": [{"function": 3}, "get_time", {"type": "function"}]},
    }

    error = await _refusal(_chat(tools=[WEATHER, TIME], tool_choice=choice))

    assert error.status == 400 and error.param == "tool_choice"


async def test_a_custom_tool_is_a_400() -> None:
    error = await _refusal(_chat(tools=[{"type": "custom", "custom": {"name": "grammar"}}]))
    assert error.status == 400 and error.param == "tools[0]"


async def test_schemas_are_inlined_and_trimmed_to_what_gemini_takes() -> None:
    parameters = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "Place": {"type": "object", "properties": {"name": {"type": "string", "format": "hostname"}}}
        },
        "properties": {
            "place": {"$ref": "#/$defs/Place", "description": "Where"},
            "when": {"type": "string", "format": "date-time", "default": "now"},
            "count": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            "mode": {"const": "fast"},
        },
    }
    tool = {"type": "function", "function": {"name": "plan", "parameters": parameters}}

    sent = await _sent(_chat(tools=[tool]))

    assert sent["tools"][0]["functionDeclarations"][0]["parameters"] == {
        "type": "OBJECT",
        "properties": {
            "place": {"type": "OBJECT", "properties": {"name": {"type": "STRING"}}, "description": "Where"},
            "when": {"type": "STRING", "format": "date-time"},
            "count": {"type": "INTEGER", "minimum": 1, "nullable": True},
            "tags": {"type": "ARRAY", "maxItems": 3, "items": {"type": "STRING"}},
            "mode": {"type": "STRING", "enum": ["fast"]},
        },
    }


@pytest.mark.parametrize(
    "parameters",
    [
        {
            "type": "object",
            "properties": {"meta": {"type": "object", "additionalProperties": {"type": "string"}}},
        },
        {"type": "object", "properties": {"level": {"type": "integer", "enum": [1, 2, 3]}}},
        {
            "$defs": {"N": {"type": "object", "properties": {"next": {"$ref": "#/$defs/N"}}}},
            "$ref": "#/$defs/N",
        },
    ],
    ids=["free-form map", "integer enum", "recursion"],
)
async def test_a_schema_the_openapi_subset_cannot_hold_goes_as_parameters_json_schema(
    parameters: Any,
) -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": parameters}}

    declaration = (await _sent(_chat(tools=[tool])))["tools"][0]["functionDeclarations"][0]

    assert "parameters" not in declaration
    schema = declaration["parametersJsonSchema"]
    assert "$schema" not in schema and schema == {k: v for k, v in parameters.items() if k != "$schema"}


# --- output controls -----------------------------------------------------------------------------------


async def test_output_controls_become_the_generation_config() -> None:
    sent = await _sent(
        _chat(
            max_completion_tokens=256,
            temperature=1.5,
            top_p=0.9,
            top_k=40,
            stop="END",
            seed=7,
            n=2,
            presence_penalty=0.5,
            frequency_penalty=-0.5,
            response_format={"type": "json_object"},
        )
    )

    assert sent["generationConfig"] == {
        "maxOutputTokens": 256,
        "temperature": 1.5,
        "topP": 0.9,
        "topK": 40,
        "seed": 7,
        "stopSequences": ["END"],
        "candidateCount": 2,
        "presencePenalty": 0.5,
        "frequencyPenalty": -0.5,
        "responseMimeType": "application/json",
    }


async def test_a_json_schema_response_format_goes_as_response_json_schema() -> None:
    schema = {
        "type": "object",
        "definitions": {"City": {"type": "string", "minLength": 1}},
        "properties": {"city": {"$ref": "#/definitions/City"}, "n": {"type": "integer", "multipleOf": 2}},
        "required": ["city"],
        "additionalProperties": False,
    }
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": schema, "strict": True},
    }

    config = (await _sent(_chat(response_format=response_format)))["generationConfig"]

    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == {
        "type": "object",
        "properties": {"city": {"$ref": "#/$defs/City"}, "n": {"type": "integer"}},
        "required": ["city"],
        "additionalProperties": False,
        "$defs": {"City": {"type": "string"}},
    }


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"logprobs": True}, "logprobs"),
        ({"logit_bias": {"1": 2}}, "logit_bias"),
        ({"parallel_tool_calls": False, "tools": [WEATHER]}, "parallel_tool_calls"),
        ({"n": 9}, "n"),
        ({"seed": 2**31}, "seed"),
        ({"top_k": 0}, "top_k"),
        ({"modalities": ["text", "audio"]}, "modalities"),
    ],
)
async def test_what_gemini_cannot_honour_is_a_400_naming_the_parameter(
    fields: dict[str, Any], param: str
) -> None:
    error = await _refusal(_chat(**fields))
    assert error.status == 400 and error.param == param


async def test_unsupported_parameters_are_dropped_when_the_model_says_so() -> None:
    sent = await _sent(_chat(logprobs=True, reasoning_effort="low", temperature=0.3), policy=ParamPolicy.DROP)
    assert sent["generationConfig"] == {"temperature": 0.3}


async def test_values_gemini_honours_anyway_are_left_out_rather_than_refused() -> None:
    sent = await _sent(_chat(logprobs=False, parallel_tool_calls=True, user="u-1", store=False))
    assert set(sent) == {"contents"}


# --- answers -----------------------------------------------------------------------------------------------


def _parse(fixture: str | dict[str, Any]) -> tuple[dict[str, Any], TokenUsage]:
    content = (FIXTURES / fixture).read_bytes() if isinstance(fixture, str) else orjson.dumps(fixture)
    result = _adapter().parse_chat(content, "gemini-2.5-flash")
    body: dict[str, Any] = orjson.loads(result.body)
    return body, result.usage


def test_a_text_answer_becomes_a_chat_completion_with_cached_and_reasoning_tokens() -> None:
    body, usage = _parse("gemini_generate_text.json")

    assert body["id"] == "chatcmpl-Il0taoSYJ5Cez7" and body["object"] == "chat.completion"
    assert body["created"] == 1_700_000_000 and body["model"] == "gemini-2.5-flash"
    assert body["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello! How can I help?", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ]
    assert body["usage"] == {
        "prompt_tokens": 12,
        "completion_tokens": 27,
        "total_tokens": 39,
        "prompt_tokens_details": {"cached_tokens": 8},
        "completion_tokens_details": {"reasoning_tokens": 20},
    }
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens, usage.reasoning_tokens) == (
        12,
        27,
        8,
        20,
    )


def test_parallel_function_calls_become_tool_calls() -> None:
    body, usage = _parse("gemini_generate_function_calls.json")

    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    calls = choice["message"]["tool_calls"]
    assert [(c["type"], c["function"]["name"], orjson.loads(c["function"]["arguments"])) for c in calls] == [
        ("function", "get_weather", {"city": "Paris"}),
        ("function", "get_time", {"zone": "Europe/Paris"}),
    ]
    assert all(c["id"].startswith("call_") for c in calls) and calls[0]["id"] != calls[1]["id"]
    assert usage.total_tokens == 46


@pytest.mark.parametrize(
    ("native", "expected"),
    [("MAX_TOKENS", "length"), ("SAFETY", "content_filter"), ("RECITATION", "content_filter"),
     ("PROHIBITED_CONTENT", "content_filter"), ("SPII", "content_filter"), ("OTHER", "stop")],
)  # fmt: skip
def test_finish_reasons_are_mapped(native: str, expected: str) -> None:
    answer = {
        "candidates": [{"content": {"parts": [{"text": "x"}], "role": "model"}, "finishReason": native}]
    }
    assert _parse(answer)[0]["choices"][0]["finish_reason"] == expected


def test_a_blocked_prompt_is_an_empty_choice_stopped_by_the_content_filter() -> None:
    answer = {
        "promptFeedback": {"blockReason": "SAFETY"},
        "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 5},
    }

    body, usage = _parse(answer)

    assert body["choices"][0]["message"]["content"] is None
    assert body["choices"][0]["finish_reason"] == "content_filter" and usage.prompt_tokens == 5


def test_several_candidates_become_several_choices_and_thoughts_are_left_out() -> None:
    answer = {
        "candidates": [
            {
                "content": {"parts": [{"text": "plan...", "thought": True}, {"text": "A"}]},
                "finishReason": "STOP",
            },
            {"content": {"parts": [{"text": "B"}]}, "finishReason": "STOP", "index": 1},
        ]
    }
    body, _ = _parse(answer)
    assert [(c["index"], c["message"]["content"]) for c in body["choices"]] == [(0, "A"), (1, "B")]


@pytest.mark.parametrize("content", [b"<html>502</html>", b'{"modelVersion": "x"}', b"[1]"])
def test_an_answer_that_is_not_a_generate_content_response_is_a_502(content: bytes) -> None:
    with pytest.raises(GatewayError) as caught:
        _adapter().parse_chat(content, "gemini-2.0-flash")
    assert caught.value.status == 502


# --- streams ----------------------------------------------------------------------------------------------


def _stream(raw: bytes, include_usage: bool, step: int = 9) -> tuple[list[dict[str, Any]], TokenUsage | None]:
    translator = _adapter().chat_stream(include_usage, "gemini-2.0-flash")
    payloads = [p for i in range(0, len(raw), step) for p in translator.feed(raw[i : i + step])]
    payloads += translator.finish()
    return [orjson.loads(p) for p in payloads], translator.usage


def test_a_text_stream_becomes_chunks_as_events_arrive_then_a_usage_chunk() -> None:
    chunks, usage = _stream((FIXTURES / "gemini_stream_text.sse").read_bytes(), include_usage=True)

    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "Hello"}
    assert (
        "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
        == "Hello! How can I help?"
    )
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    assert {c["id"] for c in chunks} == {"chatcmpl-s7r3am"} and chunks[0]["object"] == "chat.completion.chunk"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 15
    assert chunks[-1]["usage"]["prompt_tokens_details"] == {"cached_tokens": 2}
    assert usage is not None and usage.completion_tokens == 7


def test_a_stream_without_include_usage_sends_no_usage_but_still_counts_it() -> None:
    chunks, usage = _stream((FIXTURES / "gemini_stream_text.sse").read_bytes(), include_usage=False)

    assert all("usage" not in c for c in chunks)
    assert usage is not None and usage.total_tokens == 15


def test_function_calls_stream_as_complete_tool_call_deltas() -> None:
    chunks, usage = _stream(
        (FIXTURES / "gemini_stream_function_calls.sse").read_bytes(), include_usage=True, step=5
    )

    deltas = [call for c in chunks if c["choices"] for call in c["choices"][0]["delta"].get("tool_calls", [])]
    assert [d["index"] for d in deltas] == [0, 1]
    assert all(d["id"].startswith("call_") and d["type"] == "function" for d in deltas)
    assert [(d["function"]["name"], orjson.loads(d["function"]["arguments"])) for d in deltas] == [
        ("get_weather", {"city": "Paris", "units": ["C"]}),
        ("get_time", {}),
    ]
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "tool_calls"
    assert usage is not None and (usage.completion_tokens, usage.reasoning_tokens) == (52, 40)


def test_a_stream_that_ends_before_its_finish_reason_is_broken() -> None:
    raw = (FIXTURES / "gemini_stream_text.sse").read_bytes()
    cut = raw[: raw.rindex(b"data:")]
    translator = _adapter().chat_stream(True, "gemini-2.0-flash")
    assert translator.feed(cut)

    with pytest.raises(GatewayError) as caught:
        translator.finish()
    assert caught.value.status == 502 and caught.value.code == "upstream_stream_broken"


def test_an_error_inside_a_stream_raises_with_its_meaning() -> None:
    translator = _adapter().chat_stream(True, "gemini-2.0-flash")
    translator.feed(b'data: {"candidates": [{"content": {"parts": [{"text": "Hi"}]}}]}\r\n\r\n')

    with pytest.raises(GatewayError) as caught:
        translator.feed(
            b'data: {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}\r\n\r\n'
        )
    assert caught.value.status == 503


def test_a_blocked_prompt_streams_as_a_content_filter_finish() -> None:
    raw = b'data: {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": {"promptTokenCount": 3}}\r\n\r\n'
    chunks, _ = _stream(raw, include_usage=False)
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None, "content_filter"]


# --- errors --------------------------------------------------------------------------------------------------

ERRORS = orjson.loads((FIXTURES / "gemini_errors.json").read_bytes())


@pytest.mark.parametrize(
    ("case", "status", "code", "retry_after"),
    [
        ("api_key_invalid", 502, "upstream_auth_failed", None),
        ("unknown_field", 400, "upstream_invalid_request", None),
        ("resource_exhausted", 429, "upstream_rate_limited", 41.0),
        ("unavailable", 503, "upstream_overloaded", None),
        ("internal", 502, "upstream_error", None),
        ("permission_denied", 502, "upstream_auth_failed", None),
        ("not_found", 502, "upstream_not_found", None),
        ("deadline_exceeded", 504, "upstream_timeout", None),
        ("unauthenticated_vertex_list", 502, "upstream_auth_failed", None),
    ],
)
def test_googles_errors_are_mapped(case: str, status: int, code: str, retry_after: float | None) -> None:
    fixture = ERRORS[case]

    error = _adapter().map_error(fixture["status"], {}, orjson.dumps(fixture["body"]))

    assert (error.status, error.code, error.retry_after_s) == (status, code, retry_after)
    assert "AIza" not in error.message


def test_a_client_error_keeps_googles_message() -> None:
    fixture = ERRORS["unknown_field"]
    error = _adapter().map_error(400, {}, orjson.dumps(fixture["body"]))
    assert 'Unknown name "messages"' in error.message


# --- token counting ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "name"),
    [("gemini-2.0-flash", "models/gemini-2.0-flash"), ("tunedModels/mine-1", "tunedModels/mine-1")],
)
async def test_a_count_sends_the_generate_request_of_the_chat_whole_and_named(model: str, name: str) -> None:
    body = _chat(
        [
            {"role": "system", "content": "be brief"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is this"},
                    {"type": "image_url", "image_url": {"url": PNG_URL}},
                ],
            },
        ],
        tools=[WEATHER],
        tool_choice="required",
        response_format={"type": "json_object"},
    )
    adapter = _adapter()
    generate = orjson.loads(
        (await adapter.build_chat(ChatCall(body=body, upstream_model=model, stream=False))).content
    )

    request = await adapter.build_chat_token_count(ChatCall(body=body, upstream_model=model, stream=False))

    assert request.url == f"https://generativelanguage.googleapis.com/v1beta/{name}:countTokens"
    assert request.headers["x-goog-api-key"] == "AIzaSyTestKey0123456789abcdefghij"
    assert orjson.loads(request.content) == {"generateContentRequest": {"model": name, **generate}}
    assert set(generate) == {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig"}


async def test_a_count_is_refused_where_the_chat_would_be() -> None:
    call = ChatCall(body=_chat(logit_bias={"1": 5}), upstream_model="gemini-2.0-flash", stream=False)

    with pytest.raises(GatewayError) as refused:
        await _adapter().build_chat_token_count(call)

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
    assert _adapter().parse_chat_token_count(orjson.dumps(answer)) == count


@pytest.mark.parametrize("content", [b"not json", b"[]", b'{"totalTokens": "93"}', b'{"totalTokens": -1}'])
def test_an_answer_that_is_not_a_count_is_a_502(content: bytes) -> None:
    with pytest.raises(GatewayError) as failed:
        _adapter().parse_chat_token_count(content)

    assert failed.value.status == 502


# --- embeddings ------------------------------------------------------------------------------------------------


async def test_embeddings_go_as_one_batch_in_order_with_the_dimensions() -> None:
    body = orjson.dumps({"model": "embed", "input": ["first", "second"], "dimensions": 8, "user": "u"})

    request = await _adapter().build_embeddings(
        EmbeddingsCall(body=body, upstream_model="gemini-embedding-001")
    )

    assert request.url.endswith("/v1beta/models/gemini-embedding-001:batchEmbedContents")
    assert orjson.loads(request.content) == {
        "requests": [
            {
                "model": "models/gemini-embedding-001",
                "content": {"parts": [{"text": "first"}]},
                "outputDimensionality": 8,
            },
            {
                "model": "models/gemini-embedding-001",
                "content": {"parts": [{"text": "second"}]},
                "outputDimensionality": 8,
            },
        ]
    }


@pytest.mark.parametrize(
    "inputs", [[[1, 2, 3]], [""], ["text"] * 2049], ids=["token ids", "empty text", "more than 2048"]
)
async def test_embeddings_gemini_cannot_take_are_a_400(inputs: list[Any]) -> None:
    call = EmbeddingsCall(
        body=orjson.dumps({"model": "e", "input": inputs}), upstream_model="gemini-embedding-001"
    )
    adapter = _adapter()
    with pytest.raises(GatewayError) as caught:
        for part in adapter.split_embeddings(call):
            await adapter.build_embeddings(part)
    assert caught.value.status == 400 and caught.value.param == "input"


async def test_a_batch_larger_than_100_is_cut_into_batch_requests_of_100_in_order() -> None:
    texts = [f"text {n}" for n in range(250)]
    call = EmbeddingsCall(
        body=orjson.dumps({"model": "e", "input": texts, "dimensions": 8}),
        upstream_model="gemini-embedding-001",
    )
    adapter = _adapter()

    requests = [await adapter.build_embeddings(part) for part in adapter.split_embeddings(call)]

    sent = [orjson.loads(request.content)["requests"] for request in requests]
    assert [[r["content"]["parts"][0]["text"] for r in batch] for batch in sent] == [
        texts[:100],
        texts[100:200],
        texts[200:],
    ]
    assert all(r["outputDimensionality"] == 8 for batch in sent for r in batch)


def test_the_answers_to_a_cut_batch_become_one_list_in_input_order() -> None:
    call = EmbeddingsCall(
        body=orjson.dumps({"model": "e", "input": [f"t{n}" for n in range(150)]}),
        upstream_model="gemini-embedding-001",
    )
    answers = [
        UpstreamAnswer(orjson.dumps({"embeddings": [{"values": [float(n)]} for n in range(start, end)]}), {})
        for start, end in ((0, 100), (100, 150))
    ]

    result = _adapter().parse_embeddings(answers, call)

    body = orjson.loads(result.body)
    assert [item["index"] for item in body["data"]] == list(range(150))
    assert [item["embedding"] for item in body["data"]] == [[float(n)] for n in range(150)]
    # Gemini's embeddings answers carry no token counts.
    assert body["usage"] == {"prompt_tokens": 0, "total_tokens": 0} and result.usage.total_tokens == 0


@pytest.mark.parametrize("encoding", ["float", "base64"])
def test_embeddings_come_back_in_order_as_floats_or_base64(encoding: str) -> None:
    call = EmbeddingsCall(
        body=orjson.dumps({"model": "e", "input": ["a", "b"], "encoding_format": encoding}),
        upstream_model="gemini-embedding-001",
    )
    answer = {"embeddings": [{"values": [0.5, -0.25]}, {"values": [1.0, 0.0]}]}

    body = orjson.loads(_adapter().parse_embeddings([UpstreamAnswer(orjson.dumps(answer), {})], call).body)

    vectors = [
        item["embedding"]
        if encoding == "float"
        else list(struct.unpack("<2f", base64.b64decode(item["embedding"])))
        for item in body["data"]
    ]
    assert vectors == [[0.5, -0.25], [1.0, 0.0]] and [item["index"] for item in body["data"]] == [0, 1]
    assert body["object"] == "list" and body["model"] == "gemini-embedding-001"


def test_fewer_embeddings_than_inputs_is_a_502() -> None:
    call = EmbeddingsCall(body=orjson.dumps({"model": "e", "input": ["a", "b"]}), upstream_model="m")
    with pytest.raises(GatewayError) as caught:
        _adapter().parse_embeddings([UpstreamAnswer(b'{"embeddings": [{"values": [1.0]}]}', {})], call)
    assert caught.value.status == 502
