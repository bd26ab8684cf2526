"""Embeddings batches larger than a provider takes per request, through the running suite, with the `openai` SDK.

Every provider type serves `POST /v1/embeddings` on the fake provider: OpenAI
and OpenAI-compatible servers and Azure take a whole batch in one request;
Cohere takes 96 texts per request, Bedrock's Cohere Embed 96 and its Titan
one, Gemini 100, Vertex 250 (and one for gemini-embedding-001). The fake
refuses a request over those limits as the real APIs do, so a complete answer
proves the router cut the batch, sent every part and put the vectors back in
input order; the requests the fake recorded show how it was cut.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest

from harness import FakeProvider, Gateway, start_fake_provider, start_gateway

KEY_ID = "AKIDE2EBATCHES000001"
SECRET = "e2e-batches-secret-access-key"
REGION = "eu-central-1"

CONFIG = """\
providers:
  - {{name: oa, type: openai, base_url: "{fake_url}/v1", api_key: env:FAKE_UPSTREAM_KEY, timeout_s: 5}}
  - {{name: compatible, type: openai-compatible, base_url: "{fake_url}/v1", api_key: env:FAKE_UPSTREAM_KEY,
      timeout_s: 5}}
  - {{name: az, type: azure-openai, base_url: "{fake_url}", api_version: "2024-10-21",
      api_key: env:FAKE_UPSTREAM_KEY, timeout_s: 5}}
  - {{name: co, type: cohere, base_url: "{fake_url}", api_key: env:FAKE_UPSTREAM_KEY, timeout_s: 5}}
  - {{name: gemini, type: gemini, base_url: "{fake_url}", api_key: env:FAKE_UPSTREAM_KEY, timeout_s: 5}}
  - {{name: vertex, type: vertex, base_url: "{fake_url}", project: aigw-test, region: us-central1,
      service_account: env:BATCHES_SERVICE_ACCOUNT, token_url: "{fake_url}/token", timeout_s: 5}}
  - {{name: br, type: bedrock, base_url: "{fake_url}", region: eu-central-1,
      aws_access_key_id: env:BATCHES_KEY_ID, aws_secret_access_key: env:BATCHES_SECRET, timeout_s: 5}}
models:
  - {{name: openai-embed, deployments: [{{provider: oa, model: text-embedding-3-small}}]}}
  - {{name: compatible-embed, deployments: [{{provider: compatible, model: nomic-embed-text}}]}}
  - {{name: azure-embed, deployments: [{{provider: az, model: embedding-3-large}}]}}
  - {{name: cohere-embed, deployments: [{{provider: co, model: embed-v4.0}}]}}
  - {{name: gemini-embed, deployments: [{{provider: gemini, model: gemini-embedding-001}}]}}
  - {{name: vertex-embed, deployments: [{{provider: vertex, model: text-embedding-005}}]}}
  - {{name: vertex-gemini-embed, deployments: [{{provider: vertex, model: gemini-embedding-001}}]}}
  - {{name: titan, deployments: [{{provider: br, model: "amazon.titan-embed-text-v2:0"}}]}}
  - {{name: bedrock-cohere, deployments: [{{provider: br, model: cohere.embed-english-v3}}]}}
  - name: cohere-then-gemini
    deployments:
      - {{provider: co, model: embed-v4.0}}
      - {{provider: gemini, model: gemini-embedding-001}}
"""


def _texts_key(field: str) -> Callable[[dict[str, Any]], int]:
    return lambda body: len(body[field])


@dataclass(frozen=True)
class Case:
    """One provider type's deployment, and how the fake sees a batch sent to it."""

    model: str
    upstream: str  # the model the fake sees (its fault knobs are set by this name)
    path: str  # a part of the upstream path that only this deployment's requests have
    per_request: int  # inputs one upstream request may hold
    batch: int  # inputs in the test's batch
    inputs_of: Callable[[dict[str, Any]], int]  # inputs in one recorded upstream body
    dimensions: int | None = 256
    counts_tokens: bool = True
    says_when_to_retry: bool = True  # Vertex's 429 carries no retry delay

    @property
    def sizes(self) -> list[int]:
        """The inputs each upstream request should carry, largest first."""
        whole, rest = divmod(self.batch, self.per_request)
        return [self.per_request] * whole + ([rest] if rest else [])


