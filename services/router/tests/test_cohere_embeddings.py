"""The Cohere adapter, embeddings: v2 embed requests, batches cut to 96 texts, answers joined in order."""

from __future__ import annotations

import asyncio
import base64
import struct
from typing import Any

import orjson
import pytest

from aigw_router.adapters import EmbeddingsCall, ParamPolicy, UpstreamAnswer, UpstreamRequest
from aigw_runtime.errors import GatewayError
from cohere_samples import FIXTURES, cohere_adapter


def _embed_call(
    policy: ParamPolicy = ParamPolicy.REJECT, model: str = "embed-v4.0", **fields: Any
) -> EmbeddingsCall:
    body = orjson.dumps({"model": "public-embed", "input": ["bonjour", "le monde"], **fields})
    return EmbeddingsCall(body=body, upstream_model=model, policy=policy)


def _embed_sent(call: EmbeddingsCall) -> tuple[UpstreamRequest, dict[str, Any]]:
    request = asyncio.run(cohere_adapter().build_embeddings(call))
    return request, orjson.loads(request.content)


def _embed_answer(vectors: list[list[float]], input_tokens: int) -> UpstreamAnswer:
    body = {
        "id": "e",
        "embeddings": {"float": vectors},
        "meta": {"billed_units": {"input_tokens": input_tokens}},
    }
    return UpstreamAnswer(orjson.dumps(body), {})


def test_an_embeddings_request_goes_to_v2_embed_as_float_texts_for_documents() -> None:
    request, sent = _embed_sent(_embed_call(dimensions=512, user="u-1"))

    assert request.url == "https://api.cohere.com/v2/embed"
    assert request.headers["authorization"] == "Bearer co-upstream-secret"
    assert sent == {
        "model": "embed-v4.0",
        "texts": ["bonjour", "le monde"],
        "input_type": "search_document",
        "embedding_types": ["float"],
        "output_dimension": 512,
    }


def test_input_type_and_truncate_can_be_chosen_as_extras() -> None:
    _, sent = _embed_sent(_embed_call(input="where is lyon?", input_type="search_query", truncate="END"))
    assert (sent["texts"], sent["input_type"], sent["truncate"]) == (
        ["where is lyon?"],
        "search_query",
        "END",
    )


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"input_type": "document"}, "input_type"),
        ({"input": [[1, 2, 3]]}, "input"),
        ({"vendor_extra": True}, "vendor_extra"),
    ],
)
def test_an_embeddings_request_cohere_cannot_take_is_a_400(fields: dict[str, Any], param: str) -> None:
    with pytest.raises(GatewayError) as raised:
        _embed_sent(_embed_call(**fields))
    assert (raised.value.status, raised.value.param) == (400, param)


def test_a_batch_larger_than_96_texts_is_cut_into_requests_of_96_in_order() -> None:
    texts = [f"text {n}" for n in range(200)]
    adapter = cohere_adapter()

    parts = adapter.split_embeddings(_embed_call(input=texts, dimensions=256))
    sent = [orjson.loads(asyncio.run(adapter.build_embeddings(part)).content) for part in parts]

    assert [body["texts"] for body in sent] == [texts[:96], texts[96:192], texts[192:]]
    assert {body["output_dimension"] for body in sent} == {256}


def test_a_batch_of_96_texts_or_fewer_is_sent_as_it_came() -> None:
    call = _embed_call(input=["x"] * 96)
    assert cohere_adapter().split_embeddings(call) == [call]


def test_more_than_2048_inputs_are_a_400_naming_input() -> None:
    with pytest.raises(GatewayError) as raised:
        cohere_adapter().split_embeddings(_embed_call(input=["x"] * 2049))
    assert (raised.value.status, raised.value.param) == (400, "input")


def test_the_answers_to_a_cut_batch_become_one_list_in_order_with_usage_summed() -> None:
    texts = [f"t{n}" for n in range(100)]
    answers = [
        _embed_answer([[float(n)] for n in range(96)], input_tokens=96),
        _embed_answer([[float(n)] for n in range(96, 100)], input_tokens=7),
    ]

    result = cohere_adapter().parse_embeddings(answers, _embed_call(input=texts))

    body = orjson.loads(result.body)
    assert [item["index"] for item in body["data"]] == list(range(100))
    assert [item["embedding"] for item in body["data"]] == [[float(n)] for n in range(100)]
    assert body["usage"] == {"prompt_tokens": 103, "total_tokens": 103}
    assert result.usage.total_tokens == 103


def test_dimensions_on_a_fixed_size_model_are_refused_or_dropped_per_policy() -> None:
    with pytest.raises(GatewayError) as raised:
        _embed_sent(_embed_call(model="embed-english-v3.0", dimensions=256))
    _, sent = _embed_sent(_embed_call(ParamPolicy.DROP, model="embed-english-v3.0", dimensions=256))

    assert raised.value.param == "dimensions"
    assert "output_dimension" not in sent


def test_embeddings_come_back_in_order_as_floats_or_base64_with_billed_usage() -> None:
    answer = UpstreamAnswer((FIXTURES / "cohere_embed.json").read_bytes(), {})
    adapter = cohere_adapter()

    floats = adapter.parse_embeddings([answer], _embed_call())
    encoded = adapter.parse_embeddings([answer], _embed_call(encoding_format="base64"))

    as_floats = orjson.loads(floats.body)
    assert [item["index"] for item in as_floats["data"]] == [0, 1]
    assert [item["embedding"] for item in as_floats["data"]] == [[0.25, -0.5, 0.125], [1.0, 0.0, -0.75]]
    assert as_floats["model"] == "embed-v4.0" and as_floats["usage"] == {
        "prompt_tokens": 3,
        "total_tokens": 3,
    }
    decoded = [
        list(struct.unpack("<3f", base64.b64decode(item["embedding"])))
        for item in orjson.loads(encoded.body)["data"]
    ]
    assert decoded == [[0.25, -0.5, 0.125], [1.0, 0.0, -0.75]]
    assert floats.usage.prompt_tokens == 3


def test_an_embed_answer_with_the_wrong_number_of_vectors_is_a_502() -> None:
    answer = _embed_answer([[0.1]], input_tokens=1)
    with pytest.raises(GatewayError) as raised:
        cohere_adapter().parse_embeddings([answer], _embed_call())
    assert raised.value.status == 502
