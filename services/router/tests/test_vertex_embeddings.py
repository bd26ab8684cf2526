"""The Vertex adapter's embeddings: predict requests cut to what each model takes, answered as one list."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from aigw_router.adapters import EmbeddingsCall, UpstreamAnswer
from aigw_runtime.errors import GatewayError
from vertex_samples import TokenEndpoint, vertex_adapter

FIXTURES = Path(__file__).parent / "fixtures"


async def test_embeddings_go_to_predict_with_the_dimensions(key_file: Path, endpoint: TokenEndpoint) -> None:
    body = orjson.dumps({"model": "e", "input": ["first", "second"], "dimensions": 3})

    request = await vertex_adapter(key_file, endpoint).build_embeddings(
        EmbeddingsCall(body=body, upstream_model="text-embedding-005")
    )

    assert request.url.endswith("/publishers/google/models/text-embedding-005:predict")
    assert request.headers["authorization"] == "Bearer ya29.token-1"
    assert orjson.loads(request.content) == {
        "instances": [{"content": "first"}, {"content": "second"}],
        "parameters": {"outputDimensionality": 3},
    }


@pytest.mark.parametrize(
    ("model", "sizes"),
    [
        ("text-embedding-005", [250, 250, 100]),
        ("gemini-embedding-001", [1] * 600),
        ("publishers/google/models/gemini-embedding-001", [1] * 600),
    ],
)
def test_a_batch_is_cut_to_what_one_predict_request_of_the_model_takes(
    key_file: Path, endpoint: TokenEndpoint, model: str, sizes: list[int]
) -> None:
    texts = [f"text {n}" for n in range(600)]
    call = EmbeddingsCall(body=orjson.dumps({"model": "e", "input": texts}), upstream_model=model)

    parts = vertex_adapter(key_file, endpoint).split_embeddings(call)

    inputs = [orjson.loads(part.body)["input"] for part in parts]
    assert [len(chunk) for chunk in inputs] == sizes
    assert [text for chunk in inputs for text in chunk] == texts


async def test_each_part_is_one_predict_request_with_the_same_token(
    key_file: Path, endpoint: TokenEndpoint
) -> None:
    adapter = vertex_adapter(key_file, endpoint)
    call = EmbeddingsCall(
        body=orjson.dumps({"model": "e", "input": ["a", "b"], "dimensions": 3}),
        upstream_model="gemini-embedding-001",
    )

    requests = [await adapter.build_embeddings(part) for part in adapter.split_embeddings(call)]

    assert [orjson.loads(r.content) for r in requests] == [
        {"instances": [{"content": text}], "parameters": {"outputDimensionality": 3}} for text in ("a", "b")
    ]
    assert {r.headers["authorization"] for r in requests} == {"Bearer ya29.token-1"}


def test_more_than_2048_inputs_are_a_400(key_file: Path, endpoint: TokenEndpoint) -> None:
    body = orjson.dumps({"model": "e", "input": ["x"] * 2049})
    with pytest.raises(GatewayError) as caught:
        vertex_adapter(key_file, endpoint).split_embeddings(
            EmbeddingsCall(body=body, upstream_model="text-embedding-005")
        )
    assert caught.value.status == 400 and caught.value.param == "input"


def test_the_predictions_of_every_part_become_one_list_with_their_token_counts_summed(
    key_file: Path, endpoint: TokenEndpoint
) -> None:
    call = EmbeddingsCall(
        body=orjson.dumps({"model": "e", "input": ["one", "two", "three"]}),
        upstream_model="gemini-embedding-001",
    )
    answers = [
        UpstreamAnswer(
            orjson.dumps(
                {
                    "predictions": [
                        {"embeddings": {"statistics": {"token_count": n + 1}, "values": [float(n)]}}
                    ]
                }
            ),
            {},
        )
        for n in range(3)
    ]

    result = vertex_adapter(key_file, endpoint).parse_embeddings(answers, call)

    body = orjson.loads(result.body)
    assert [(item["index"], item["embedding"]) for item in body["data"]] == [
        (0, [0.0]),
        (1, [1.0]),
        (2, [2.0]),
    ]
    assert body["usage"] == {"prompt_tokens": 6, "total_tokens": 6} and result.usage.prompt_tokens == 6


@pytest.mark.parametrize("encoding", ["float", "base64"])
def test_predictions_become_an_embedding_list_with_their_token_counts(
    key_file: Path, endpoint: TokenEndpoint, encoding: str
) -> None:
    call = EmbeddingsCall(
        body=orjson.dumps(
            {"model": "e", "input": ["first text", "second text"], "encoding_format": encoding}
        ),
        upstream_model="text-embedding-005",
    )

    result = vertex_adapter(key_file, endpoint).parse_embeddings(
        [UpstreamAnswer((FIXTURES / "gemini_vertex_predict.json").read_bytes(), {})], call
    )

    body = orjson.loads(result.body)
    assert [item["index"] for item in body["data"]] == [0, 1]
    if encoding == "float":
        assert body["data"][0]["embedding"] == [0.25, -0.5, 0.125]
    else:
        assert isinstance(body["data"][0]["embedding"], str)
    assert body["usage"] == {"prompt_tokens": 10, "total_tokens": 10}
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (10, 10)
