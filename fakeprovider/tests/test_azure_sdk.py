"""The official SDK's `AzureOpenAI` client (and OpenAI's own client on `/openai/v1`) against the fake."""

from __future__ import annotations

import base64
import struct
from typing import Any

import httpx
import openai
import orjson
import pytest

from aigw_fakeprovider import RunningFakeProvider
from fake_azure import DEPLOYMENT, GA, PREVIEW, token

WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture
async def azure(http: httpx.AsyncClient, fake_server: RunningFakeProvider, api_key: str) -> Any:
    client = openai.AsyncAzureOpenAI(
        azure_endpoint=fake_server.url, api_key=api_key, api_version=GA, max_retries=0, timeout=5.0
    )
    yield client
    await client.close()


async def test_the_sdk_streams_past_the_prompt_filter_chunk(azure: openai.AsyncAzureOpenAI) -> None:
    stream = await azure.chat.completions.create(
        model=DEPLOYMENT, messages=[{"role": "user", "content": "one two three"}], stream=True
    )
    chunks = [chunk async for chunk in stream]

    assert chunks[0].choices == []
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Echo: one two three"


async def test_the_sdk_calls_tools_and_embeds(azure: openai.AsyncAzureOpenAI) -> None:
    called = await azure.chat.completions.create(
        model=DEPLOYMENT, messages=[{"role": "user", "content": "weather?"}], tools=[WEATHER_TOOL]
    )
    raw = await azure.embeddings.with_raw_response.create(
        model="emb", input=["x", "y"], dimensions=3, encoding_format="base64"
    )
    floats = await azure.embeddings.create(
        model="emb", input=["x", "y"], dimensions=3, encoding_format="float"
    )

    assert called.choices[0].finish_reason == "tool_calls"
    assert called.choices[0].message.tool_calls[0].function.name == "get_weather"  # type: ignore[index, union-attr]
    encoded = orjson.loads(raw.http_response.content)["data"][1]["embedding"]
    assert list(struct.unpack("<3f", base64.b64decode(encoded))) == pytest.approx(floats.data[1].embedding)


async def test_the_sdk_sees_the_content_filter_error(azure: openai.AsyncAzureOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await azure.chat.completions.create(
            model=DEPLOYMENT, messages=[{"role": "user", "content": "filter-prompt:jailbreak"}]
        )

    assert caught.value.code == "content_filter"


async def test_the_sdk_with_an_entra_token_provider(
    http: httpx.AsyncClient, fake_server: RunningFakeProvider, api_key: str
) -> None:
    async def entra_token() -> str:
        answer: str = (await token(http, api_key)).json()["access_token"]
        return answer

    client = openai.AsyncAzureOpenAI(
        azure_endpoint=fake_server.url,
        azure_ad_token_provider=entra_token,
        api_version=PREVIEW,
        max_retries=0,
    )
    completion = await client.chat.completions.create(
        model=DEPLOYMENT,
        messages=[{"role": "developer", "content": "terse"}, {"role": "user", "content": "hi"}],
    )
    await client.close()

    assert completion.choices[0].message.content == "Echo: hi"


async def test_openais_own_client_on_the_v1_api(
    fake_server: RunningFakeProvider, http: httpx.AsyncClient, api_key: str
) -> None:
    client = openai.AsyncOpenAI(base_url=f"{fake_server.url}/openai/v1", api_key=api_key, max_retries=0)
    completion = await client.chat.completions.create(
        model="gpt-4o-v1", messages=[{"role": "user", "content": "hi"}], store=False, verbosity="low"
    )
    await client.close()

    assert completion.model == "gpt-4o-v1" and completion.choices[0].message.content == "Echo: hi"
