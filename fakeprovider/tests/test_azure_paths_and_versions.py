"""The fake's Azure OpenAI paths: deployments with an api-version, the v1 API, and what each version defines."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fake_azure import DEPLOYMENT, GA, PREVIEW, body, chat_path


async def test_a_deployment_path_needs_an_api_version(http: httpx.AsyncClient, key: dict[str, str]) -> None:
    response = await http.post(chat_path(version=None), headers=key, json=body())

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "404", "message": "Resource not found"}}


@pytest.mark.parametrize(("path", "version"), [("deployments", "2023-01-01"), ("v1", GA)])
async def test_an_api_version_the_surface_does_not_serve_is_refused(
    http: httpx.AsyncClient, path: str, version: str, key: dict[str, str]
) -> None:
    url = (
        chat_path(version=version)
        if path == "deployments"
        else f"/openai/v1/chat/completions?api-version={version}"
    )

    response = await http.post(url, headers=key, json=body(model=DEPLOYMENT))

    assert response.status_code == 400
    assert response.json() == {"error": {"code": "BadRequest", "message": "API version not supported"}}


async def test_the_deployment_in_the_path_decides_the_model(
    http: httpx.AsyncClient, key: dict[str, str]
) -> None:
    response = await http.post(chat_path(), headers=key, json=body(model="ignored-name"))

    assert response.status_code == 200
    assert response.json()["model"] == DEPLOYMENT
    assert response.json()["choices"][0]["message"]["content"] == "Echo: hello there"


async def test_the_v1_api_needs_the_model_in_the_body(http: httpx.AsyncClient, key: dict[str, str]) -> None:
    missing = await http.post("/openai/v1/chat/completions", headers=key, json=body())
    named = await http.post(
        "/openai/v1/chat/completions?api-version=preview", headers=key, json=body(model="dep")
    )

    assert missing.status_code == 400 and missing.json()["error"]["param"] == "model"
    assert named.status_code == 200 and named.json()["model"] == "dep"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"store": True}, "Unrecognized request argument supplied: store"),
        (
            {"reasoning_effort": "low", "verbosity": "low"},
            "Unrecognized request arguments supplied: reasoning_effort",
        ),
        (
            {"prediction": {"type": "content", "content": "x"}},
            "Unrecognized request argument supplied: prediction",
        ),
    ],
)
async def test_fields_the_ga_api_version_does_not_define_are_refused(
    http: httpx.AsyncClient, extra: dict[str, Any], message: str, key: dict[str, str]
) -> None:
    response = await http.post(chat_path(), headers=key, json=body(**extra))

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(message)


async def test_a_later_api_version_defines_more_fields_and_the_developer_role(
    http: httpx.AsyncClient, key: dict[str, str]
) -> None:
    request = {
        "messages": [{"role": "developer", "content": "be brief"}, {"role": "user", "content": "hi"}],
        "store": False,
        "metadata": {"team": "a"},
        "reasoning_effort": "low",
    }

    at_preview = await http.post(chat_path(version=PREVIEW), headers=key, json=request)
    at_ga = await http.post(chat_path(), headers=key, json={"messages": request["messages"]})

    assert at_preview.status_code == 200
    assert at_ga.status_code == 400
    assert at_ga.json()["error"]["param"] == "messages[0].role"


async def test_the_ga_api_version_takes_text_and_image_parts_only(
    http: httpx.AsyncClient, key: dict[str, str]
) -> None:
    audio = {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
    request = {"messages": [{"role": "user", "content": [{"type": "text", "text": "hear"}, audio]}]}

    response = await http.post(chat_path(), headers=key, json=request)

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "messages[0].content[1].type"


async def test_openais_own_rules_still_apply_on_deployment_paths(
    http: httpx.AsyncClient, key: dict[str, str]
) -> None:
    request = {
        "messages": [{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "x", "content": "y"}]
    }

    response = await http.post(chat_path(), headers=key, json=request)

    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["param"] == "messages.[1].role"


async def test_azure_extras_are_accepted_on_deployment_paths(
    http: httpx.AsyncClient, key: dict[str, str]
) -> None:
    sources = [{"type": "azure_search", "parameters": {"endpoint": "https://s", "index_name": "i"}}]

    response = await http.post(chat_path(), headers=key, json=body(data_sources=sources))
    bad = await http.post(chat_path(), headers=key, json=body(data_sources=[{"parameters": {}}]))

    assert response.status_code == 200
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "data_sources[0].type"


# --- embeddings -------------------------------------------------------------------------------


async def test_deployment_embeddings_take_text_only(http: httpx.AsyncClient, key: dict[str, str]) -> None:
    path = f"/openai/deployments/emb-large/embeddings?api-version={GA}"

    texts = await http.post(
        path, headers=key, json={"input": ["a", "b"], "dimensions": 4, "input_type": "query"}
    )
    tokens = await http.post(path, headers=key, json={"input": [[1, 2], [3]]})
    unknown = await http.post(path, headers=key, json={"input": "a", "extra": 1})

    assert texts.status_code == 200
    assert [len(item["embedding"]) for item in texts.json()["data"]] == [4, 4]
    assert texts.json()["model"] == "emb-large"
    assert tokens.status_code == 400 and tokens.json()["error"]["param"] == "input"
    assert unknown.status_code == 400 and "extra" in unknown.json()["error"]["message"]
