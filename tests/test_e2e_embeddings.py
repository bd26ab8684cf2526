"""`POST /v1/embeddings` through the suite, with the official SDK: batches in order, float and base64, dimensions."""

from __future__ import annotations

import base64
import struct

import httpx
import openai
import pytest

from harness import Gateway


@pytest.fixture(scope="module")
def client(gateway: Gateway) -> openai.OpenAI:
    key: str = gateway.create_key("embeddings")["key"]
    return openai.OpenAI(base_url=gateway.v1, api_key=key, max_retries=0)


def test_a_batch_comes_back_in_order_with_usage(client: openai.OpenAI, gateway: Gateway) -> None:
    texts = ["the first text", "a second one", "and a third"]

    result = client.embeddings.create(model="embed", input=texts)
    singles = [client.embeddings.create(model="embed", input=text).data[0].embedding for text in texts]

    assert [item.index for item in result.data] == [0, 1, 2]
    assert [item.embedding for item in result.data] == singles
    assert result.usage.prompt_tokens > 0
    assert gateway.fake.requests()[0]["body"]["model"] == "text-embedding-fake"


def test_base64_and_dimensions_reach_the_provider(client: openai.OpenAI, gateway: Gateway) -> None:
    as_floats = client.embeddings.create(model="embed", input="hello", dimensions=8, encoding_format="float")
    raw = httpx.post(
        f"{gateway.v1}/embeddings",
        headers={"authorization": f"Bearer {client.api_key}"},
        json={"model": "embed", "input": "hello", "dimensions": 8, "encoding_format": "base64"},
    ).json()

    decoded = list(struct.unpack("<8f", base64.b64decode(raw["data"][0]["embedding"])))
    assert len(as_floats.data[0].embedding) == 8
    assert decoded == pytest.approx(as_floats.data[0].embedding, rel=1e-6)


def test_a_bad_embeddings_body_is_a_400_naming_the_field(gateway: Gateway, client: openai.OpenAI) -> None:
    response = httpx.post(
        f"{gateway.v1}/embeddings",
        headers={"authorization": f"Bearer {client.api_key}"},
        json={"model": "embed", "input": ["text", 42]},
    )
    assert response.status_code == 400 and response.json()["error"]["param"] == "input"
