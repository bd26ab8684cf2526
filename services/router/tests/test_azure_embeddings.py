"""The Azure OpenAI adapter, embeddings: deployment paths take text only; the v1 API names the model."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from aigw_router.adapters import EmbeddingsCall
from aigw_runtime.errors import GatewayError
from azure_samples import RESOURCE, azure_adapter


def test_embeddings_on_a_deployment_path_take_text_without_a_model() -> None:
    adapter = azure_adapter()
    body = {"model": "public", "input": ["a", "b"], "dimensions": 256, "encoding_format": "base64"}

    request = asyncio.run(adapter.build_embeddings(EmbeddingsCall(orjson.dumps(body), "embed-3")))
    with pytest.raises(GatewayError) as caught:
        asyncio.run(adapter.build_embeddings(EmbeddingsCall(orjson.dumps({"input": [[1, 2]]}), "embed-3")))

    assert request.url == f"{RESOURCE}/openai/deployments/embed-3/embeddings?api-version=2024-10-21"
    assert orjson.loads(request.content) == {
        "input": ["a", "b"],
        "dimensions": 256,
        "encoding_format": "base64",
    }
    assert caught.value.status == 400 and caught.value.param == "input"


def test_embeddings_on_the_v1_api_name_the_deployment() -> None:
    adapter = azure_adapter(base_url=f"{RESOURCE}/openai/v1", api_version=None)

    request = asyncio.run(
        adapter.build_embeddings(EmbeddingsCall(b'{"model":"p","input":[[1,2]]}', "embed-3"))
    )

    assert request.url == f"{RESOURCE}/openai/v1/embeddings"
    assert orjson.loads(request.content) == {"model": "embed-3", "input": [[1, 2]]}
