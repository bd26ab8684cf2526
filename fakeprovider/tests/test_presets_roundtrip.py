"""Every openai-compatible preset, end to end against the fake's OpenAI protocol, in process.

The fake is mounted under each preset's default base path (Groq's `/openai/v1`,
Fireworks' `/inference/v1`, DeepSeek's bare host, ...), so the URL the adapter
builds, its key, and the body after the preset's rewrites all meet the fake's
strict checks. Mistral's renamed fields (`random_seed`) are not OpenAI's, so
the fake would refuse them: they are checked on the body, in the router's tests.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import openai
import orjson
import pytest

from aigw_fakeprovider import ServerSettings, build_app
from aigw_router.adapters import AdapterServices, ChatCall, ParamPolicy
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.presets import PRESETS, ImageInput, PresetAdapter
from aigw_runtime.config import ImageFetchConfig, ProviderConfig

KEY = "sk-fake-preset-0123456789abcdefghijklmnop"
KEY_ENV = "AIGW_TEST_PRESET_ROUNDTRIP_KEY"
MODEL = "fake-gpt-4o"
SELF_HOSTED_URL = "http://inference.internal:8000/v1"
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "parameters": {
                "type": "object",
                "properties": {"zone": {"type": "string"}},
                "required": ["zone"],
            },
        },
    },
]

Scope = MutableMapping[str, Any]
Asgi = Callable[[Scope, Any, Any], Awaitable[None]]


def _mounted(app: Asgi, base_path: str) -> Asgi:
    """The fake's `/v1` API served under `base_path`, as the preset's real host serves it."""

    async def serve(scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(base_path + "/"):
            path = "/v1" + path[len(base_path) :]
            scope = {**scope, "path": path, "raw_path": path.encode()}
        await app(scope, receive, send)

    return serve


def _image_server(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=base64.b64decode(PNG_B64), headers={"content-type": "image/png"})


def _setup(kind: str) -> tuple[PresetAdapter, httpx.AsyncClient]:
    """The preset's adapter, and a client whose every request reaches a fresh fake."""
    os.environ[KEY_ENV] = KEY
    base_url = PRESETS[kind].default_base_url or SELF_HOSTED_URL
    transport = httpx.ASGITransport(
        app=_mounted(build_app(ServerSettings(api_key=KEY)), urlsplit(base_url).path)
    )
    client = httpx.AsyncClient(transport=transport)
    provider = ProviderConfig(
        name=kind,
        type=kind,  # type: ignore[arg-type]
        base_url=None if PRESETS[kind].default_base_url else SELF_HOSTED_URL,
        api_key=f"env:{KEY_ENV}",
        image_fetch=ImageFetchConfig(allow_private_addresses=True, allow_http=True),
    )
    images = ImageFetcher(httpx.AsyncClient(transport=httpx.MockTransport(_image_server)))
    return PresetAdapter(provider, AdapterServices(http=client, images=images)), client


def _user_turn(kind: str) -> dict[str, Any]:
    if PRESETS[kind].images is ImageInput.NONE:
        return {"role": "user", "content": "what is in the picture?"}
    # Ollama gets a web URL, which the adapter must turn into a data URL the fake accepts.
    url = "http://images.test/pixel.png" if kind == "ollama" else f"data:image/png;base64,{PNG_B64}"
    return {
        "role": "user",
        "content": [
            {"type": "text", "text": "what is in the picture?"},
            {"type": "image_url", "image_url": {"url": url}},
        ],
    }


@pytest.mark.parametrize("kind", sorted(PRESETS))
async def test_a_preset_answer_round_trips_through_the_fake(kind: str) -> None:
    adapter, client = _setup(kind)
    body = {
        "model": "public",
        "messages": [{"role": "developer", "content": "Answer briefly."}, _user_turn(kind)],
        "max_completion_tokens": 50,
        "temperature": 0.2,
    }

    request = await adapter.build_chat(ChatCall(body=orjson.dumps(body), upstream_model=MODEL, stream=False))
    response = await client.request(
        request.method, request.url, headers=request.headers, content=request.content
    )

    assert response.status_code == 200, response.text
    result = adapter.parse_chat(response.content, MODEL)
    completion = openai.types.chat.ChatCompletion.model_validate_json(result.body)
    images = "" if PRESETS[kind].images is ImageInput.NONE else " [1 image]"
    assert completion.choices[0].message.content == f"Echo: what is in the picture?{images}"
    assert completion.choices[0].finish_reason == "stop" and completion.id.startswith("chatcmpl-")
    assert completion.usage is not None and result.usage.total_tokens == completion.usage.total_tokens > 0


