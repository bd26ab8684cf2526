"""The Vertex adapter's chat requests: Gemini's request at a project's regional endpoint, and token counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from aigw_router.adapters import ADAPTER_TYPES, ChatCall
from aigw_router.adapters.vertex import VertexAdapter
from vertex_samples import TokenEndpoint, vertex_adapter


def test_the_type_is_registered() -> None:
    assert ADAPTER_TYPES["vertex"] is VertexAdapter


@pytest.mark.parametrize(
    ("fields", "model", "stream", "url"),
    [
        ({}, "gemini-2.0-flash", False,
         "https://europe-west4-aiplatform.googleapis.com/v1/projects/aigw-test/locations/europe-west4/"
         "publishers/google/models/gemini-2.0-flash:generateContent"),
        ({"region": "global"}, "gemini-2.5-pro", True,
         "https://aiplatform.googleapis.com/v1/projects/aigw-test/locations/global/publishers/google/models/"
         "gemini-2.5-pro:streamGenerateContent?alt=sse"),
        ({"base_url": "http://127.0.0.1:9/"}, "publishers/meta/models/llama", False,
         "http://127.0.0.1:9/v1/projects/aigw-test/locations/europe-west4/publishers/meta/models/llama:generateContent"),
        ({}, "projects/other/locations/us-east5/endpoints/123", False,
         "https://europe-west4-aiplatform.googleapis.com/v1/projects/other/locations/us-east5/endpoints/123:generateContent"),
    ],
)  # fmt: skip
async def test_requests_go_to_the_projects_regional_endpoint(
    key_file: Path, endpoint: TokenEndpoint, fields: dict[str, Any], model: str, stream: bool, url: str
) -> None:
    adapter = vertex_adapter(key_file, endpoint, **fields)
    body = orjson.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]})

    request = await adapter.build_chat(ChatCall(body=body, upstream_model=model, stream=stream))

    assert request.url == url
    assert orjson.loads(request.content) == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    assert "x-goog-api-key" not in request.headers


async def test_a_count_sends_what_vertex_counts_of_the_chats_generate_request(
    key_file: Path, endpoint: TokenEndpoint
) -> None:
    weather = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    body = orjson.dumps(
        {
            "model": "m",
            "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
            "tools": [weather],
            "tool_choice": "required",
            "response_format": {"type": "json_object"},
        }
    )
    call = ChatCall(body=body, upstream_model="gemini-2.5-flash", stream=False)
    adapter = vertex_adapter(key_file, endpoint)
    generate = orjson.loads((await adapter.build_chat(call)).content)

    request = await adapter.build_chat_token_count(call)

    assert request.url == (
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/aigw-test/locations/europe-west4/"
        "publishers/google/models/gemini-2.5-flash:countTokens"
    )
    assert request.headers["authorization"] == "Bearer ya29.token-1"
    # CountTokensRequest has no toolConfig (nor safety settings, labels, ...).
    assert "toolConfig" in generate
    assert orjson.loads(request.content) == {
        name: generate[name] for name in ("contents", "systemInstruction", "tools", "generationConfig")
    }


def test_the_count_is_total_tokens_beside_the_billable_characters(
    key_file: Path, endpoint: TokenEndpoint
) -> None:
    answer = {"totalTokens": 31, "totalBillableCharacters": 112, "promptTokensDetails": []}

    assert vertex_adapter(key_file, endpoint).parse_chat_token_count(orjson.dumps(answer)) == 31