CASES = [
    Case("openai-embed", "text-embedding-3-small", "/v1/embeddings", 2048, 300, _texts_key("input")),
    Case("compatible-embed", "nomic-embed-text", "/v1/embeddings", 2048, 300, _texts_key("input")),
    Case(
        "azure-embed",
        "embedding-3-large",
        "/openai/deployments/embedding-3-large/embeddings",
        2048,
        300,
        _texts_key("input"),
    ),
    Case("cohere-embed", "embed-v4.0", "/v2/embed", 96, 200, _texts_key("texts")),
    Case(
        "gemini-embed",
        "gemini-embedding-001",
        "gemini-embedding-001:batchEmbedContents",
        100,
        250,
        _texts_key("requests"),
        counts_tokens=False,
    ),
    Case(
        "vertex-embed",
        "text-embedding-005",
        "text-embedding-005:predict",
        250,
        300,
        _texts_key("instances"),
        says_when_to_retry=False,
    ),
    Case(
        "vertex-gemini-embed",
        "gemini-embedding-001",
        "gemini-embedding-001:predict",
        1,
        5,
        _texts_key("instances"),
        says_when_to_retry=False,
    ),
    Case("titan", "amazon.titan-embed-text-v2:0", "titan-embed-text-v2", 1, 5, lambda body: 1),
    Case(
        "bedrock-cohere",
        "cohere.embed-english-v3",
        "cohere.embed-english-v3",
        96,
        200,
        _texts_key("texts"),
        dimensions=None,
    ),
]
SPLIT = [case for case in CASES if case.per_request < case.batch]


def _texts(count: int) -> list[str]:
    # One to three words each, so summed usage differs from any per-request constant.
    return [f"passage {n}" + " more" * (n % 2) for n in range(count)]


def _words(texts: list[str]) -> int:
    """The fake provider counts a token per word."""
    return sum(len(text.split()) for text in texts)


def _samples(case: Case) -> list[int]:
    """Indexes on both sides of every cut between two upstream requests, and the ends."""
    edges = {0, case.batch - 1}
    for start in range(case.per_request, case.batch, case.per_request):
        edges |= {start - 1, start}
    return sorted(edges)


@pytest.fixture(scope="module")
def batch_fake(google_service_account: Path) -> Iterator[FakeProvider]:
    fake = start_fake_provider(
        "--aws-access-key-id",
        KEY_ID,
        "--aws-secret-access-key",
        SECRET,
        "--aws-region",
        REGION,
        "--google-service-account",
        str(google_service_account),
    )
    yield fake
    fake.process.terminate()
    fake.process.wait(10)


@pytest.fixture(scope="module")
def batch_gateway(
    tmp_path_factory: pytest.TempPathFactory, batch_fake: FakeProvider, google_service_account: Path
) -> Iterator[Gateway]:
    env = {
        "BATCHES_KEY_ID": KEY_ID,
        "BATCHES_SECRET": SECRET,
        "BATCHES_SERVICE_ACCOUNT": google_service_account.read_text(),
    }
    gw = start_gateway(
        tmp_path_factory.mktemp("gw-batches"),
        batch_fake,
        "embedded",
        None,
        extra_env=env,
        config_template=CONFIG,
    )
    yield gw
    status = gw.stop()
    assert status == 0, "".join(gw.log)


@pytest.fixture(autouse=True)
def _fresh_fake(batch_fake: FakeProvider) -> None:
    batch_fake.reset()


@pytest.fixture(scope="module")
def client(batch_gateway: Gateway) -> openai.OpenAI:
    key: str = batch_gateway.create_key("batches")["key"]
    return openai.OpenAI(base_url=batch_gateway.v1, api_key=key, max_retries=0, timeout=60)


