"""The fake's Gemini embeddings: embedContent and batchEmbedContents, and the requests the API refuses."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fake_credentials import API_KEY
from fake_google import google_error, user_turn


async def test_a_batch_of_embeddings_comes_back_in_order(http: httpx.AsyncClient) -> None:
    model = "models/gemini-embedding-001"
    requests = [
        {"model": model, "content": {"parts": [{"text": t}]}, "outputDimensionality": 8} for t in ("a", "b")
    ]

    batch = await http.post(
        "/v1beta/models/gemini-embedding-001:batchEmbedContents",
        json={"requests": requests},
        headers={"x-goog-api-key": API_KEY},
    )
    single = await http.post(
        "/v1beta/models/gemini-embedding-001:embedContent",
        json={"content": {"parts": [{"text": "b"}]}, "outputDimensionality": 8},
        headers={"x-goog-api-key": API_KEY},
    )

    vectors = [e["values"] for e in batch.json()["embeddings"]]
    assert len(vectors) == 2 and all(len(v) == 8 for v in vectors)
    assert vectors[1] == single.json()["embedding"]["values"] and vectors[0] != vectors[1]


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("gemini-embedding-001:batchEmbedContents", {"requests": [{"model": "models/other", "content": {"parts": [{"text": "a"}]}}]},
         400, "the model must be models/gemini-embedding-001"),
        ("gemini-embedding-001:batchEmbedContents", {"requests": [{"content": {"parts": [{"text": "a"}]}}]}, 400, "model is not specified"),
        ("gemini-embedding-001:batchEmbedContents",
         {"requests": [{"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "a"}]}}] * 101}, 400, "at most 100"),
        ("gemini-embedding-001:embedContent", {"content": {"parts": [{"text": "a"}]}, "outputDimensionality": 4000}, 400, "between 1 and 3072"),
        ("gemini-2.0-flash:embedContent", {"content": {"parts": [{"text": "a"}]}}, 404, "not supported for embedContent"),
        ("gemini-embedding-001:generateContent", {"contents": [user_turn("a")]}, 404, "not supported for generateContent"),
    ],
)  # fmt: skip
async def test_embeddings_the_api_refuses(
    http: httpx.AsyncClient, path: str, body: dict[str, Any], status: int, message: str
) -> None:
    response = await http.post(f"/v1beta/models/{path}", json=body, headers={"x-goog-api-key": API_KEY})
    assert message in google_error(response, status, "INVALID_ARGUMENT" if status == 400 else "NOT_FOUND")
