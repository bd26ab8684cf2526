"""The Gemini adapter's embeddings: batchEmbedContents in batches of 100, answers back in input order."""

from __future__ import annotations

import base64
import struct
from typing import Any

import orjson
import pytest

from aigw_router.adapters import EmbeddingsCall, UpstreamAnswer
from aigw_runtime.errors import GatewayError
from gemini_samples import gemini_adapter


async def test_embeddings_go_as_one_batch_in_order_with_the_dimensions() -> None:
    body = orjson.dumps({"model": "embed", "input": ["first", "second"], "dimensions": 8, "user": "u"})

    request = await gemini_adapter().build_embeddings(
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
    adapter = gemini_adapter()
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
    adapter = gemini_adapter()

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

    result = gemini_adapter().parse_embeddings(answers, call)

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

    body = orjson.loads(
        gemini_adapter().parse_embeddings([UpstreamAnswer(orjson.dumps(answer), {})], call).body
    )

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
        gemini_adapter().parse_embeddings([UpstreamAnswer(b'{"embeddings": [{"values": [1.0]}]}', {})], call)
    assert caught.value.status == 502
