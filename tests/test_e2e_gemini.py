"""Providers of `type: gemini` and `type: vertex` through the running suite, driven with the official `openai` SDK.

The fake provider serves Google AI Studio (key in `x-goog-api-key`) and Vertex
AI (a bearer token from its own OAuth token endpoint, which verifies the JWT
the router signs with a service-account key this module generates). It
checks every GenerateContentRequest as Google does; the client must see
OpenAI's API: text, streams, tools (streamed and not), images by data URL and
by URL (fetched by the router, since Gemini needs bytes), embeddings, faults.
"""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chat_samples import CLOCK, PNG_BYTES, stream_chat_events
from harness import FAKE_KEY, FakeProvider, Gateway

PROJECT = "aigw-test"
VERTEX_PATH = f"/v1/projects/{PROJECT}/locations/us-central1/publishers/google/models"
SUITE_CONFIG = """\
providers:
  - name: gemini
    type: gemini
    base_url: {fake_url}
    api_key: env:FAKE_UPSTREAM_KEY
    timeout_s: 5
    image_fetch: {{allow_http: true, allow_private_addresses: true}}
  - name: vertex
    type: vertex
    base_url: {fake_url}
    project: aigw-test
    region: us-central1
    service_account: env:VERTEX_E2E_SERVICE_ACCOUNT
    token_url: {fake_url}/token
    timeout_s: 5
    image_fetch: {{allow_http: true, allow_private_addresses: true}}
  - name: vertex-fresh
    type: vertex
    base_url: {fake_url}
    project: aigw-test
    region: us-central1
    service_account: env:VERTEX_E2E_SERVICE_ACCOUNT
    token_url: {fake_url}/token
    timeout_s: 5
models:
  - name: gemini-chat
    deployments: [{{provider: gemini, model: gemini-2.0-flash}}]
  - name: vertex-chat
    deployments: [{{provider: vertex, model: gemini-3-flash-preview}}]
  - name: vertex-fresh
    deployments: [{{provider: vertex-fresh, model: gemini-2.5-flash}}]
  - name: gemini-faulty
    deployments: [{{provider: gemini, model: gemini-faulty}}]
  - name: vertex-faulty
    deployments: [{{provider: vertex, model: vertex-faulty}}]
  - name: gemini-embed
    deployments: [{{provider: gemini, model: gemini-embedding-001}}]
  - name: vertex-embed
    deployments: [{{provider: vertex, model: text-embedding-005}}]
"""
CHATS = ["gemini-chat", "vertex-chat"]
WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "units": {"type": ["string", "null"], "enum": ["C", "F"]},
            },
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh service-account key: the router signs with it, the fake verifies with it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "e2e-key",
        "private_key": pem,
        "client_email": f"gateway@{PROJECT}.iam.gserviceaccount.com",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path = tmp_path_factory.mktemp("google") / "service-account.json"
    path.write_text(json.dumps(info))
    return path


@pytest.fixture(scope="module")
def suite_fake_args(key_file: Path) -> tuple[str, ...]:
    return ("--google-service-account", str(key_file))


@pytest.fixture(scope="module")
def suite_env(key_file: Path) -> dict[str, str]:
    return {"VERTEX_E2E_SERVICE_ACCOUNT": key_file.read_text()}


@pytest.fixture(scope="module")
def key(suite_gateway: Gateway) -> str:
    secret: str = suite_gateway.create_key("gemini")["key"]
    return secret


@pytest.fixture
def client(suite_gateway: Gateway, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=suite_gateway.v1, api_key=key, max_retries=0, timeout=20)


def _upstream(fake: FakeProvider, marker: str) -> list[dict[str, Any]]:
    return [r for r in fake.requests() if marker in r["path"]]


def _generations(fake: FakeProvider) -> list[dict[str, Any]]:
    """The generateContent and streamGenerateContent requests that reached the fake."""
    return [r for r in fake.requests() if r["path"].lower().endswith("generatecontent")]


# --- chat --------------------------------------------------------------------------------------------------


