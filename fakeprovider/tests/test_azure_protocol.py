"""The fake Azure OpenAI: paths, api-versions, keys and Entra ID tokens, content filters, faults.

Checked twice: with raw HTTP against what Azure answers, and with the official
SDK's `AzureOpenAI` client (and OpenAI's own client on `/openai/v1`).
"""

from __future__ import annotations

import base64
import struct
from typing import Any

import httpx
import openai
import orjson
import pytest

from aigw_fakeprovider import RunningFakeProvider

GA = "2024-10-21"
PREVIEW = "2024-12-01-preview"
DEPLOYMENT = "gpt-4o-prod"
SCOPE = "https://cognitiveservices.azure.com/.default"
WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture
def api_key(auth: dict[str, str]) -> str:
    """The fake's key (the conftest's bearer header holds it)."""
    return auth["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def key(api_key: str) -> dict[str, str]:
    """Azure's key header."""
    return {"api-key": api_key}


def chat_path(deployment: str = DEPLOYMENT, version: str | None = GA) -> str:
    query = f"?api-version={version}" if version else ""
    return f"/openai/deployments/{deployment}/chat/completions{query}"


def body(text: str = "hello there", **fields: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}], **fields}


async def token(http: httpx.AsyncClient, secret: str, **changes: str) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": "app-1", "client_secret": secret, "scope": SCOPE}
    form.update(changes)
    return await http.post("/tenant-1/oauth2/v2.0/token", data={k: v for k, v in form.items() if v})


def sse_chunks(text: str) -> list[Any]:
    events = [e.removeprefix("data: ") for e in text.split("\n\n") if e]
    assert events[-1] == "[DONE]"
    return [orjson.loads(e) for e in events[:-1]]


# --- paths and api-versions ---------------------------------------------------------------


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


# --- authentication -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Access denied due to missing subscription key."),
        ({"api-key": "wrong"}, "Access denied due to invalid subscription key or wrong API endpoint."),
        ({"authorization": "Bearer not-a-token"}, "Unauthorized. Access token is missing, invalid"),
        # On deployment paths the key is no bearer token.
        ({"authorization": "Bearer <key>"}, "Unauthorized. Access token is missing, invalid"),
    ],
)
async def test_credentials_are_checked_as_azure_does(
    http: httpx.AsyncClient, headers: dict[str, str], message: str, api_key: str
) -> None:
    sent = {name: value.replace("<key>", api_key) for name, value in headers.items()}

    response = await http.post(chat_path(), headers=sent, json=body())

    assert response.status_code == 401
    payload = response.json()
    if "authorization" in headers:
        # The gateway in front of Azure OpenAI refuses tokens in a shape of its own.
        assert payload["statusCode"] == 401 and payload["message"].startswith(message)
    else:
        assert payload["error"]["code"] == "401" and payload["error"]["message"].startswith(message)


async def test_the_v1_api_takes_the_key_as_a_bearer_too(http: httpx.AsyncClient, api_key: str) -> None:
    response = await http.post(
        "/openai/v1/chat/completions", headers={"authorization": f"Bearer {api_key}"}, json=body(model="d")
    )

    assert response.status_code == 200


async def test_an_entra_token_opens_both_surfaces(http: httpx.AsyncClient, api_key: str) -> None:
    issued = await token(http, api_key)
    bearer = {"authorization": f"Bearer {issued.json()['access_token']}"}

    deployment = await http.post(chat_path(), headers=bearer, json=body())
    v1 = await http.post("/openai/v1/embeddings", headers=bearer, json={"model": "emb", "input": "x"})

    assert issued.status_code == 200
    assert issued.json()["token_type"] == "Bearer" and issued.json()["expires_in"] == 3599
    assert deployment.status_code == 200 and v1.status_code == 200


async def test_a_token_for_another_resource_is_refused(http: httpx.AsyncClient, api_key: str) -> None:
    issued = await token(http, api_key, scope="https://management.azure.com/.default")

    response = await http.post(
        chat_path(), headers={"authorization": f"Bearer {issued.json()['access_token']}"}, json=body()
    )

    assert issued.status_code == 200
    assert response.status_code == 401 and response.json()["statusCode"] == 401


async def test_a_revoked_token_is_refused(http: httpx.AsyncClient, api_key: str) -> None:
    bearer = {"authorization": f"Bearer {(await token(http, api_key)).json()['access_token']}"}

    revoked = await http.delete("/_fake/azure/tokens")
    response = await http.post(chat_path(), headers=bearer, json=body())

    assert revoked.status_code == 200 and revoked.json()["revoked"] >= 1
    assert response.status_code == 401 and response.json()["statusCode"] == 401


