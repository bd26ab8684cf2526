"""The fake's Gemini protocols (AI Studio and Vertex AI) and Google's token endpoint: strict like the real APIs."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt, jwt

from aigw_fakeprovider import ServerSettings, running_fake_provider
from aigw_fakeprovider.cli import settings_from_args
from aigw_fakeprovider.images import png_for

KEY = "AIzaSyFake0123456789abcdefghijklmnopq"
EMAIL = "gateway@aigw-test.iam.gserviceaccount.com"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
GENERATE = "/v1beta/models/gemini-2.0-flash:generateContent"
STREAM = "/v1beta/models/gemini-2.0-flash:streamGenerateContent"
VERTEX = "/v1/projects/aigw-test/locations/us-central1/publishers/google/models"
WEATHER = {
    "name": "get_weather",
    "description": "Weather in a city",
    "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]},
}
TIME = {"name": "get_time", "parameters": {"type": "OBJECT", "properties": {"zone": {"type": "STRING"}}}}


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="module")
def account_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
async def google(
    account_key: rsa.RSAPrivateKey, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """A fake provider that knows one service account, and a client on it."""
    key_file = tmp_path_factory.mktemp("google") / "sa.json"
    info = {
        "type": "service_account",
        "project_id": "aigw-test",
        "private_key_id": "k1",
        "private_key": _pem(account_key),
        "client_email": EMAIL,
    }
    key_file.write_text(json.dumps(info))
    settings = ServerSettings(port=0, api_key=KEY, google_service_account=str(key_file))
    async with (
        running_fake_provider(settings) as fake,
        httpx.AsyncClient(base_url=fake.url, timeout=5) as client,
    ):
        yield client


@pytest.fixture
async def http(google: httpx.AsyncClient) -> httpx.AsyncClient:
    (await google.delete("/_fake/knobs")).raise_for_status()
    (await google.delete("/_fake/requests")).raise_for_status()
    return google


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text}]}


async def _generate(
    http: httpx.AsyncClient, body: dict[str, Any], path: str = GENERATE, **headers: str
) -> httpx.Response:
    return await http.post(path, json=body, headers={"x-goog-api-key": KEY, **headers})


def _error(response: httpx.Response, status: int, google_status: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == status and error["status"] == google_status
    message: str = error["message"]
    return message


def _token_url(http: httpx.AsyncClient) -> str:
    return str(http.base_url).rstrip("/") + "/token"


def _assertion(key: rsa.RSAPrivateKey, token_url: str, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": EMAIL, "scope": SCOPE, "aud": token_url, "iat": now, "exp": now + 3600, **claims}
    signer = crypt.RSASigner.from_string(_pem(key), claims.pop("kid", "k1"))  # type: ignore[no-untyped-call]
    signed: bytes = jwt.encode(signer, {k: v for k, v in payload.items() if v is not None and k != "kid"})  # type: ignore[no-untyped-call]
    return signed.decode()


async def _token(
    http: httpx.AsyncClient, assertion: str, grant: str = "urn:ietf:params:oauth:grant-type:jwt-bearer"
) -> httpx.Response:
    return await http.post("/token", data={"grant_type": grant, "assertion": assertion})


async def _access_token(http: httpx.AsyncClient, key: rsa.RSAPrivateKey) -> str:
    response = await _token(http, _assertion(key, _token_url(http)))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


# --- AI Studio: generateContent ----------------------------------------------------------------------------


async def test_a_conversation_is_answered_deterministically_with_usage(http: httpx.AsyncClient) -> None:
    body = {"systemInstruction": {"parts": [{"text": "be brief"}]}, "contents": [_user("hello there")]}

    answer = (await _generate(http, body)).json()

    assert answer["candidates"] == [
        {
            "content": {"parts": [{"text": "Echo: hello there"}], "role": "model"},
            "finishReason": "STOP",
            "index": 0,
        }
    ]
    assert (
        answer["usageMetadata"]["promptTokenCount"] == 4
        and answer["usageMetadata"]["candidatesTokenCount"] == 3
    )
    assert (
        answer["usageMetadata"]["totalTokenCount"] == 7
        and "thoughtsTokenCount" not in answer["usageMetadata"]
    )
    assert answer["modelVersion"] == "gemini-2.0-flash" and answer["responseId"]


async def test_thinking_models_report_thought_tokens(http: httpx.AsyncClient) -> None:
    answer = (
        await _generate(
            http, {"contents": [_user("one two")]}, "/v1beta/models/gemini-2.5-flash:generateContent"
        )
    ).json()
    usage = answer["usageMetadata"]
    assert usage["thoughtsTokenCount"] == usage["candidatesTokenCount"] == 3
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + 6


async def test_the_key_may_come_as_a_query_parameter_and_snake_case_names_parse(
    http: httpx.AsyncClient,
) -> None:
    body = {
        "system_instruction": {"parts": [{"text": "x"}]},
        "contents": [_user("hi")],
        "generation_config": {"max_output_tokens": 1},
    }

    response = await http.post(f"{GENERATE}?key={KEY}", json=body)

    assert response.status_code == 200, response.text
    assert response.json()["candidates"][0]["finishReason"] == "MAX_TOKENS"


async def test_no_key_is_googles_403_and_a_wrong_key_its_api_key_invalid(http: httpx.AsyncClient) -> None:
    missing = await http.post(GENERATE, json={"contents": [_user("hi")]})
    wrong = await http.post(
        GENERATE, json={"contents": [_user("hi")]}, headers={"x-goog-api-key": "AIzaWrong"}
    )

    assert "unregistered callers" in _error(missing, 403, "PERMISSION_DENIED")
    assert _error(wrong, 400, "INVALID_ARGUMENT") == "API key not valid. Please pass a valid API key."
    assert wrong.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"messages": []}, 'Invalid JSON payload received. Unknown name "messages": Cannot find field.'),
        ({"contents": [{"role": "user", "parts": [{"text": "a", "type": "text"}]}]},
         "Invalid JSON payload received. Unknown name \"type\" at 'contents[0].parts[0]': Cannot find field."),
        ({"contents": [_user("a")], "generationConfig": {"max_tokens": 5}},
         "Invalid JSON payload received. Unknown name \"max_tokens\" at 'generation_config': Cannot find field."),
        ({"contents": [_user("a")], "generationConfig": {"temperature": "hot"}},
         "Invalid value at 'generation_config.temperature' (TYPE_FLOAT), \"hot\""),
        ({"contents": [_user("a")], "labels": {"team": "x"}},
         'Invalid JSON payload received. Unknown name "labels": Cannot find field.'),
        ({"contents": [{"role": "assistant", "parts": [{"text": "a"}]}]}, "Please use a valid role: user, model."),
        ({"contents": [{"role": "user", "parts": []}]},
         "* GenerateContentRequest.contents[0].parts: contents.parts must not be empty.\n"),
        ({}, "* GenerateContentRequest.contents: contents is not specified\n"),
        ({"contents": [{"role": "user", "parts": [{"text": ""}]}]},
         "Unable to submit request because it has an empty text parameter. Add a value to the parameter and try again."),
        ({"contents": [{"role": "user", "parts": [{"text": "a", "inlineData": {"mimeType": "image/png", "data": "AA=="}}]}]},
         "Invalid JSON payload received. Oneof field 'data' is already set. Cannot set 'inlineData'"),
        ({"contents": [_user("a")], "generationConfig": {"temperature": 2.5}},
         "* GenerateContentRequest.generation_config.temperature: must be between 0 and 2\n"),
        ({"contents": [_user("a")], "generationConfig": {"candidateCount": 9}},
         "* GenerateContentRequest.generation_config.candidate_count: must be between 1 and 8\n"),
        ({"contents": [_user("a")], "generationConfig": {"responseSchema": {"type": "STRING"}}},
         "* GenerateContentRequest.generation_config.response_schema: only supported with response_mime_type "
         "application/json or text/x.enum\n"),
    ],
)  # fmt: skip
async def test_bodies_the_api_refuses_are_a_400_in_googles_words(
    http: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    assert _error(await _generate(http, body), 400, "INVALID_ARGUMENT") == message


async def test_unknown_query_parameters_and_sse_on_a_unary_method_are_refused(
    http: httpx.AsyncClient,
) -> None:
    unknown = await _generate(http, {"contents": [_user("a")]}, f"{GENERATE}?stream=true")
    unary_sse = await _generate(http, {"contents": [_user("a")]}, f"{GENERATE}?alt=sse")

    assert 'Unknown name "stream": Cannot bind query parameter' in _error(unknown, 400, "INVALID_ARGUMENT")
    assert "only available on streaming methods" in _error(unary_sse, 400, "INVALID_ARGUMENT")


# --- images -----------------------------------------------------------------------------------------------------


def _image(data: bytes, mime: str = "image/png") -> dict[str, Any]:
    return {"inlineData": {"mimeType": mime, "data": base64.b64encode(data).decode()}}


async def test_an_image_is_counted_when_its_bytes_are_what_its_type_says(http: httpx.AsyncClient) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "what is it"}, _image(png_for("cat"))]}]}
    answer = (await _generate(http, body)).json()
    assert answer["candidates"][0]["content"]["parts"][0]["text"] == "Echo: what is it [1 image]"


@pytest.mark.parametrize(
    ("part", "message"),
    [
        (_image(b"GIF89a not a png"), "Unable to process input image."),
        (_image(png_for("cat"), "image/bmp"), "Unsupported MIME type: image/bmp"),
        ({"inlineData": {"mimeType": "image/png", "data": "***"}}, "Base64 decoding failed"),
    ],
)
async def test_an_image_gemini_cannot_read_is_a_400(
    http: httpx.AsyncClient, part: dict[str, Any], message: str
) -> None:
    body = {"contents": [{"role": "user", "parts": [part]}]}
    assert message in _error(await _generate(http, body), 400, "INVALID_ARGUMENT")


# --- tools -------------------------------------------------------------------------------------------------------


def _calls(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        part["functionCall"] for part in answer["candidates"][0]["content"]["parts"] if "functionCall" in part
    ]


async def test_declared_functions_are_called_in_parallel_with_arguments_from_their_schemas(
    http: httpx.AsyncClient,
) -> None:
    body = {"contents": [_user("weather and time?")], "tools": [{"functionDeclarations": [WEATHER, TIME]}]}

    answer = (await _generate(http, body)).json()

    assert _calls(answer) == [
        {"name": "get_weather", "args": {"city": "sample city"}},
        {"name": "get_time", "args": {"zone": "sample zone"}},
    ]
    assert answer["candidates"][0]["finishReason"] == "STOP"


@pytest.mark.parametrize(
    ("config", "names"),
    [
        ({"mode": "ANY", "allowedFunctionNames": ["get_time"]}, ["get_time"]),
        ({"mode": "NONE"}, []),
        ({"mode": "AUTO"}, ["get_weather", "get_time"]),
    ],
)
async def test_the_function_calling_mode_decides_what_is_called(
    http: httpx.AsyncClient, config: dict[str, Any], names: list[str]
) -> None:
    body = {
        "contents": [_user("go")],
        "tools": [{"functionDeclarations": [WEATHER, TIME]}],
        "toolConfig": {"functionCallingConfig": config},
    }
    assert [call["name"] for call in _calls((await _generate(http, body)).json())] == names


@pytest.mark.parametrize(
    ("tools", "config", "message"),
    [
        ([], {"mode": "ANY"}, "Function calling config is set without function_declarations."),
        ([WEATHER], {"mode": "AUTO", "allowedFunctionNames": ["get_weather"]},
         "allowed_function_names should only be set when mode is ANY or VALIDATED."),
        ([WEATHER], {"mode": "ANY", "allowedFunctionNames": ["nope"]}, "function nope is not declared in tools"),
        ([WEATHER], {"mode": "SOMETIMES"}, "Invalid value at 'tool_config.function_calling_config.mode'"),
        ([{"name": "1-bad"}], None, "Invalid function name."),
        ([WEATHER, WEATHER], None, "Duplicate function declaration found: get_weather"),
        ([{"name": "f", "parameters": {"type": "OBJECT", "properties": {}}}], None,
         "function_declarations[0].parameters.properties: should be non-empty for OBJECT type"),
        ([{"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "string"}}}}], None,
         "Invalid value at 'tools[0].function_declarations[0].parameters.type'"),
        ([{"name": "f", "parameters": {"type": "OBJECT", "properties": {"a": {"type": "INTEGER", "enum": ["1"]}}}}],
         None, "enum: only allowed for STRING type"),
        ([{"name": "f", "parameters": {"type": "OBJECT", "properties": {"a": {"type": "ARRAY"}}}}], None,
         "parameters.properties[a].items: missing field."),
        ([{"name": "f", "parameters": {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}, "required": ["b"]}}],
         None, "parameters.required[0]: property is not defined"),
        ([{"name": "f", "parameters": {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}, "additionalProperties": False}}],
         None, 'Unknown name "additionalProperties"'),
        ([{"name": "f", "parameters": WEATHER["parameters"], "parametersJsonSchema": {"type": "object"}}], None,
         "parameters and parameters_json_schema cannot both be set"),
    ],
)  # fmt: skip
async def test_tools_the_api_refuses_are_a_400(
    http: httpx.AsyncClient, tools: list[dict[str, Any]], config: dict[str, Any] | None, message: str
) -> None:
    body: dict[str, Any] = {
        "contents": [_user("go")],
        "tools": [{"functionDeclarations": tools}] if tools else [],
    }
    if config is not None:
        body["toolConfig"] = {"functionCallingConfig": config}
    assert message in _error(await _generate(http, body), 400, "INVALID_ARGUMENT")


async def test_a_json_schema_declaration_is_taken_as_is(http: httpx.AsyncClient) -> None:
    declaration = {
        "name": "tag",
        "parametersJsonSchema": {
            "type": "object",
            "properties": {"labels": {"type": "object", "additionalProperties": {"type": "string"}}},
            "required": ["labels"],
        },
    }
    body = {"contents": [_user("go")], "tools": [{"functionDeclarations": [declaration]}]}
    assert _calls((await _generate(http, body)).json()) == [{"name": "tag", "args": {"labels": {}}}]


def _round(calls: list[dict[str, Any]], responses: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "contents": [
            _user("weather and time?"),
            {"role": "model", "parts": [{"functionCall": call} for call in calls]},
            {"role": "user", "parts": [{"functionResponse": response} for response in responses]},
        ],
        "tools": [{"functionDeclarations": [WEATHER, TIME]}],
    }


async def test_function_responses_are_answered_as_tool_results(http: httpx.AsyncClient) -> None:
    body = _round(
        [{"name": "get_weather", "args": {"city": "Paris"}}, {"name": "get_time", "args": {}}],
        [
            {"name": "get_weather", "response": {"output": "22C"}},
            {"name": "get_time", "response": {"hour": 14}},
        ],
    )
    answer = (await _generate(http, body)).json()
    assert answer["candidates"][0]["content"]["parts"] == [{"text": 'Tool results: 22C; {"hour": 14}'}]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_round([{"name": "get_weather"}, {"name": "get_time"}], [{"name": "get_weather", "response": {}}]),
         "the number of function response parts is equal to the number of function call parts"),
        (_round([{"name": "get_weather"}], [{"name": "get_time", "response": {}}]),
         "function response parts answer the function calls of the function call turn, by name"),
        ({"contents": [_user("a"), {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]}]},
         "function response turn comes immediately after a function call turn"),
        ({"contents": [_user("a"), {"role": "model", "parts": [{"text": "b"}]},
                       {"role": "model", "parts": [{"functionCall": {"name": "f"}}]}]},
         "function call turn comes immediately after a user turn or after a function response turn"),
        ({"contents": [{"role": "user", "parts": [{"functionCall": {"name": "f"}}]}]},
         "function call turn comes immediately after a user turn"),
    ],
)  # fmt: skip
async def test_function_turns_out_of_order_are_a_400(
    http: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    assert message in _error(await _generate(http, body), 400, "INVALID_ARGUMENT")


async def test_gemini_3_signs_its_calls_and_refuses_an_unsigned_call_of_the_current_turn(
    http: httpx.AsyncClient,
) -> None:
    path = "/v1beta/models/gemini-3-pro-preview:generateContent"
    first = (
        await _generate(
            http, {"contents": [_user("weather?")], "tools": [{"functionDeclarations": [WEATHER]}]}, path
        )
    ).json()
    unsigned = _round(
        [{"name": "get_weather", "args": {"city": "Paris"}}],
        [{"name": "get_weather", "response": {"output": "sunny"}}],
    )
    signed = json.loads(json.dumps(unsigned))
    signed["contents"][1]["parts"][0]["thoughtSignature"] = "skip_thought_signature_validator"

    refused = await _generate(http, unsigned, path)
    accepted = await _generate(http, signed, path)

    assert "thoughtSignature" in first["candidates"][0]["content"]["parts"][0]
    assert "missing a thought_signature" in _error(refused, 400, "INVALID_ARGUMENT")
    assert accepted.status_code == 200, accepted.text


# --- output --------------------------------------------------------------------------------------------------------


async def test_generation_config_shapes_the_answer(http: httpx.AsyncClient) -> None:
    body = {
        "contents": [_user("one two three END four")],
        "generationConfig": {"candidateCount": 2, "stopSequences": ["END"]},
    }
    answer = (await _generate(http, body)).json()
    assert [c["content"]["parts"][0]["text"] for c in answer["candidates"]] == [
        "Echo: one two three",
        "Echo: one two three",
    ]
    assert [c["index"] for c in answer["candidates"]] == [0, 1]


@pytest.mark.parametrize(
    "config",
    [
        {
            "responseMimeType": "application/json",
            "responseSchema": {
                "type": "OBJECT",
                "properties": {"city": {"type": "STRING"}},
                "required": ["city"],
            },
        },
        {
            "responseMimeType": "application/json",
            "responseJsonSchema": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    ],
    ids=["responseSchema", "responseJsonSchema"],
)
async def test_json_output_follows_the_schema(http: httpx.AsyncClient, config: dict[str, Any]) -> None:
    answer = (await _generate(http, {"contents": [_user("where?")], "generationConfig": config})).json()
    assert json.loads(answer["candidates"][0]["content"]["parts"][0]["text"]) == {"city": "sample city"}


# --- streams ----------------------------------------------------------------------------------------------------------


async def test_a_sse_stream_sends_one_response_per_token_then_the_finish_and_usage(
    http: httpx.AsyncClient,
) -> None:
    response = await _generate(http, {"contents": [_user("one two three")]}, f"{STREAM}?alt=sse")

    assert response.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(block.removeprefix("data: ")) for block in response.text.split("\r\n\r\n") if block]
    assert "".join(e["candidates"][0]["content"]["parts"][0]["text"] for e in events) == "Echo: one two three"
    assert [e["candidates"][0].get("finishReason") for e in events] == [None, None, None, "STOP"]
    assert "candidatesTokenCount" not in events[0]["usageMetadata"]
    assert events[-1]["usageMetadata"]["candidatesTokenCount"] == 4


async def test_a_stream_without_alt_sse_is_one_json_array(http: httpx.AsyncClient) -> None:
    response = await _generate(http, {"contents": [_user("one two")]}, STREAM)

    assert response.headers["content-type"].startswith("application/json")
    pieces = response.json()
    assert "".join(p["candidates"][0]["content"]["parts"][0]["text"] for p in pieces) == "Echo: one two"


async def test_function_calls_stream_whole_in_one_response(http: httpx.AsyncClient) -> None:
    body = {"contents": [_user("go")], "tools": [{"functionDeclarations": [WEATHER, TIME]}]}
    response = await _generate(http, body, f"{STREAM}?alt=sse")
    events = [json.loads(block.removeprefix("data: ")) for block in response.text.split("\r\n\r\n") if block]
    assert len(events) == 1 and [c["name"] for c in _calls(events[0])] == ["get_weather", "get_time"]


# --- faults -------------------------------------------------------------------------------------------------------------


async def test_faults_answer_in_googles_shape(http: httpx.AsyncClient) -> None:
    body = {"contents": [_user("hi")]}
    (await http.put("/_fake/knobs", json={"fault": "429", "retry_after": 7})).raise_for_status()
    limited = await _generate(http, body)
    (await http.put("/_fake/knobs", json={"fault": "503"})).raise_for_status()
    overloaded = await _generate(http, body)
    (await http.put("/_fake/knobs", json={"fault": "500"})).raise_for_status()
    failed = await _generate(http, body)

    assert "exceeded your current quota" in _error(limited, 429, "RESOURCE_EXHAUSTED")
    assert limited.json()["error"]["details"] == [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}
    ]
    assert "retry-after" not in limited.headers
    assert _error(overloaded, 503, "UNAVAILABLE") == "The model is overloaded. Please try again later."
    _error(failed, 500, "INTERNAL")


async def test_a_dropped_stream_is_cut_after_the_set_number_of_responses(http: httpx.AsyncClient) -> None:
    (await http.put("/_fake/knobs", json={"fault": "drop", "drop_after_chunks": 2})).raise_for_status()
    received = b""
    with pytest.raises(httpx.RemoteProtocolError):
        async with http.stream(
            "POST",
            f"{STREAM}?alt=sse",
            json={"contents": [_user("one two three four")]},
            headers={"x-goog-api-key": KEY},
        ) as response:
            async for chunk in response.aiter_bytes():
                received += chunk
    assert received.count(b"data: ") == 2


# --- embeddings ----------------------------------------------------------------------------------------------------------


async def test_a_batch_of_embeddings_comes_back_in_order(http: httpx.AsyncClient) -> None:
    model = "models/gemini-embedding-001"
    requests = [
        {"model": model, "content": {"parts": [{"text": t}]}, "outputDimensionality": 8} for t in ("a", "b")
    ]

    batch = await http.post(
        "/v1beta/models/gemini-embedding-001:batchEmbedContents",
        json={"requests": requests},
        headers={"x-goog-api-key": KEY},
    )
    single = await http.post(
        "/v1beta/models/gemini-embedding-001:embedContent",
        json={"content": {"parts": [{"text": "b"}]}, "outputDimensionality": 8},
        headers={"x-goog-api-key": KEY},
    )

    vectors = [e["values"] for e in batch.json()["embeddings"]]
    assert len(vectors) == 2 and all(len(v) == 8 for v in vectors)
    assert vectors[1] == single.json()["embedding"]["values"] and vectors[0] != vectors[1]


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("gemini-embedding-001:batchEmbedContents", {"requests": [{"model": "models/other", "content": {"parts": [{"text": "a"}]}}]},
         400, "the model must be models/gemini-embedding-001"),
        ("gemini-embedding-001:batchEmbedContents", {"requests": [{"content": {"parts": [{"text": "a"}]}}]}, 400, "model is not specified"),
        ("gemini-embedding-001:batchEmbedContents",
         {"requests": [{"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "a"}]}}] * 101}, 400, "at most 100"),
        ("gemini-embedding-001:embedContent", {"content": {"parts": [{"text": "a"}]}, "outputDimensionality": 4000}, 400, "between 1 and 3072"),
        ("gemini-2.0-flash:embedContent", {"content": {"parts": [{"text": "a"}]}}, 404, "not supported for embedContent"),
        ("gemini-embedding-001:generateContent", {"contents": [_user("a")]}, 404, "not supported for generateContent"),
    ],
)  # fmt: skip
async def test_embeddings_the_api_refuses(
    http: httpx.AsyncClient, path: str, body: dict[str, Any], status: int, message: str
) -> None:
    response = await http.post(f"/v1beta/models/{path}", json=body, headers={"x-goog-api-key": KEY})
    assert message in _error(response, status, "INVALID_ARGUMENT" if status == 400 else "NOT_FOUND")


# --- Vertex AI and its tokens -------------------------------------------------------------------------------------------------


async def test_a_signed_assertion_buys_a_token_that_vertex_accepts(
    http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey
) -> None:
    token = await _access_token(http, account_key)
    body = {"contents": [_user("hello")], "labels": {"team": "gateway"}}

    response = await http.post(
        f"{VERTEX}/gemini-2.0-flash:generateContent", json=body, headers={"authorization": f"Bearer {token}"}
    )

    answer = response.json()
    assert response.status_code == 200, response.text
    assert answer["candidates"][0]["content"]["parts"][0]["text"] == "Echo: hello"
    assert answer["createTime"].endswith("Z") and answer["modelVersion"] == "gemini-2.0-flash"


async def test_vertex_streams_sse_with_a_token(
    http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey
) -> None:
    token = await _access_token(http, account_key)
    response = await http.post(
        f"{VERTEX}/gemini-2.0-flash:streamGenerateContent?alt=sse",
        json={"contents": [_user("a b")]},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.text.count("data: ") == 3 and '"finishReason":"STOP"' in response.text


async def test_vertex_refuses_missing_unknown_and_revoked_tokens(
    http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey
) -> None:
    url, body = f"{VERTEX}/gemini-2.0-flash:generateContent", {"contents": [_user("a")]}
    token = await _access_token(http, account_key)

    missing = await http.post(url, json=body, headers={"x-goog-api-key": KEY})
    unknown = await http.post(url, json=body, headers={"authorization": "Bearer ya29.made-up"})
    (await http.delete(f"/_fake/google/tokens/{token}")).raise_for_status()
    revoked = await http.post(url, json=body, headers={"authorization": f"Bearer {token}"})
    again = await http.delete(f"/_fake/google/tokens/{token}")
    other = await _access_token(http, account_key)
    (await http.delete("/_fake/google/tokens")).raise_for_status()
    all_revoked = await http.post(url, json=body, headers={"authorization": f"Bearer {other}"})

    assert "missing required authentication credential" in _error(missing, 401, "UNAUTHENTICATED")
    assert "invalid authentication credentials" in _error(unknown, 401, "UNAUTHENTICATED")
    assert "invalid authentication credentials" in _error(revoked, 401, "UNAUTHENTICATED")
    assert again.status_code == 404 and again.json()["error"] == "invalid_token"
    assert "invalid authentication credentials" in _error(all_revoked, 401, "UNAUTHENTICATED")


async def test_vertex_refuses_another_project_and_a_token_without_the_cloud_scope(
    http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey
) -> None:
    token = await _access_token(http, account_key)
    narrow = (await _token(http, _assertion(account_key, _token_url(http), scope="openid email"))).json()[
        "access_token"
    ]
    body = {"contents": [_user("a")]}

    other = await http.post(
        "/v1/projects/someone-else/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent",
        json=body,
        headers={"authorization": f"Bearer {token}"},
    )
    scoped = await http.post(
        f"{VERTEX}/gemini-2.0-flash:generateContent", json=body, headers={"authorization": f"Bearer {narrow}"}
    )

    assert "Permission 'aiplatform.endpoints.predict' denied" in _error(other, 403, "PERMISSION_DENIED")
    assert "insufficient authentication scopes" in _error(scoped, 403, "PERMISSION_DENIED")


@pytest.mark.parametrize(
    ("change", "error", "description"),
    [
        (
            {"iss": "someone@else.iam.gserviceaccount.com"},
            "invalid_grant",
            "Invalid grant: account not found",
        ),
        ({"aud": "https://oauth2.googleapis.com/token"}, "invalid_grant", "Failed audience check"),
        (
            {"exp": int(time.time()) - 10, "iat": int(time.time()) - 3610},
            "invalid_grant",
            "short-lived token",
        ),
        ({"exp": int(time.time()) + 7200}, "invalid_grant", "short-lived token"),
        ({"scope": None}, "invalid_scope", "Invalid OAuth scope"),
        ({"kid": "another-key"}, "invalid_grant", "Invalid JWT Signature."),
    ],
)
async def test_the_token_endpoint_checks_the_assertion_like_google(
    http: httpx.AsyncClient,
    account_key: rsa.RSAPrivateKey,
    change: dict[str, Any],
    error: str,
    description: str,
) -> None:
    assertion = _assertion(account_key, _token_url(http), **change)

    response = await _token(http, assertion)

    assert response.status_code == 400 and response.json()["error"] == error
    assert description in response.json()["error_description"]


async def test_the_token_endpoint_refuses_a_foreign_signature_and_other_grants(
    http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    forged = await _token(http, _assertion(stranger, _token_url(http)))
    other_grant = await _token(http, _assertion(account_key, _token_url(http)), grant="client_credentials")

    assert forged.json() == {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
    assert other_grant.json()["error"] == "unsupported_grant_type"


async def test_vertex_embeds_with_predict_and_counts_tokens(
    http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey
) -> None:
    headers = {"authorization": f"Bearer {await _access_token(http, account_key)}"}
    body = {
        "instances": [{"content": "one two"}, {"content": "three"}],
        "parameters": {"outputDimensionality": 4},
    }

    answer = (await http.post(f"{VERTEX}/text-embedding-005:predict", json=body, headers=headers)).json()
    one_only = await http.post(f"{VERTEX}/gemini-embedding-001:predict", json=body, headers=headers)
    not_embedding = await http.post(f"{VERTEX}/gemini-2.0-flash:predict", json=body, headers=headers)

    assert [p["embeddings"]["statistics"]["token_count"] for p in answer["predictions"]] == [2, 1]
    assert all(len(p["embeddings"]["values"]) == 4 for p in answer["predictions"])
    assert "at most 1 instance" in _error(one_only, 400, "INVALID_ARGUMENT")
    assert "cannot be accessed through Vertex Predict" in _error(not_embedding, 400, "FAILED_PRECONDITION")


async def test_vertex_rate_limits_without_a_retry_delay(
    http: httpx.AsyncClient, account_key: rsa.RSAPrivateKey
) -> None:
    headers = {"authorization": f"Bearer {await _access_token(http, account_key)}"}
    (await http.put("/_fake/knobs", json={"fault": "429"})).raise_for_status()

    response = await http.post(
        f"{VERTEX}/gemini-2.0-flash:generateContent", json={"contents": [_user("a")]}, headers=headers
    )

    assert "Resource exhausted" in _error(response, 429, "RESOURCE_EXHAUSTED")
    assert "details" not in response.json()["error"]


# --- the command line ---------------------------------------------------------------------------------------------------------


def test_the_service_account_flag_is_checked_when_the_fake_starts(
    tmp_path_factory: pytest.TempPathFactory,
    account_key: rsa.RSAPrivateKey,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path_factory.mktemp("flags")
    good, bad = folder / "sa.json", folder / "broken.json"
    good.write_text(json.dumps({"client_email": EMAIL, "private_key": _pem(account_key)}))
    bad.write_text(json.dumps({"client_email": EMAIL, "private_key": "not a key"}))

    settings = settings_from_args(["--google-service-account", str(good)])
    with pytest.raises(SystemExit) as refused:
        settings_from_args(["--google-service-account", str(bad)])

    assert settings.google_service_account == str(good)
    assert refused.value.code == 2
    assert "private_key is not a PEM private key" in capsys.readouterr().err