def test_ai_studio_gets_the_key_in_its_header_and_a_translated_conversation(
    client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="gemini-chat",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello gemini"}],
        max_tokens=50,
        temperature=0.5,
    )
    answer = raw.parse()

    assert answer.choices[0].message.content == "Echo: hello gemini"
    assert answer.choices[0].finish_reason == "stop" and answer.model == "gemini-2.0-flash"
    assert answer.usage is not None and (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (4, 3)
    assert raw.headers["x-aigw-provider"] == "gemini"
    [sent] = _generations(suite_fake)
    assert sent["path"] == "/v1beta/models/gemini-2.0-flash:generateContent"
    assert sent["headers"]["x-goog-api-key"] == FAKE_KEY and "authorization" not in sent["headers"]
    assert sent["body"] == {
        "contents": [{"role": "user", "parts": [{"text": "hello gemini"}]}],
        "systemInstruction": {"parts": [{"text": "be brief"}]},
        "generationConfig": {"maxOutputTokens": 50, "temperature": 0.5},
    }


def test_vertex_gets_a_bearer_token_and_reports_reasoning_tokens(
    client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    answer = client.chat.completions.create(
        model="vertex-chat", messages=[{"role": "user", "content": "hello vertex"}]
    )

    assert answer.choices[0].message.content == "Echo: hello vertex"
    assert answer.usage is not None and answer.usage.completion_tokens_details is not None
    assert answer.usage.completion_tokens_details.reasoning_tokens == 3
    assert answer.usage.completion_tokens == 6
    [sent] = _generations(suite_fake)
    assert sent["path"] == f"{VERTEX_PATH}/gemini-3-flash-preview:generateContent"
    assert sent["headers"]["authorization"].startswith("Bearer ya29.")
    assert "x-goog-api-key" not in sent["headers"]


def test_a_vertex_token_is_fetched_once_and_renewed_after_vertex_refuses_it(
    client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    def ask(text: str) -> str | None:
        return (
            client.chat.completions.create(model="vertex-fresh", messages=[{"role": "user", "content": text}])
            .choices[0]
            .message.content
        )

    assert [ask("first"), ask("second")] == ["Echo: first", "Echo: second"]
    assert len(_upstream(suite_fake, "/token")) == 1
    [bearer] = {r["headers"]["authorization"] for r in _generations(suite_fake)}
    token = bearer.removeprefix("Bearer ")
    httpx.delete(f"{suite_fake.url}/_fake/google/tokens/{token}").raise_for_status()

    with pytest.raises(openai.APIStatusError) as refused:
        ask("third")
    recovered = ask("fourth")

    assert refused.value.status_code == 502 and refused.value.body["code"] == "upstream_auth_failed"  # type: ignore[index]
    assert recovered == "Echo: fourth"
    assert len(_upstream(suite_fake, "/token")) == 2


@pytest.mark.parametrize("model", CHATS)
def test_a_stream_arrives_in_chunks_then_usage(client: openai.OpenAI, model: str) -> None:
    stream = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "one two three four"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: one two three four"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.prompt_tokens == 4
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) == 5


def test_a_stream_without_include_usage_carries_no_usage(suite_gateway: Gateway, key: str) -> None:
    with httpx.stream(
        "POST",
        f"{suite_gateway.v1}/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": "gemini-chat", "messages": [{"role": "user", "content": "hi"}], "stream": True},
        timeout=20,
    ) as response:
        body = response.read().decode()

    assert body.rstrip().endswith("data: [DONE]") and '"usage"' not in body


# --- tools ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", CHATS)
def test_parallel_tool_calls_and_their_results_round_trip(
    client: openai.OpenAI, suite_fake: FakeProvider, model: str
) -> None:
    messages: list[Any] = [{"role": "user", "content": "Weather and time in Paris?"}]
    first = client.chat.completions.create(model=model, messages=messages, tools=[WEATHER, CLOCK])

    calls = first.choices[0].message.tool_calls or []
    assert first.choices[0].finish_reason == "tool_calls"
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [  # type: ignore[union-attr]
        ("get_weather", {"city": "sample city"}),
        ("get_time", {"zone": "sample zone"}),
    ]
    messages.append(first.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": calls[1].id, "content": "14:05"})
    messages.append({"role": "tool", "tool_call_id": calls[0].id, "content": '{"celsius": 21}'})

    second = client.chat.completions.create(model=model, messages=messages, tools=[WEATHER, CLOCK])

    assert second.choices[0].message.content == 'Tool results: {"celsius": 21}; 14:05'
    declared = _generations(suite_fake)[0]["body"]["tools"][0]["functionDeclarations"][0]
    assert declared["parameters"]["properties"]["units"] == {
        "type": "STRING",
        "enum": ["C", "F"],
        "nullable": True,
    }


@pytest.mark.parametrize("model", CHATS)
def test_streamed_tool_calls_carry_index_and_id_first_and_arguments_that_parse(
    client: openai.OpenAI, model: str
) -> None:
    stream = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "go"}], tools=[WEATHER, CLOCK], stream=True
    )
    chunks = list(stream)

    deltas = [d for c in chunks if c.choices for d in c.choices[0].delta.tool_calls or []]
    by_index: dict[int, dict[str, str]] = {}
    for delta in deltas:
        entry = by_index.setdefault(delta.index, {"id": delta.id or "", "name": "", "arguments": ""})
        assert entry["id"], "the first delta of a call carries its id"
        if delta.function is not None:
            entry["name"] += delta.function.name or ""
            entry["arguments"] += delta.function.arguments or ""
    assert [(e["name"], json.loads(e["arguments"])) for e in by_index.values()] == [
        ("get_weather", {"city": "sample city"}),
        ("get_time", {"zone": "sample zone"}),
    ]
    assert sorted(by_index) == [0, 1] and by_index[0]["id"] != by_index[1]["id"]
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


