"""The fake's Cohere v2 embed: vectors in order by type, billed tokens, and the requests Cohere refuses."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from aigw_fakeprovider.vectors import embedding_vector
from fake_cohere import embed, error_of, unknown_field


async def test_embed_returns_float_vectors_in_order_with_billed_tokens(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    texts = ["the first text", "a second one", "and a third"]

    answer = (await http.post("/v2/embed", headers=auth, json=embed(texts=texts))).json()

    assert answer["embeddings"]["float"] == [embedding_vector(text, 1536) for text in texts]
    assert answer["texts"] == texts
    assert answer["meta"]["billed_units"] == {"input_tokens": 9}
    assert answer["response_type"] == "embeddings_by_type"


async def test_embed_v4_takes_an_output_dimension(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    answer = (await http.post("/v2/embed", headers=auth, json=embed(output_dimension=256))).json()
    assert [len(vector) for vector in answer["embeddings"]["float"]] == [256, 256]


EMBED_REJECTED = [
    ("missing-input-type", embed(input_type=...), 400, "input_type is required"),
    ("unknown-input-type", embed(input_type="document"), 400, "input_type must be one of"),
    ("missing-embedding-types", embed(embedding_types=...), 400, "embedding_types is required"),
    ("too-many-texts", embed(texts=["x"] * 97), 400, "texts must have at most 96 items"),
    ("no-texts", embed(texts=[]), 400, "texts must contain at least one text"),
    (
        "dimension-not-offered",
        embed(output_dimension=100),
        400,
        "output_dimension must be one of 256, 512, 1024, 1536",
    ),
    (
        "dimension-on-v3",
        embed(model="embed-english-v3.0", output_dimension=256),
        400,
        "not supported for model embed-english-v3.0",
    ),
    ("openai-field", embed(dimensions=256), 422, unknown_field("dimensions", "embed")),
]


@pytest.mark.parametrize(
    ("request_body", "status", "fragment"),
    [c[1:] for c in EMBED_REJECTED],
    ids=[c[0] for c in EMBED_REJECTED],
)
async def test_an_invalid_embed_request_is_refused_like_cohere(
    http: httpx.AsyncClient, auth: dict[str, str], request_body: dict[str, Any], status: int, fragment: str
) -> None:
    response = await http.post("/v2/embed", headers=auth, json=request_body)

    assert response.status_code == status
    assert fragment in error_of(response)
