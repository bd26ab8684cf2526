"""Embeddings on Bedrock: OpenAI's request as InvokeModel bodies for Titan and Cohere, batches cut to fit, answers back."""

from __future__ import annotations

import base64
import struct
from typing import Any

import httpx
import orjson
import pytest

from aigw_router.adapters import AdapterServices, EmbeddingsCall, ParamPolicy, UpstreamAnswer
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.bedrock import BedrockAdapter
from aigw_runtime.config import ProviderConfig
from aigw_runtime.errors import GatewayError, InvalidRequestError

TITAN_V1 = "amazon.titan-embed-text-v1"
TITAN_V2 = "amazon.titan-embed-text-v2:0"
COHERE_V3 = "cohere.embed-english-v3"
COHERE_V4 = "cohere.embed-v4:0"


@pytest.fixture
def adapter(monkeypatch: pytest.MonkeyPatch) -> BedrockAdapter:
    monkeypatch.setenv("AIGW_TEST_BEDROCK_KEY", "bedrock-api-key-123")
    provider = ProviderConfig(
        name="bedrock-main", type="bedrock", region="us-west-2", api_key="env:AIGW_TEST_BEDROCK_KEY"
    )
    client = httpx.AsyncClient()
    return BedrockAdapter(provider, AdapterServices(http=client, images=ImageFetcher(client)))


def _call(model: str, policy: ParamPolicy = ParamPolicy.REJECT, **fields: Any) -> EmbeddingsCall:
    return EmbeddingsCall(
        body=orjson.dumps({"model": "embed", **fields}), upstream_model=model, policy=policy
    )


async def _sent(adapter: BedrockAdapter, call: EmbeddingsCall) -> tuple[str, dict[str, Any]]:
    request = await adapter.build_embeddings(call)
    return request.url, orjson.loads(request.content)


async def _bodies(adapter: BedrockAdapter, call: EmbeddingsCall) -> list[dict[str, Any]]:
    """The InvokeModel body of every part the adapter cuts the call into, in order."""
    return [(await _sent(adapter, part))[1] for part in adapter.split_embeddings(call)]


def _answer(body: Any, input_tokens: int | None = None) -> UpstreamAnswer:
    headers = {} if input_tokens is None else {"x-amzn-bedrock-input-token-count": str(input_tokens)}
    return UpstreamAnswer(orjson.dumps(body), headers)


async def test_titan_v2_embeds_one_text_with_its_dimensions(adapter: BedrockAdapter) -> None:
    url, body = await _sent(adapter, _call(TITAN_V2, input="hello world", dimensions=256, user="u-1"))

    assert url == f"https://bedrock-runtime.us-west-2.amazonaws.com/model/{TITAN_V2}/invoke"
    assert body == {"inputText": "hello world", "dimensions": 256}


async def test_invoke_requests_are_authenticated_like_chat(adapter: BedrockAdapter) -> None:
    request = await adapter.build_embeddings(_call(TITAN_V2, input="hi"))

    assert request.headers["authorization"] == "Bearer bedrock-api-key-123"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"


async def test_cohere_embeds_a_batch_in_order_as_search_documents_by_default(adapter: BedrockAdapter) -> None:
    _, body = await _sent(adapter, _call(COHERE_V3, input=["first", "second", "third"]))

    assert body == {"texts": ["first", "second", "third"], "input_type": "search_document"}


async def test_cohere_takes_its_input_type_and_v4_its_dimensions(adapter: BedrockAdapter) -> None:
    _, body = await _sent(
        adapter, _call(COHERE_V4, input="a query", input_type="search_query", dimensions=512)
    )

    assert body == {
        "texts": ["a query"],
        "input_type": "search_query",
        "embedding_types": ["float"],
        "output_dimension": 512,
    }