def test_a_named_tool_choice_forces_that_function(client: openai.OpenAI, suite_fake: FakeProvider) -> None:
    answer = client.chat.completions.create(
        model="gemini-chat",
        messages=[{"role": "user", "content": "go"}],
        tools=[WEATHER, CLOCK],
        tool_choice={"type": "function", "function": {"name": "get_time"}},
    )

    assert [c.function.name for c in answer.choices[0].message.tool_calls or []] == ["get_time"]  # type: ignore[union-attr]
    assert _generations(suite_fake)[0]["body"]["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_time"]}
    }


def test_a_request_gemini_refuses_is_a_400_with_googles_reason(client: openai.OpenAI) -> None:
    bad_name: Any = {"type": "function", "function": {"name": "9lives", "parameters": {"type": "object"}}}

    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(
            model="gemini-chat", messages=[{"role": "user", "content": "go"}], tools=[bad_name]
        )

    assert "Invalid function name" in refused.value.message


# --- images -------------------------------------------------------------------------------------------------------


def _inline_images(fake: FakeProvider) -> list[bytes]:
    [sent] = _generations(fake)
    parts = [part for content in sent["body"]["contents"] for part in content["parts"]]
    return [base64.b64decode(part["inlineData"]["data"]) for part in parts if "inlineData" in part]


@pytest.mark.parametrize("model", CHATS)
def test_an_image_by_data_url_reaches_gemini_as_its_bytes(
    client: openai.OpenAI, suite_fake: FakeProvider, model: str
) -> None:
    url = "data:image/png;base64," + base64.b64encode(PNG_BYTES).decode()
    answer = client.chat.completions.create(
        model=model,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is it"},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ],
    )

    assert answer.choices[0].message.content == "Echo: what is it [1 image]"
    assert _inline_images(suite_fake) == [PNG_BYTES]


@pytest.mark.parametrize("model", CHATS)
def test_an_image_by_url_is_fetched_by_the_gateway_and_sent_as_bytes(
    client: openai.OpenAI, suite_fake: FakeProvider, model: str
) -> None:
    url = f"{suite_fake.url}/_fake/images/{model}.png"
    served = httpx.get(url).content

    answer = client.chat.completions.create(
        model=model,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "and this"},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ],
    )

    assert answer.choices[0].message.content == "Echo: and this [1 image]"
    assert _inline_images(suite_fake) == [served] and served.startswith(b"\x89PNG")