@pytest.mark.parametrize("kind", sorted(PRESETS))
async def test_a_preset_stream_of_parallel_tool_calls_round_trips_through_the_fake(kind: str) -> None:
    adapter, client = _setup(kind)
    body = {
        "model": "public",
        "messages": [{"role": "user", "content": "weather and time in Paris"}],
        "tools": TOOLS,
        "tool_choice": "auto",
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    request = await adapter.build_chat(ChatCall(body=orjson.dumps(body), upstream_model=MODEL, stream=True))
    translator = adapter.chat_stream(True, MODEL)

    payloads: list[bytes] = []
    async with client.stream(
        request.method, request.url, headers=request.headers, content=request.content
    ) as r:
        assert r.status_code == 200
        async for data in r.aiter_bytes():
            payloads += translator.feed(data)
    payloads += translator.finish()

    chunks = [openai.types.chat.ChatCompletionChunk.model_validate_json(p) for p in payloads]
    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        for choice in chunk.choices:
            for delta in choice.delta.tool_calls or []:
                call = calls.setdefault(delta.index, {"id": delta.id or "", "name": "", "arguments": ""})
                assert call["id"], "the first delta of each call carries its id"
                call["name"] += (delta.function and delta.function.name) or ""
                call["arguments"] += (delta.function and delta.function.arguments) or ""
    assert [calls[i]["name"] for i in sorted(calls)] == ["get_weather", "get_time"]
    assert all(isinstance(json.loads(call["arguments"]), dict) for call in calls.values())
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    if PRESETS[kind].stream_options:
        assert chunks[-1].choices == [] and chunks[-1].usage is not None
        assert translator.usage is not None and translator.usage.total_tokens == chunks[-1].usage.total_tokens
    else:
        # Mistral is never sent stream_options; the real API appends usage to its last chunk on its own.
        assert translator.usage is None


@pytest.mark.parametrize("kind", sorted(PRESETS))
async def test_a_preset_tool_result_history_round_trips_through_the_fake(kind: str) -> None:
    adapter, client = _setup(kind)
    calls = [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
        },
        {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": '{"zone":"CET"}'}},
    ]
    body = {
        "model": "public",
        "messages": [
            {"role": "user", "content": "weather and time in Paris"},
            {"role": "assistant", "content": None, "tool_calls": calls},
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
            {"role": "tool", "tool_call_id": "call_2", "content": "14:05"},
        ],
        "tools": TOOLS,
        "n": 1,
        "logit_bias": {"50256": -100},
    }
    # logit_bias is OpenAI's alone for some presets: under the drop policy it is left out.
    call = ChatCall(body=orjson.dumps(body), upstream_model=MODEL, stream=False, policy=ParamPolicy.DROP)

    request = await adapter.build_chat(call)
    response = await client.request(
        request.method, request.url, headers=request.headers, content=request.content
    )

    assert response.status_code == 200, response.text
    completion = openai.types.chat.ChatCompletion.model_validate_json(
        adapter.parse_chat(response.content, MODEL).body
    )
    assert completion.choices[0].message.content == "Tool results: 18C; 14:05"


async def test_a_wrong_key_is_the_gateways_problem_not_the_clients() -> None:
    adapter, client = _setup("groq")
    request = await adapter.build_chat(
        ChatCall(body=b'{"model":"m","messages":[]}', upstream_model=MODEL, stream=False)
    )
    headers = {**request.headers, "authorization": "Bearer sk-wrong-key-0000000000"}

    response = await client.request(request.method, request.url, headers=headers, content=request.content)
    error = adapter.map_error(response.status_code, dict(response.headers), response.content)

    assert response.status_code == 401
    assert error.status == 502 and error.code == "upstream_auth_failed"
    assert "sk-wrong" not in error.message