def _create(client: openai.OpenAI, case: Case, inputs: str | list[str], encoding: str) -> Any:
    extra = {} if case.dimensions is None else {"dimensions": case.dimensions}
    return client.embeddings.create(
        model=case.model,
        input=inputs,
        encoding_format=encoding,  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


def _upstream(fake: FakeProvider, case: Case) -> list[dict[str, Any]]:
    return [r for r in fake.requests() if case.path in r["path"]]


@pytest.mark.parametrize("case", CASES, ids=[case.model for case in CASES])
def test_a_batch_comes_back_complete_in_order_and_equal_to_single_answers(
    client: openai.OpenAI, batch_fake: FakeProvider, case: Case
) -> None:
    texts = _texts(case.batch)

    batch = _create(client, case, texts, "float")
    sent = _upstream(batch_fake, case)
    singles = {n: _create(client, case, texts[n], "float") for n in _samples(case)}

    assert [item.index for item in batch.data] == list(range(case.batch))
    for n, single in singles.items():
        assert batch.data[n].embedding == single.data[0].embedding, f"input {n}"
    assert len({tuple(item.embedding) for item in batch.data}) == case.batch
    if case.dimensions is not None:
        assert {len(item.embedding) for item in batch.data} == {case.dimensions}
    assert sorted((case.inputs_of(r["body"]) for r in sent), reverse=True) == case.sizes
    expected_usage = _words(texts) if case.counts_tokens else 0
    assert (batch.usage.prompt_tokens, batch.usage.total_tokens) == (expected_usage, expected_usage)
    assert sum(single.usage.prompt_tokens for single in singles.values()) == (
        _words([texts[n] for n in singles]) if case.counts_tokens else 0
    )


@pytest.mark.parametrize("case", CASES, ids=[case.model for case in CASES])
def test_a_base64_batch_decodes_to_the_float_batch(client: openai.OpenAI, case: Case) -> None:
    texts = _texts(case.batch)

    floats = _create(client, case, texts, "float")
    encoded = _create(client, case, texts, "base64")

    assert [item.index for item in encoded.data] == list(range(case.batch))
    for as_float, as_base64 in zip(floats.data, encoded.data, strict=True):
        raw = base64.b64decode(as_base64.embedding)
        decoded = list(struct.unpack(f"<{len(raw) // 4}f", raw))
        assert decoded == pytest.approx(as_float.embedding, rel=1e-6, abs=1e-7)
    assert encoded.usage.prompt_tokens == floats.usage.prompt_tokens


@pytest.mark.parametrize("case", SPLIT, ids=[case.model for case in SPLIT])
def test_a_rate_limit_on_one_request_of_a_batch_fails_the_call_as_a_429(
    client: openai.OpenAI, batch_fake: FakeProvider, case: Case
) -> None:
    # Every second request of the model is refused: the batch's second one, whichever it is.
    batch_fake.knobs(model=case.upstream, fault="429", fault_rate=0.5, retry_after=7)

    with pytest.raises(openai.RateLimitError) as refused:
        _create(client, case, _texts(case.batch), "float")

    assert refused.value.status_code == 429
    if case.says_when_to_retry:
        assert refused.value.response.headers["retry-after"] == "7"
    assert len(_upstream(batch_fake, case)) >= 2


@pytest.mark.parametrize("fault", ["500", "503"])
def test_a_server_failure_on_one_titan_request_fails_the_whole_batch(
    client: openai.OpenAI, batch_fake: FakeProvider, fault: str
) -> None:
    titan = next(case for case in CASES if case.model == "titan")
    batch_fake.knobs(model=titan.upstream, fault=fault, fault_rate=0.2)

    with pytest.raises(openai.APIStatusError) as failed:
        _create(client, titan, _texts(titan.batch), "float")

    assert failed.value.status_code == {"500": 502, "503": 503}[fault]


def test_a_batch_whose_request_fails_retryably_falls_back_whole_to_the_next_deployment(
    client: openai.OpenAI, batch_fake: FakeProvider
) -> None:
    batch_fake.knobs(model="embed-v4.0", fault="503", fault_rate=0.5)
    texts = _texts(200)

    raw = client.embeddings.with_raw_response.create(
        model="cohere-then-gemini", input=texts, dimensions=256, encoding_format="float"
    )

    answer = raw.parse()
    assert raw.headers["x-aigw-provider"] == "gemini"
    assert [item.index for item in answer.data] == list(range(200))
    single = client.embeddings.create(model="gemini-embed", input=texts[150], dimensions=256)
    assert answer.data[150].embedding == single.data[0].embedding
    gemini_sizes = [
        len(r["body"]["requests"]) for r in batch_fake.requests() if "batchEmbedContents" in r["path"]
    ]
    assert sorted(gemini_sizes) == [1, 100, 100]  # the batch in two requests, then the single input
    assert len([r for r in batch_fake.requests() if r["path"] == "/v2/embed"]) >= 2


def test_a_batch_over_2048_inputs_is_a_400_naming_input(
    client: openai.OpenAI, batch_fake: FakeProvider
) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        client.embeddings.create(model="titan", input=_texts(2049))

    assert refused.value.status_code == 400
    assert refused.value.body["param"] == "input"  # type: ignore[index]
    assert batch_fake.requests() == []
