"""Embeddings from Gemini on AI Studio and Vertex AI through the running suite, with the official `openai` SDK.

AI Studio's `batchEmbedContents` and Vertex's `predict` answer in input order,
as floats and as base64. The suite and what the fake checks: `gemini_suite`.
"""

from __future__ import annotations

import base64
import struct

import httpx
import openai
import pytest

from gemini_suite import GEMINI_ACCOUNT_ENV, GEMINI_CONFIG, upstream
from harness import FakeProvider, Gateway

SUITE_CONFIG = GEMINI_CONFIG
SUITE_SERVICE_ACCOUNT_ENV = GEMINI_ACCOUNT_ENV


@pytest.mark.parametrize(
    ("model", "marker"), [("gemini-embed", ":batchEmbedContents"), ("vertex-embed", ":predict")]
)
def test_embeddings_come_back_in_order_as_floats_and_as_base64(
    suite_client: openai.OpenAI,
    suite_gateway: Gateway,
    suite_key: str,
    suite_fake: FakeProvider,
    model: str,
    marker: str,
) -> None:
    texts = ["the first text", "a second one", "and a third"]

    batch = suite_client.embeddings.create(model=model, input=texts, dimensions=8)
    single = suite_client.embeddings.create(model=model, input=texts[1], dimensions=8)
    raw = httpx.post(
        f"{suite_gateway.v1}/embeddings",
        headers={"authorization": f"Bearer {suite_key}"},
        json={"model": model, "input": texts, "dimensions": 8, "encoding_format": "base64"},
    ).json()

    assert [item.index for item in batch.data] == [0, 1, 2]
    assert all(len(item.embedding) == 8 for item in batch.data)
    assert batch.data[1].embedding == single.data[0].embedding
    decoded = [list(struct.unpack("<8f", base64.b64decode(item["embedding"]))) for item in raw["data"]]
    assert decoded == [pytest.approx(item.embedding, rel=1e-6) for item in batch.data]
    assert len(upstream(suite_fake, marker)) == 3
