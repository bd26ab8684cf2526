"""botocore's own `bedrock-runtime` client against the fake: what it sends is accepted, what it gets it parses."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
import pytest

from aigw_fakeprovider.images import png_for
from fake_bedrock import MODEL, PROFILE_ARN, TOOL, USER


async def test_botocore_converses_with_the_fake(http: httpx.AsyncClient, boto_client: Any) -> None:
    answer = await asyncio.to_thread(
        boto_client.converse,
        modelId=PROFILE_ARN,
        messages=[
            {
                "role": "user",
                "content": [
                    {"text": "hello there"},
                    {"image": {"format": "png", "source": {"bytes": png_for("x")}}},
                ],
            }
        ],
        toolConfig={"tools": [TOOL], "toolChoice": {"auto": {}}},
    )

    assert answer["stopReason"] == "tool_use"
    assert answer["output"]["message"]["content"][0]["toolUse"]["name"] == "get_weather"


async def test_botocore_reads_the_fakes_event_stream(http: httpx.AsyncClient, boto_client: Any) -> None:
    def stream() -> list[dict[str, Any]]:
        response = boto_client.converse_stream(modelId=MODEL, messages=[USER])
        return list(response["stream"])

    events = await asyncio.to_thread(stream)

    assert list(events[0]) == ["messageStart"] and list(events[-1]) == ["metadata"]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text == "Echo: what is the weather"


async def test_botocore_sees_the_fakes_errors_as_bedrocks(http: httpx.AsyncClient, boto_client: Any) -> None:
    with pytest.raises(boto_client.exceptions.ValidationException, match="must alternate"):
        await asyncio.to_thread(boto_client.converse, modelId=MODEL, messages=[USER, USER])


async def test_botocore_invokes_an_embedding_model(http: httpx.AsyncClient, boto_client: Any) -> None:
    def invoke() -> dict[str, Any]:
        response = boto_client.invoke_model(modelId="amazon.titan-embed-text-v1", body=b'{"inputText": "hi"}')
        answer: dict[str, Any] = orjson.loads(response["body"].read())
        return answer

    answer = await asyncio.to_thread(invoke)

    assert len(answer["embedding"]) == 1536
