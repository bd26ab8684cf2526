"""A path no route serves is answered by the provider whose paths it resembles, in that provider's shape."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


def _openai(body: Any) -> bool:
    return body["error"]["type"] == "invalid_request_error" and "Invalid URL" in body["error"]["message"]


@pytest.mark.parametrize(
    ("path", "looks_like"),
    [
        ("/v2/rerank", lambda body: set(body) == {"id", "message"}),  # Cohere
        ("/v1/messages/batches", lambda body: body["type"] == "error"),  # Anthropic
        ("/openai/deployments/d/completions", lambda body: body["error"]["code"] == "404"),  # Azure
        ("/model/some-model/unknown", lambda body: set(body) == {"message"}),  # Bedrock
        ("/v1beta/models/m:unknown", lambda body: body["error"]["status"] == "NOT_FOUND"),  # Gemini
        ("/v1/complete", _openai),
        ("/elsewhere", _openai),
    ],
)
async def test_an_unknown_path_gets_the_404_of_the_provider_it_belongs_to(
    http: httpx.AsyncClient, path: str, looks_like: Any
) -> None:
    response = await http.post(path, json={})

    assert response.status_code == 404
    assert looks_like(response.json()), response.text