async def test_an_inference_profile_or_arn_still_names_the_family(adapter: BedrockAdapter) -> None:
    arn = "arn:aws:bedrock:us-west-2::foundation-model/cohere.embed-multilingual-v3"

    url, body = await _sent(adapter, _call(arn, input="x"))

    assert "foundation-model%2Fcohere.embed-multilingual-v3/invoke" in url
    assert body["texts"] == ["x"]


@pytest.mark.parametrize(
    ("model", "fields", "param"),
    [
        (TITAN_V1, {"input": "x", "dimensions": 256}, "dimensions"),
        (COHERE_V3, {"input": "x", "dimensions": 256}, "dimensions"),
        (TITAN_V2, {"input": "x", "dimensions": 300}, "dimensions"),
        (COHERE_V4, {"input": "x", "dimensions": 768}, "dimensions"),
        (TITAN_V2, {"input": [[1, 2, 3]]}, "input"),
        (TITAN_V2, {"input": ["t"] * 2049}, "input"),
        (COHERE_V3, {"input": ["t"] * 2049}, "input"),
        (COHERE_V3, {"input": "x", "input_type": "image"}, "input_type"),
        (TITAN_V2, {"input": "x", "input_type": "search_query"}, "input_type"),
        (TITAN_V2, {"input": "x", "truncate": "END"}, "truncate"),
        ("meta.llama3-8b-instruct-v1:0", {"input": "x"}, "model"),
    ],
)
async def test_what_the_model_cannot_take_is_a_400_naming_the_parameter(
    adapter: BedrockAdapter, model: str, fields: dict[str, Any], param: str
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        await _bodies(adapter, _call(model, **fields))

    assert refused.value.status == 400 and refused.value.param == param


async def test_unsupported_parameters_are_dropped_when_the_model_says_so(adapter: BedrockAdapter) -> None:
    _, body = await _sent(
        adapter, _call(TITAN_V1, ParamPolicy.DROP, input="x", dimensions=256, truncate="END")
    )

    assert body == {"inputText": "x"}


async def test_a_titan_batch_is_one_request_per_text_in_order(adapter: BedrockAdapter) -> None:
    call = _call(TITAN_V2, input=["first", "second", "third"], dimensions=256)

    parts = adapter.split_embeddings(call)
    requests = [await adapter.build_embeddings(part) for part in parts]

    assert [orjson.loads(r.content) for r in requests] == [
        {"inputText": text, "dimensions": 256} for text in ("first", "second", "third")
    ]
    assert all(r.headers["authorization"] == "Bearer bedrock-api-key-123" for r in requests)


async def test_a_cohere_batch_is_cut_into_requests_of_96_texts(adapter: BedrockAdapter) -> None:
    texts = [f"text {n}" for n in range(200)]

    bodies = await _bodies(adapter, _call(COHERE_V3, input=texts, input_type="search_query"))

    assert [body["texts"] for body in bodies] == [texts[:96], texts[96:192], texts[192:]]
    assert {body["input_type"] for body in bodies} == {"search_query"}


async def test_a_batch_that_fits_is_sent_as_it_came(adapter: BedrockAdapter) -> None:
    call = _call(COHERE_V4, input=["t"] * 96)

    assert adapter.split_embeddings(call) == [call]


def test_a_titan_answer_is_an_embedding_list_with_its_token_count(adapter: BedrockAdapter) -> None:
    call = _call(TITAN_V2, input="hello there")
    answer = {"embedding": [0.5, -0.25, 0.125], "inputTextTokenCount": 3}

    result = adapter.parse_embeddings([_answer(answer)], call)

    body = orjson.loads(result.body)
    assert body["object"] == "list" and body["model"] == TITAN_V2
    assert body["data"] == [{"object": "embedding", "index": 0, "embedding": [0.5, -0.25, 0.125]}]
    assert body["usage"] == {"prompt_tokens": 3, "total_tokens": 3}
    assert result.usage.prompt_tokens == 3


@pytest.mark.parametrize(
    "embeddings",
    [[[0.5, 1.0], [0.25, -1.0]], {"float": [[0.5, 1.0], [0.25, -1.0]]}],
    ids=["embeddings_floats", "embeddings_by_type"],
)
def test_a_cohere_answer_keeps_the_order_of_the_texts(adapter: BedrockAdapter, embeddings: Any) -> None:
    call = _call(COHERE_V4, input=["a", "b"])
    answer = {"id": "e1", "texts": ["a", "b"], "embeddings": embeddings, "response_type": "x"}

    body = orjson.loads(adapter.parse_embeddings([_answer(answer)], call).body)

    assert [(item["index"], item["embedding"]) for item in body["data"]] == [
        (0, [0.5, 1.0]),
        (1, [0.25, -1.0]),
    ]


def test_the_answers_to_a_titan_batch_become_one_list_with_the_header_counts_summed(
    adapter: BedrockAdapter,
) -> None:
    call = _call(TITAN_V2, input=["a", "b", "c"])
    answers = [
        _answer({"embedding": [1.0, 0.0], "inputTextTokenCount": 2}, input_tokens=2),
        _answer({"embedding": [0.0, 1.0], "inputTextTokenCount": 3}, input_tokens=3),
        # Without Bedrock's header, Titan's own count stands in.
        _answer({"embedding": [0.5, 0.5], "inputTextTokenCount": 4}),
    ]

    result = adapter.parse_embeddings(answers, call)

    body = orjson.loads(result.body)
    assert [(item["index"], item["embedding"]) for item in body["data"]] == [
        (0, [1.0, 0.0]),
        (1, [0.0, 1.0]),
        (2, [0.5, 0.5]),
    ]
    assert body["usage"] == {"prompt_tokens": 9, "total_tokens": 9}
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (9, 9)


def test_cohere_usage_comes_from_bedrock_s_token_count_header(adapter: BedrockAdapter) -> None:
    texts = [f"t{n}" for n in range(100)]
    answers = [
        _answer({"embeddings": [[float(n)] for n in range(96)]}, input_tokens=96),
        _answer({"embeddings": [[float(n)] for n in range(96, 100)]}, input_tokens=4),
    ]

    result = adapter.parse_embeddings(answers, _call(COHERE_V3, input=texts))

    body = orjson.loads(result.body)
    assert [item["embedding"] for item in body["data"]] == [[float(n)] for n in range(100)]
    assert [item["index"] for item in body["data"]] == list(range(100))
    assert result.usage.prompt_tokens == 100


def test_a_part_answered_with_the_wrong_number_of_vectors_is_an_upstream_failure(
    adapter: BedrockAdapter,
) -> None:
    # 97 vectors in all, but 95 + 2 where the parts held 96 + 1: the indexes would be wrong.
    answers = [
        _answer({"embeddings": [[0.0]] * 95}, input_tokens=95),
        _answer({"embeddings": [[0.0]] * 2}, input_tokens=2),
    ]

    with pytest.raises(GatewayError) as failed:
        adapter.parse_embeddings(answers, _call(COHERE_V3, input=["t"] * 97))

    assert failed.value.status == 502


def test_base64_is_the_little_endian_float32_bytes_of_the_vector(adapter: BedrockAdapter) -> None:
    call = _call(TITAN_V2, input="x", encoding_format="base64")
    vector = [0.5, -0.25, 3.0]

    body = orjson.loads(adapter.parse_embeddings([_answer({"embedding": vector})], call).body)

    encoded = body["data"][0]["embedding"]
    assert list(struct.unpack("<3f", base64.b64decode(encoded))) == vector


@pytest.mark.parametrize("answer", [{"embeddings": []}, {"embedding": ["x"]}, {"message": "no"}])
def test_an_answer_without_usable_vectors_is_an_upstream_failure(
    adapter: BedrockAdapter, answer: Any
) -> None:
    with pytest.raises(GatewayError) as failed:
        adapter.parse_embeddings([_answer(answer)], _call(COHERE_V3, input="x"))

    assert failed.value.status == 502