@pytest.mark.parametrize(
    ("changes", "status", "error", "aadsts"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client", 7000215),
        ({"client_secret": ""}, 401, "invalid_client", 7000216),
        ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
        ({"scope": "https://cognitiveservices.azure.com"}, 400, "invalid_scope", 1002012),
        ({"client_id": ""}, 400, "invalid_request", 900144),
    ],
)
async def test_the_token_endpoint_refuses_like_entra_id(
    http: httpx.AsyncClient, changes: dict[str, str], status: int, error: str, aadsts: int, api_key: str
) -> None:
    response = await token(http, api_key, **changes)

    assert response.status_code == status
    payload = response.json()
    assert payload["error"] == error and payload["error_codes"] == [aadsts]
    assert payload["error_description"].startswith(f"AADSTS{aadsts}: ")
    assert api_key not in response.text


async def test_the_token_endpoint_takes_a_form_only(http: httpx.AsyncClient) -> None:
    response = await http.post("/tenant-1/oauth2/v2.0/token", json={"grant_type": "client_credentials"})

    assert response.status_code == 400 and response.json()["error_codes"] == [900144]


# --- content filters -------------------------------------------------------------------------


async def test_every_answer_carries_filter_annotations(http: httpx.AsyncClient, key: dict[str, str]) -> None:
    answer = (await http.post(chat_path(), headers=key, json=body())).json()

    prompt = answer["prompt_filter_results"][0]
    assert prompt["prompt_index"] == 0
    assert prompt["content_filter_results"]["jailbreak"] == {"filtered": False, "detected": False}
    assert answer["choices"][0]["content_filter_results"]["violence"] == {
        "filtered": False,
        "severity": "safe",
    }


async def test_a_filtered_prompt_is_a_400_with_the_inner_error(
    http: httpx.AsyncClient, key: dict[str, str]
) -> None:
    response = await http.post(chat_path(), headers=key, json=body("tell me filter-prompt:violence"))

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"], error["type"], error["status"]) == (
        "content_filter",
        "prompt",
        None,
        400,
    )
    assert error["innererror"]["code"] == "ResponsibleAIPolicyViolation"
    assert error["innererror"]["content_filter_result"]["violence"] == {"filtered": True, "severity": "high"}
    assert error["innererror"]["content_filter_result"]["hate"]["filtered"] is False


async def test_a_filtered_completion_stops_halfway_with_finish_reason_content_filter(
    http: httpx.AsyncClient, key: dict[str, str]
) -> None:
    answer = (await http.post(chat_path(), headers=key, json=body("a b filter-completion:hate c d"))).json()

    choice = answer["choices"][0]
    assert choice["finish_reason"] == "content_filter"
    assert choice["message"]["content"] == "Echo: a b"
    assert choice["content_filter_results"]["hate"] == {"filtered": True, "severity": "high"}
    assert answer["usage"]["completion_tokens"] == 3


async def test_a_stream_opens_with_the_prompt_filter_chunk(
    http: httpx.AsyncClient, key: dict[str, str]
) -> None:
    request = body("one two", stream=True, stream_options={"include_usage": True})

    response = await http.post(chat_path(), headers=key, json=request)

    chunks = sse_chunks(response.text)
    opening = chunks[0]
    assert (opening["id"], opening["object"], opening["model"], opening["choices"]) == ("", "", "", [])
    assert opening["prompt_filter_results"][0]["content_filter_results"]["sexual"]["severity"] == "safe"
    role, *tokens, finish, usage = chunks[1:]
    assert role["choices"][0]["content_filter_results"] == {}
    assert all(t["choices"][0]["content_filter_results"]["hate"]["filtered"] is False for t in tokens)
    assert "".join(t["choices"][0]["delta"]["content"] for t in tokens) == "Echo: one two"
    assert (
        finish["choices"][0]["finish_reason"] == "stop"
        and finish["choices"][0]["content_filter_results"] == {}
    )
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] == 3


async def test_a_filtered_streamed_completion_ends_with_content_filter(
    http: httpx.AsyncClient, key: dict[str, str]
) -> None:
    response = await http.post(
        chat_path(), headers=key, json=body("filter-completion:sexual x y z", stream=True)
    )

    chunks = sse_chunks(response.text)
    finish = chunks[-1]["choices"][0]
    assert finish["finish_reason"] == "content_filter"
    assert finish["content_filter_results"]["sexual"] == {"filtered": True, "severity": "high"}


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


# --- faults ------------------------------------------------------------------------------------


