"""The fake speaks Bedrock Runtime: SigV4 or API keys, the service model's shapes, Converse's rules, event streams.

botocore's own `bedrock-runtime` client is the cross-check: what it sends the
fake accepts, and what the fake answers (JSON, event streams, errors) it parses.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import botocore.session
import httpx
import orjson
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from aigw_fakeprovider import RunningFakeProvider, ServerSettings, running_fake_provider
from aigw_fakeprovider.bedrock_eventstream import (
    HeaderType,
    TypedHeader,
    encode_message,
    event_frame,
    exception_frame,
)
from aigw_fakeprovider.images import png_for

API_KEY = "bedrock-api-key-for-tests"
KEY_ID = "AKIDBEDROCKTESTS0001"
SECRET = "bedrock-test-secret-access-key"
REGION = "eu-central-1"
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
PROFILE_ARN = (
    "arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0"
)
EVENT_STREAM = "application/vnd.amazon.eventstream"
USER = {"role": "user", "content": [{"text": "what is the weather"}]}
TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "inputSchema": {
            "json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
        },
    }
}
TOOL_USE = {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}}
TOOL_RESULT = {"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "sunny"}]}}


class MovableClock:
    """The fake's clock, which a test can move away from the signer's."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic()


@pytest.fixture(scope="module")
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture(scope="module")
async def bedrock(clock: MovableClock) -> AsyncIterator[RunningFakeProvider]:
    settings = ServerSettings(
        port=0, api_key=API_KEY, aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET, aws_region=REGION
    )
    async with running_fake_provider(settings, clock=clock) as running:
        yield running


@pytest.fixture
async def http(bedrock: RunningFakeProvider, clock: MovableClock) -> AsyncIterator[httpx.AsyncClient]:
    clock.offset = 0.0
    async with httpx.AsyncClient(base_url=bedrock.url, timeout=5.0) as client:
        (await client.delete("/_fake/knobs")).raise_for_status()
        (await client.delete("/_fake/requests")).raise_for_status()
        yield client


def _signed_headers(
    url: str,
    body: bytes,
    *,
    key_id: str = KEY_ID,
    secret: str = SECRET,
    region: str = REGION,
    token: str | None = None,
) -> dict[str, str]:
    request = AWSRequest(method="POST", url=url, data=body, headers={"content-type": "application/json"})
    SigV4Auth(Credentials(key_id, secret, token), "bedrock", region).add_auth(request)
    return {name.lower(): str(value) for name, value in request.headers.items()}


def _path(model: str = MODEL, action: str = "converse") -> str:
    return f"/model/{quote(model, safe=':')}/{action}"


async def _post(
    http: httpx.AsyncClient,
    body: Any,
    *,
    path: str | None = None,
    headers: dict[str, str] | None = None,
    **signing: Any,
) -> httpx.Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    url = f"{http.base_url}".rstrip("/") + (path or _path())
    sent = headers if headers is not None else _signed_headers(url, content, **signing)
    return await http.post(url, content=content, headers=sent)


