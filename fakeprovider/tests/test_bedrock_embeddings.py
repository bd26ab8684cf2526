"""The fake's InvokeModel for Bedrock's embedding models: Titan's and Cohere's bodies, checked like Bedrock."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fake_bedrock import aws_error, model_path, post


async def test_titan_embeds_one_text_with_its_dimensions(http: httpx.AsyncClient) -> None:
    response = await post(
        http,
        {"inputText": "hello world", "dimensions": 256},
        path=model_path("amazon.titan-embed-text-v2:0", "invoke"),
    )

    answer = response.json()
    assert response.status_code == 200 and set(answer) == {"embedding", "inputTextTokenCount"}
    assert len(answer["embedding"]) == 256 and answer["inputTextTokenCount"] == 2


async def test_cohere_embeds_texts_in_order_by_type(http: httpx.AsyncClient) -> None:
    path = model_path("us.cohere.embed-v4:0", "invoke")
    body = {
        "texts": ["one", "two"],
        "input_type": "search_document",
        "embedding_types": ["float"],
        "output_dimension": 256,
    }

    both = (await post(http, body, path=path)).json()
    second = (await post(http, {**body, "texts": ["two"]}, path=path)).json()

    assert both["response_type"] == "embeddings_by_type" and both["texts"] == ["one", "two"]
    assert [len(vector) for vector in both["embeddings"]["float"]] == [256, 256]
    assert both["embeddings"]["float"][1] == second["embeddings"]["float"][0]


@pytest.mark.parametrize(
    ("model", "body", "fragment"),
    [
        (
            "amazon.titan-embed-text-v2:0",
            {"inputText": "x", "normalise": True},
            "#: extraneous key [normalise]",
        ),
        (
            "amazon.titan-embed-text-v2:0",
            {"inputText": "x", "dimensions": 300},
            "#/dimensions: 300 is not a valid enum value",
        ),
        ("amazon.titan-embed-text-v1", {"inputText": "x", "dimensions": 256}, "extraneous key [dimensions]"),
        ("amazon.titan-embed-text-v2:0", {"texts": ["x"]}, "extraneous key [texts]"),
        ("amazon.titan-embed-text-v2:0", {"inputText": ""}, "expected minLength: 1"),
        ("cohere.embed-english-v3", {"texts": ["x"]}, "required key [input_type] not found"),
        (
            "cohere.embed-english-v3",
            {"texts": ["x"] * 97, "input_type": "clustering"},
            "maximum item count: 96",
        ),
        (
            "cohere.embed-english-v3",
            {"texts": ["x"], "input_type": "search_document", "output_dimension": 256},
            "extraneous key [output_dimension]",
        ),
        ("meta.llama3-8b-instruct-v1:0", {"prompt": "x"}, "not an embedding model"),
    ],
)
async def test_embedding_bodies_are_checked_like_bedrock_checks_them(
    http: httpx.AsyncClient, model: str, body: dict[str, Any], fragment: str
) -> None:
    response = await post(http, body, path=model_path(model, "invoke"))

    assert fragment in aws_error(response, 400, "ValidationException")