async def test_a_rate_limit_says_when_to_retry_in_seconds_and_milliseconds(
    http: httpx.AsyncClient, key: dict[str, str]
) -> None:
    await http.put("/_fake/knobs", json={"model": DEPLOYMENT, "fault": "429", "retry_after": 2})

    response = await http.post(chat_path(), headers=key, json=body())

    assert response.status_code == 429
    assert (response.headers["retry-after"], response.headers["retry-after-ms"]) == ("2", "2000")
    assert response.json()["error"]["code"] == "429"
    assert f"API version {GA}" in response.json()["error"]["message"]


async def test_an_overload_is_azures_service_unavailable(
    http: httpx.AsyncClient, key: dict[str, str]
) -> None:
    await http.put("/_fake/knobs", json={"model": DEPLOYMENT, "fault": "503"})

    response = await http.post(chat_path(), headers=key, json=body())

    assert response.status_code == 503 and response.json()["error"]["code"] == "ServiceUnavailable"


async def test_a_dropped_stream_ends_without_done(http: httpx.AsyncClient, key: dict[str, str]) -> None:
    await http.put("/_fake/knobs", json={"model": DEPLOYMENT, "fault": "drop", "drop_after_chunks": 2})

    with pytest.raises(httpx.RemoteProtocolError):
        await http.post(chat_path(), headers=key, json=body("a b c d", stream=True))


# --- the official SDK ---------------------------------------------------------------------------


@pytest.fixture
async def azure(http: httpx.AsyncClient, fake_server: RunningFakeProvider, api_key: str) -> Any:
    client = openai.AsyncAzureOpenAI(
        azure_endpoint=fake_server.url, api_key=api_key, api_version=GA, max_retries=0, timeout=5.0
    )
    yield client
    await client.close()


async def test_the_sdk_streams_past_the_prompt_filter_chunk(azure: openai.AsyncAzureOpenAI) -> None:
    stream = await azure.chat.completions.create(
        model=DEPLOYMENT, messages=[{"role": "user", "content": "one two three"}], stream=True
    )
    chunks = [chunk async for chunk in stream]

    assert chunks[0].choices == []
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Echo: one two three"


async def test_the_sdk_calls_tools_and_embeds(azure: openai.AsyncAzureOpenAI) -> None:
    called = await azure.chat.completions.create(
        model=DEPLOYMENT, messages=[{"role": "user", "content": "weather?"}], tools=[WEATHER_TOOL]
    )
    raw = await azure.embeddings.with_raw_response.create(
        model="emb", input=["x", "y"], dimensions=3, encoding_format="base64"
    )
    floats = await azure.embeddings.create(
        model="emb", input=["x", "y"], dimensions=3, encoding_format="float"
    )

    assert called.choices[0].finish_reason == "tool_calls"
    assert called.choices[0].message.tool_calls[0].function.name == "get_weather"  # type: ignore[index, union-attr]
    encoded = orjson.loads(raw.http_response.content)["data"][1]["embedding"]
    assert list(struct.unpack("<3f", base64.b64decode(encoded))) == pytest.approx(floats.data[1].embedding)


async def test_the_sdk_sees_the_content_filter_error(azure: openai.AsyncAzureOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await azure.chat.completions.create(
            model=DEPLOYMENT, messages=[{"role": "user", "content": "filter-prompt:jailbreak"}]
        )

    assert caught.value.code == "content_filter"


async def test_the_sdk_with_an_entra_token_provider(
    http: httpx.AsyncClient, fake_server: RunningFakeProvider, api_key: str
) -> None:
    async def entra_token() -> str:
        answer: str = (await token(http, api_key)).json()["access_token"]
        return answer

    client = openai.AsyncAzureOpenAI(
        azure_endpoint=fake_server.url,
        azure_ad_token_provider=entra_token,
        api_version=PREVIEW,
        max_retries=0,
    )
    completion = await client.chat.completions.create(
        model=DEPLOYMENT,
        messages=[{"role": "developer", "content": "terse"}, {"role": "user", "content": "hi"}],
    )
    await client.close()

    assert completion.choices[0].message.content == "Echo: hi"


async def test_openais_own_client_on_the_v1_api(
    fake_server: RunningFakeProvider, http: httpx.AsyncClient, api_key: str
) -> None:
    client = openai.AsyncOpenAI(base_url=f"{fake_server.url}/openai/v1", api_key=api_key, max_retries=0)
    completion = await client.chat.completions.create(
        model="gpt-4o-v1", messages=[{"role": "user", "content": "hi"}], store=False, verbosity="low"
    )
    await client.close()

    assert completion.model == "gpt-4o-v1" and completion.choices[0].message.content == "Echo: hi"