def _converse(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"messages": [copy.deepcopy(USER)]}
    for key, value in changes.items():
        if value is ...:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def _error(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["x-amzn-errortype"].split(":")[0] == kind
    body = response.json()
    assert list(body) == ["message"]
    message: str = body["message"]
    return message


def _events(data: bytes) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return [(dict(message.headers), orjson.loads(message.payload)) for message in buffer]


# --- the event-stream encoding --------------------------------------------------------

# botocore's own event-stream test vectors (tests/unit/test_eventstream.py).
VECTORS = [
    ({}, b"", "000000100000000005c248eb7d98c8ff"),
    ({}, b"{'foo':'bar'}", "0000001d00000000fd528c5a7b27666f6f273a27626172277dc3653936"),
    (
        {"content-type": "application/json"},
        b"{'foo':'bar'}",
        "0000003d0000002007fd83960c636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e7b27666f6f273a27626172277d8d9c08b1",
    ),
    ({"byte": TypedHeader(HeaderType.BYTE, -1)}, b"", "000000170000000729860158046279746502ffc2f869dc"),
    (
        {"long": TypedHeader(HeaderType.LONG, -1)},
        b"",
        "0000001e0000000e5d4adb8d046c6f6e6705ffffffffffffffff4bc232da",
    ),
]


@pytest.mark.parametrize(("headers", "payload", "expected"), VECTORS)
def test_the_encoder_reproduces_botocores_test_vectors(headers: Any, payload: bytes, expected: str) -> None:
    assert encode_message(headers, payload).hex() == expected


def test_converse_stream_events_decode_with_botocore_and_are_padded() -> None:
    frames = event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}})
    frames += exception_frame("throttlingException", "Too many requests")

    (event_headers, event), (exception_headers, exception) = _events(frames)

    assert event_headers == {
        ":event-type": "contentBlockDelta",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    assert event["delta"] == {"text": "Hi"} and isinstance(event["p"], str)
    assert exception_headers[":message-type"] == "exception"
    assert exception_headers[":exception-type"] == "throttlingException"
    assert exception == {"message": "Too many requests"}


def test_a_corrupted_frame_fails_botocores_crc_check() -> None:
    frame = bytearray(event_frame("messageStart", {"role": "assistant"}))
    frame[20] ^= 0xFF

    with pytest.raises(ChecksumMismatch):
        _events(bytes(frame))


# --- authentication -------------------------------------------------------------------


async def test_a_sigv4_signed_converse_is_answered(http: httpx.AsyncClient) -> None:
    response = await _post(http, _converse(system=[{"text": "Be brief."}]))

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["output"]["message"] == {
        "role": "assistant",
        "content": [{"text": "Echo: what is the weather"}],
    }
    assert answer["stopReason"] == "end_turn"
    assert answer["usage"] == {"inputTokens": 6, "outputTokens": 5, "totalTokens": 11}
    assert set(answer) == {"output", "stopReason", "usage", "metrics"}


async def test_an_arn_model_id_is_one_encoded_segment_and_signed_as_sent(http: httpx.AsyncClient) -> None:
    response = await _post(http, _converse(), path=_path(PROFILE_ARN))

    assert response.status_code == 200, response.text
    recorded = (await http.get("/_fake/requests")).json()
    assert recorded[-1]["path"] == f"/model/{PROFILE_ARN}/converse"


async def test_a_bare_slash_in_the_model_id_is_another_path(http: httpx.AsyncClient) -> None:
    response = await _post(http, _converse(), path=f"/model/{PROFILE_ARN}/converse")

    _error(response, 404, "UnknownOperationException")


async def test_a_path_sent_otherwise_than_it_was_signed_is_refused(http: httpx.AsyncClient) -> None:
    content = orjson.dumps(_converse())
    base = f"{http.base_url}".rstrip("/")
    signed_for = f"{base}/model/{quote(MODEL, safe='')}/converse"  # signs %3A, ...
    headers = _signed_headers(signed_for, content)

    response = await http.post(
        f"{base}/model/{MODEL}/converse", content=content, headers=headers
    )  # ... sends ':'

    assert "InvalidSignatureException" in response.headers["x-amzn-errortype"]
    accepted = await http.post(signed_for, content=content, headers=headers)
    assert accepted.status_code == 200


@pytest.mark.parametrize(
    ("signing", "kind", "fragment"),
    [
        ({"secret": "not-the-secret"}, "InvalidSignatureException", "signature we calculated does not match"),
        ({"region": "us-east-1"}, "InvalidSignatureException", "Should be 'eu-central-1'"),
        ({"key_id": "AKIDSOMEBODYELSE0001"}, "UnrecognizedClientException", "security token included"),
        ({"token": "a-session-token"}, "UnrecognizedClientException", "security token included"),
    ],
)
async def test_a_wrong_signature_is_refused(
    http: httpx.AsyncClient, signing: dict[str, Any], kind: str, fragment: str
) -> None:
    response = await _post(http, _converse(), **signing)

    assert fragment in _error(response, 403, kind)


@pytest.mark.parametrize(
    ("offset", "fragment"), [(600, "Signature expired"), (-600, "Signature not yet current")]
)
async def test_a_signature_more_than_five_minutes_away_is_refused(
    http: httpx.AsyncClient, clock: MovableClock, offset: float, fragment: str
) -> None:
    clock.offset = offset

    response = await _post(http, _converse())

    assert fragment in _error(response, 403, "InvalidSignatureException")


async def test_a_body_changed_after_signing_is_refused(http: httpx.AsyncClient) -> None:
    url = f"{http.base_url}".rstrip("/") + _path()
    headers = _signed_headers(url, orjson.dumps(_converse()))

    response = await http.post(url, content=orjson.dumps(_converse(system=[{"text": "x"}])), headers=headers)

    _error(response, 403, "InvalidSignatureException")


@pytest.mark.parametrize(
    ("headers", "status", "kind"),
    [
        ({}, 403, "MissingAuthenticationTokenException"),
        ({"authorization": "AWS4-HMAC-SHA256 Credential=x"}, 403, "IncompleteSignatureException"),
        ({"authorization": f"Bearer {API_KEY}x"}, 403, "AccessDeniedException"),
        ({"authorization": "Bearer"}, 403, "AccessDeniedException"),
    ],
)
async def test_requests_without_valid_credentials_are_refused(
    http: httpx.AsyncClient, headers: dict[str, str], status: int, kind: str
) -> None:
    response = await _post(http, _converse(), headers={"content-type": "application/json", **headers})

    _error(response, status, kind)


async def test_a_bedrock_api_key_is_accepted_as_a_bearer_token(http: httpx.AsyncClient) -> None:
    headers = {"content-type": "application/json", "authorization": f"Bearer {API_KEY}"}

    response = await _post(http, _converse(), headers=headers)

    assert response.status_code == 200, response.text


async def test_session_credentials_must_carry_their_token() -> None:
    settings = ServerSettings(
        port=0,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        aws_session_token="tok",
        aws_region=None,
    )
    async with running_fake_provider(settings) as fake, httpx.AsyncClient(base_url=fake.url) as client:
        without = await _post(client, _converse())
        with_token = await _post(client, _converse(), token="tok", region="ap-south-1")

    _error(without, 403, "UnrecognizedClientException")
    assert with_token.status_code == 200, with_token.text


# --- strictness: the service model's shapes and Converse's rules ------------------------

IMAGE = {"image": {"format": "png", "source": {"bytes": base64.b64encode(png_for("cat")).decode()}}}
REJECTED = [
    # (id, body, fragment of the ValidationException's message)
    ("unknown-field", _converse(topK=3), "#: extraneous key [topK] is not permitted"),
    (
        "unknown-nested-field",
        _converse(inferenceConfig={"topK": 3}),
        "#/inferenceConfig: extraneous key [topK]",
    ),
    (
        "openai-shaped-message",
        _converse(messages=[{"role": "user", "content": "hi"}]),
        "'messages.1.member.content'",
    ),
    ("temperature-above-1", _converse(inferenceConfig={"temperature": 1.5}), "less than or equal to 1"),
    ("max-tokens-zero", _converse(inferenceConfig={"maxTokens": 0}), "greater than or equal to 1"),
    (
        "empty-stop-sequence",
        _converse(inferenceConfig={"stopSequences": [""]}),
        "length greater than or equal to 1",
    ),
    (
        "bad-role",
        _converse(messages=[{"role": "tool", "content": [{"text": "x"}]}]),
        "enum value set: [user, assistant, system]",
    ),
    (
        "system-role-message",
        _converse(messages=[USER, {"role": "system", "content": [{"text": "x"}]}]),
        "give system prompts in the system field",
    ),
    (
        "two-union-members",
        _converse(messages=[{"role": "user", "content": [{"text": "a", **IMAGE}]}]),
        "exactly one",
    ),
    ("no-messages", _converse(messages=...), "must start with a user message"),
    (
        "assistant-first",
        _converse(messages=[{"role": "assistant", "content": [{"text": "hi"}]}, USER]),
        "must start with a user",
    ),
    ("not-alternating", _converse(messages=[USER, USER]), "must alternate between user and assistant"),
    (
        "empty-content",
        _converse(messages=[{"role": "user", "content": []}]),
        "content field in the Message object at messages.0 is empty",
    ),
    (
        "blank-text",
        _converse(messages=[{"role": "user", "content": [{"text": " \n"}]}]),
        "ContentBlock object at messages.0.content.0 is blank",
    ),
    ("blank-system", _converse(system=[{"text": "  "}]), "SystemContentBlock object at system.0 is blank"),
    (
        "tool-use-without-tool-config",
        _converse(
            messages=[
                USER,
                {"role": "assistant", "content": [TOOL_USE]},
                {"role": "user", "content": [TOOL_RESULT]},
            ]
        ),
        "toolConfig field must be defined",
    ),
    (
        "unanswered-tool-use",
        _converse(
            toolConfig={"tools": [TOOL]}, messages=[USER, {"role": "assistant", "content": [TOOL_USE]}, USER]
        ),
        "Expected toolResult blocks at messages.2.content for the following Ids: tooluse_1",
    ),
    (
        "tool-result-without-tool-use",
        _converse(toolConfig={"tools": [TOOL]}, messages=[{"role": "user", "content": [TOOL_RESULT]}]),
        "exceeds the number of toolUse blocks",
    ),
    (
        "tool-use-by-the-user",
        _converse(toolConfig={"tools": [TOOL]}, messages=[{"role": "user", "content": [TOOL_USE]}]),
        "must be in an assistant message",
    ),
    (
        "tool-name-with-a-dot",
        _converse(toolConfig={"tools": [{"toolSpec": {**TOOL["toolSpec"], "name": "get.weather"}}]}),
        "regular expression pattern: [a-zA-Z0-9_-]+",
    ),
    (
        "schema-not-an-object",
        _converse(
            toolConfig={"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {"type": "string"}}}}]}
        ),
        "must be one of the following: object",
    ),
    (
        "forced-unknown-tool",
        _converse(toolConfig={"tools": [TOOL], "toolChoice": {"tool": {"name": "other"}}}),
        "not in toolConfig.tools",
    ),
    ("empty-tools", _converse(toolConfig={"tools": []}), "'toolConfig.tools' failed to satisfy constraint"),
    (
        "image-not-base64",
        _converse(
            messages=[
                {
                    "role": "user",
                    "content": [{"image": {"format": "png", "source": {"bytes": "not base64!"}}}],
                }
            ]
        ),
        "base64",
    ),
    (
        "image-not-a-png",
        _converse(
            messages=[
                {
                    "role": "user",
                    "content": [{"image": {"format": "png", "source": {"bytes": "R0lGODlhAQABAAAAACw="}}}],
                }
            ]
        ),
        "not a valid png image",
    ),
    (
        "image-format",
        _converse(
            messages=[
                {"role": "user", "content": [{"image": {"format": "bmp", "source": {"bytes": "AAAA"}}}]}
            ]
        ),
        "enum value set: [png, jpeg, gif, webp]",
    ),
    ("service-tier", _converse(serviceTier={"type": "turbo"}), "'serviceTier.type'"),
    (
        "bad-json-schema",
        _converse(
            outputConfig={
                "textFormat": {"type": "json_schema", "structure": {"jsonSchema": {"schema": "{nope"}}}
            }
        ),
        "JSON schema in outputConfig.textFormat",
    ),
    ("not-json", b"{nope", "Malformed input request"),
]


@pytest.mark.parametrize(
    ("body", "fragment"), [case[1:] for case in REJECTED], ids=[case[0] for case in REJECTED]
)
async def test_what_bedrock_refuses_is_a_validation_exception(
    http: httpx.AsyncClient, body: Any, fragment: str
) -> None:
    response = await _post(http, body)

    assert fragment in _error(response, 400, "ValidationException")
    assert response.headers["x-amzn-errortype"].endswith(
        ":http://internal.amazon.com/coral/com.amazon.bedrock/"
    )


async def test_an_invalid_model_id_is_refused(http: httpx.AsyncClient) -> None:
    response = await _post(http, _converse(), path=_path("has spaces"))

    assert "'modelId' failed to satisfy constraint" in _error(response, 400, "ValidationException")


async def test_a_full_tool_round_trip_is_accepted_and_answered_from_the_results(
    http: httpx.AsyncClient,
) -> None:
    second_use = {"toolUse": {**TOOL_USE["toolUse"], "toolUseId": "tooluse_2", "input": {"city": "Lyon"}}}
    second_result = {"toolResult": {"toolUseId": "tooluse_2", "content": [{"json": {"weather": "rain"}}]}}
    messages = [
        USER,
        {"role": "assistant", "content": [{"text": "Let me check."}, TOOL_USE, second_use]},
        {"role": "user", "content": [TOOL_RESULT, second_result]},
    ]

    response = await _post(http, _converse(toolConfig={"tools": [TOOL]}, messages=messages))

    assert response.status_code == 200, response.text
    expected = 'Tool results: sunny; {"weather": "rain"}'
    assert response.json()["output"]["message"]["content"] == [{"text": expected}]


async def test_offered_tools_are_called_with_bedrock_ids(http: httpx.AsyncClient) -> None:
    response = await _post(http, _converse(toolConfig={"tools": [TOOL], "toolChoice": {"any": {}}}))

    answer = response.json()
    assert answer["stopReason"] == "tool_use"
    (block,) = answer["output"]["message"]["content"]
    assert block["toolUse"]["toolUseId"].startswith("tooluse_")
    assert block["toolUse"]["name"] == "get_weather" and set(block["toolUse"]["input"]) == {"city"}


async def test_images_are_counted_and_limits_and_stops_apply(http: httpx.AsyncClient) -> None:
    messages = [{"role": "user", "content": [{"text": "look at this picture please"}, IMAGE]}]

    limited = await _post(http, _converse(messages=messages, inferenceConfig={"maxTokens": 2}))
    stopped = await _post(http, _converse(messages=messages, inferenceConfig={"stopSequences": ["picture"]}))

    assert limited.json()["stopReason"] == "max_tokens"
    assert limited.json()["output"]["message"]["content"] == [{"text": "Echo: look"}]
    assert stopped.json()["stopReason"] == "stop_sequence"
    assert stopped.json()["usage"]["inputTokens"] == 5 + 85


# --- ConverseStream ---------------------------------------------------------------------


async def test_a_stream_is_an_event_stream_from_message_start_to_metadata(http: httpx.AsyncClient) -> None:
    response = await _post(
        http, _converse(toolConfig={"tools": [TOOL]}), path=_path(action="converse-stream")
    )

    assert response.status_code == 200 and response.headers["content-type"] == EVENT_STREAM
    events = _events(response.content)
    kinds = [headers[":event-type"] for headers, _ in events]
    assert kinds[0] == "messageStart" and kinds[-2:] == ["messageStop", "metadata"]
    start = next(payload for headers, payload in events if headers[":event-type"] == "contentBlockStart")
    assert start["start"]["toolUse"]["name"] == "get_weather" and start["contentBlockIndex"] == 0
    fragments = [
        payload["delta"]["toolUse"]["input"]
        for headers, payload in events
        if headers[":event-type"] == "contentBlockDelta"
    ]
    assert set(orjson.loads("".join(fragments))) == {"city"}
    assert events[-2][1]["stopReason"] == "tool_use"
    assert set(events[-1][1]["usage"]) == {"inputTokens", "outputTokens", "totalTokens"}


async def test_a_dropped_stream_stops_after_the_configured_frames(http: httpx.AsyncClient) -> None:
    await http.put("/_fake/knobs", json={"fault": "drop", "drop_after_chunks": 2, "model": MODEL})

    with pytest.raises(httpx.RemoteProtocolError):
        await _post(http, _converse(), path=_path(action="converse-stream"))


@pytest.mark.parametrize(
    ("fault", "status", "kind"),
    [
        ("429", 429, "ThrottlingException"),
        ("500", 500, "InternalServerException"),
        ("503", 503, "ServiceUnavailableException"),
    ],
)
async def test_error_faults_are_bedrock_exceptions(
    http: httpx.AsyncClient, fault: str, status: int, kind: str
) -> None:
    await http.put("/_fake/knobs", json={"fault": fault, "retry_after": 4, "model": MODEL})

    response = await _post(http, _converse(), path=_path(action="converse-stream"))

    _error(response, status, kind)
    assert response.headers.get("retry-after") == ("4" if fault == "429" else None)


async def test_a_hanging_request_never_answers(http: httpx.AsyncClient) -> None:
    await http.put("/_fake/knobs", json={"fault": "hang", "model": MODEL})

    headers = {"content-type": "application/json", "authorization": f"Bearer {API_KEY}"}

    with pytest.raises(httpx.ReadTimeout):
        await http.post(_path(), content=orjson.dumps(_converse()), headers=headers, timeout=0.5)


# --- InvokeModel for embeddings -----------------------------------------------------------


async def test_titan_embeds_one_text_with_its_dimensions(http: httpx.AsyncClient) -> None:
    response = await _post(
        http,
        {"inputText": "hello world", "dimensions": 256},
        path=_path("amazon.titan-embed-text-v2:0", "invoke"),
    )

    answer = response.json()
    assert response.status_code == 200 and set(answer) == {"embedding", "inputTextTokenCount"}
    assert len(answer["embedding"]) == 256 and answer["inputTextTokenCount"] == 2


async def test_cohere_embeds_texts_in_order_by_type(http: httpx.AsyncClient) -> None:
    path = _path("us.cohere.embed-v4:0", "invoke")
    body = {
        "texts": ["one", "two"],
        "input_type": "search_document",
        "embedding_types": ["float"],
        "output_dimension": 256,
    }

    both = (await _post(http, body, path=path)).json()
    second = (await _post(http, {**body, "texts": ["two"]}, path=path)).json()

    assert both["response_type"] == "embeddings_by_type" and both["texts"] == ["one", "two"]
    assert [len(vector) for vector in both["embeddings"]["float"]] == [256, 256]
    assert both["embeddings"]["float"][1] == second["embeddings"]["float"][0]


@pytest.mark.parametrize(
    ("model", "body", "fragment"),
    [
        (
            "amazon.titan-embed-text-v2:0",
            {"inputText": "x", "normalise": True},
            "#: extraneous key [normalise]",
        ),
        (
            "amazon.titan-embed-text-v2:0",
            {"inputText": "x", "dimensions": 300},
            "#/dimensions: 300 is not a valid enum value",
        ),
        ("amazon.titan-embed-text-v1", {"inputText": "x", "dimensions": 256}, "extraneous key [dimensions]"),
        ("amazon.titan-embed-text-v2:0", {"texts": ["x"]}, "extraneous key [texts]"),
        ("amazon.titan-embed-text-v2:0", {"inputText": ""}, "expected minLength: 1"),
        ("cohere.embed-english-v3", {"texts": ["x"]}, "required key [input_type] not found"),
        (
            "cohere.embed-english-v3",
            {"texts": ["x"] * 97, "input_type": "clustering"},
            "maximum item count: 96",
        ),
        (
            "cohere.embed-english-v3",
            {"texts": ["x"], "input_type": "search_document", "output_dimension": 256},
            "extraneous key [output_dimension]",
        ),
        ("meta.llama3-8b-instruct-v1:0", {"prompt": "x"}, "not an embedding model"),
    ],
)
async def test_embedding_bodies_are_checked_like_bedrock_checks_them(
    http: httpx.AsyncClient, model: str, body: dict[str, Any], fragment: str
) -> None:
    response = await _post(http, body, path=_path(model, "invoke"))

    assert fragment in _error(response, 400, "ValidationException")


# --- botocore's own client against the fake ----------------------------------------------


@pytest.fixture
def boto_client(bedrock: RunningFakeProvider, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    session = botocore.session.get_session()
    client = session.create_client(
        "bedrock-runtime",
        region_name=REGION,
        endpoint_url=bedrock.url,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}),
    )
    yield client
    client.close()


async def test_botocore_converses_with_the_fake(http: httpx.AsyncClient, boto_client: Any) -> None:
    answer = await asyncio.to_thread(
        boto_client.converse,
        modelId=PROFILE_ARN,
        messages=[
            {
                "role": "user",
                "content": [
                    {"text": "hello there"},
                    {"image": {"format": "png", "source": {"bytes": png_for("x")}}},
                ],
            }
        ],
        toolConfig={"tools": [TOOL], "toolChoice": {"auto": {}}},
    )

    assert answer["stopReason"] == "tool_use"
    assert answer["output"]["message"]["content"][0]["toolUse"]["name"] == "get_weather"


async def test_botocore_reads_the_fakes_event_stream(http: httpx.AsyncClient, boto_client: Any) -> None:
    def stream() -> list[dict[str, Any]]:
        response = boto_client.converse_stream(modelId=MODEL, messages=[USER])
        return list(response["stream"])

    events = await asyncio.to_thread(stream)

    assert list(events[0]) == ["messageStart"] and list(events[-1]) == ["metadata"]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text == "Echo: what is the weather"


async def test_botocore_sees_the_fakes_errors_as_bedrocks(http: httpx.AsyncClient, boto_client: Any) -> None:
    with pytest.raises(boto_client.exceptions.ValidationException, match="must alternate"):
        await asyncio.to_thread(boto_client.converse, modelId=MODEL, messages=[USER, USER])


async def test_botocore_invokes_an_embedding_model(http: httpx.AsyncClient, boto_client: Any) -> None:
    def invoke() -> dict[str, Any]:
        response = boto_client.invoke_model(modelId="amazon.titan-embed-text-v1", body=b'{"inputText": "hi"}')
        answer: dict[str, Any] = orjson.loads(response["body"].read())
        return answer

    answer = await asyncio.to_thread(invoke)

    assert len(answer["embedding"]) == 1536