# --- embeddings ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "marker"), [("gemini-embed", ":batchEmbedContents"), ("vertex-embed", ":predict")]
)
def test_embeddings_come_back_in_order_as_floats_and_as_base64(
    client: openai.OpenAI,
    suite_gateway: Gateway,
    key: str,
    suite_fake: FakeProvider,
    model: str,
    marker: str,
) -> None:
    texts = ["the first text", "a second one", "and a third"]

    batch = client.embeddings.create(model=model, input=texts, dimensions=8)
    single = client.embeddings.create(model=model, input=texts[1], dimensions=8)
    raw = httpx.post(
        f"{suite_gateway.v1}/embeddings",
        headers={"authorization": f"Bearer {key}"},
        json={"model": model, "input": texts, "dimensions": 8, "encoding_format": "base64"},
    ).json()

    assert [item.index for item in batch.data] == [0, 1, 2]
    assert all(len(item.embedding) == 8 for item in batch.data)
    assert batch.data[1].embedding == single.data[0].embedding
    decoded = [list(struct.unpack("<8f", base64.b64decode(item["embedding"]))) for item in raw["data"]]
    assert decoded == [pytest.approx(item.embedding, rel=1e-6) for item in batch.data]
    assert len(_upstream(suite_fake, marker)) == 3


# --- faults -----------------------------------------------------------------------------------------------------------------


def _ask(gateway: Gateway, key: str, model: str, **extra: Any) -> httpx.Response:
    return httpx.post(
        f"{gateway.v1}/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": model, "messages": [{"role": "user", "content": "one two three four five"}], **extra},
        timeout=20,
    )


def test_ai_studios_429_keeps_its_retry_delay_as_retry_after(
    suite_gateway: Gateway, key: str, suite_fake: FakeProvider
) -> None:
    suite_fake.knobs(model="gemini-faulty", fault="429", retry_after=3)

    response = _ask(suite_gateway, key, "gemini-faulty")

    assert response.status_code == 429 and response.headers["retry-after"] == "3"
    assert response.json()["error"]["code"] == "upstream_rate_limited"
    assert FAKE_KEY not in response.text


@pytest.mark.parametrize(
    ("model", "upstream"), [("gemini-faulty", "gemini-faulty"), ("vertex-faulty", "vertex-faulty")]
)
@pytest.mark.parametrize(
    ("fault", "status", "code"), [("503", 503, "upstream_overloaded"), ("429", 429, "upstream_rate_limited")]
)
def test_overload_and_rate_limits_keep_their_meaning(
    suite_gateway: Gateway,
    key: str,
    suite_fake: FakeProvider,
    model: str,
    upstream: str,
    fault: str,
    status: int,
    code: str,
) -> None:
    suite_fake.knobs(model=upstream, fault=fault)

    response = _ask(suite_gateway, key, model)

    assert response.status_code == status and response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("model", "upstream"), [("gemini-faulty", "gemini-faulty"), ("vertex-faulty", "vertex-faulty")]
)
def test_a_stream_that_breaks_midway_ends_with_an_error_event_not_done(
    suite_gateway: Gateway, key: str, suite_fake: FakeProvider, model: str, upstream: str
) -> None:
    suite_fake.knobs(model=upstream, fault="drop", drop_after_chunks=2)

    with httpx.stream(
        "POST",
        f"{suite_gateway.v1}/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": model, "messages": [{"role": "user", "content": "a b c d e f"}], "stream": True},
        timeout=20,
    ) as response:
        body = response.read().decode()

    assert response.status_code == 200
    events = [e for e in body.split("\n\n") if e]
    assert len(events) == 3
    assert '"error"' in events[-1] and '"upstream_disconnected"' in events[-1]
    assert "[DONE]" not in body


@pytest.mark.parametrize(
    ("model", "upstream"), [("gemini-faulty", "gemini-faulty"), ("vertex-faulty", "vertex-faulty")]
)
def test_an_unavailable_status_midway_ends_the_stream_with_an_overloaded_error_event_not_done(
    suite_gateway: Gateway, key: str, suite_fake: FakeProvider, model: str, upstream: str
) -> None:
    # Google fails a started stream with its Status envelope as an SSE event: 503 UNAVAILABLE.
    suite_fake.knobs(model=upstream, fault="stream_error", drop_after_chunks=2)

    status, events, body = stream_chat_events(suite_gateway.v1, key, model)

    assert status == 200
    assert "".join(e["choices"][0]["delta"].get("content") or "" for e in events[:-1]) == "Echo: a"
    assert set(events[-1]) == {"error"} and events[-1]["error"]["code"] == "upstream_overloaded"
    assert "[DONE]" not in body
