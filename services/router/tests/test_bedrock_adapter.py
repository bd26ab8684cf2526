"""The Bedrock adapter: OpenAI chat in, Converse out (signed as AWS checks it), and Converse answers back.

Stream fixtures (`fixtures/bedrock_stream_*.eventstream`) are real
`application/vnd.amazon.eventstream` bytes: the documented ConverseStream event
sequences, framed by the fake provider's encoder, which reproduces botocore's
own event-stream test vectors byte for byte (see fakeprovider/tests).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yarl
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

from aigw_router.adapters import ADAPTER_TYPES, AdapterServices, ChatCall, ParamPolicy, UpstreamRequest
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.bedrock import BedrockAdapter
from aigw_runtime.config import ConfigError, ImageFetchConfig, ProviderConfig
from aigw_runtime.errors import GatewayError, InvalidRequestError
from stream_checks import until_failure

FIXTURES = Path(__file__).parent / "fixtures"
KEY_ID = "AKIDEXAMPLEBEDROCK01"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "eu-west-3"
CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
PROFILE_ARN = (
    "arn:aws:bedrock:eu-west-3:123456789012:inference-profile/eu.anthropic.claude-3-5-sonnet-20240620-v1:0"
)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}
CALL_2 = {
    "id": "call_2",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Lyon"}'},
}


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIGW_TEST_AWS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AIGW_TEST_AWS_SECRET", SECRET)
    monkeypatch.setenv("AIGW_TEST_AWS_TOKEN", "session-token-xyz")
    monkeypatch.setenv("AIGW_TEST_BEDROCK_KEY", "bedrock-api-key-123")


def _image_server(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/cat.png":
        return httpx.Response(200, content=PNG, headers={"content-type": "image/png"})
    return httpx.Response(404)


def _adapter(**fields: Any) -> BedrockAdapter:
    settings: dict[str, Any] = {
        "aws_access_key_id": "env:AIGW_TEST_AWS_KEY_ID",
        "aws_secret_access_key": "env:AIGW_TEST_AWS_SECRET",
        "image_fetch": ImageFetchConfig(allow_http=True, allow_private_addresses=True),
        **fields,
    }
    provider = ProviderConfig(name="bedrock-main", type="bedrock", region=REGION, **settings)
    client = httpx.AsyncClient(transport=httpx.MockTransport(_image_server))
    return BedrockAdapter(provider, AdapterServices(http=client, images=ImageFetcher(client)))


def _body(**fields: Any) -> bytes:
    return orjson.dumps({"model": "public-name", "messages": [{"role": "user", "content": "hi"}], **fields})


async def _build(
    body: bytes,
    *,
    model: str = CLAUDE,
    stream: bool = False,
    policy: ParamPolicy = ParamPolicy.REJECT,
    adapter: BedrockAdapter | None = None,
) -> UpstreamRequest:
    call = ChatCall(body=body, upstream_model=model, stream=stream, policy=policy)
    return await (adapter or _adapter()).build_chat(call)


async def _sent(body: bytes, **options: Any) -> dict[str, Any]:
    sent: dict[str, Any] = orjson.loads((await _build(body, **options)).content)
    return sent


def _as_sent_by_aiohttp(url: str) -> str:
    """The path the router's client (httpx over aiohttp, whose yarl re-quotes) puts on the wire."""
    return str(yarl.URL(str(httpx.URL(url))).raw_path)


def _signature_as_aws_computes_it(request: UpstreamRequest, secret: str = SECRET) -> str:
    """SigV4 recomputed by botocore from what is sent: path as on the wire, the signed headers, the body."""
    authorization = request.headers["authorization"]
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    host = httpx.URL(request.url).netloc.decode()
    headers = {"host": host, **{name: request.headers[name] for name in signed if name != "host"}}
    aws = AWSRequest(
        method="POST",
        url=f"https://{host}{_as_sent_by_aiohttp(request.url)}",
        headers=headers,
        data=request.content,
    )
    aws.context["timestamp"] = request.headers["x-amz-date"]
    credential = authorization.split("Credential=")[1].split(",")[0].split("/")
    signer = SigV4Auth(ReadOnlyCredentials(KEY_ID, secret, None), credential[3], credential[2])
    return str(signer.signature(signer.string_to_sign(aws, signer.canonical_request(aws)), aws))


# --- where requests go, and how they are signed ------------------------------------


def test_bedrock_is_a_registered_provider_type() -> None:
    assert ADAPTER_TYPES["bedrock"] is BedrockAdapter


async def test_chat_goes_to_converse_on_the_regional_runtime_endpoint() -> None:
    request = await _build(_body())

    assert request.url == f"https://bedrock-runtime.{REGION}.amazonaws.com/model/{CLAUDE}/converse"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"


async def test_a_stream_goes_to_converse_stream_and_accepts_the_event_stream() -> None:
    request = await _build(_body(stream=True), stream=True)

    assert request.url.endswith(f"/model/{CLAUDE}/converse-stream")
    assert request.headers["accept"] == "application/vnd.amazon.eventstream"
    assert "stream" not in orjson.loads(request.content)


async def test_base_url_replaces_the_endpoint_without_a_version_path() -> None:
    request = await _build(_body(), adapter=_adapter(base_url="http://127.0.0.1:9/"))

    assert request.url == f"http://127.0.0.1:9/model/{CLAUDE}/converse"


@pytest.mark.parametrize(
    "model",
    [
        CLAUDE,
        PROFILE_ARN,
        "us.meta.llama3-2-90b-instruct-v1:0",
        "arn:aws:bedrock:eu-west-3::foundation-model/x.y+z",
    ],
)
async def test_the_model_id_is_one_path_segment_that_no_http_client_rewrites(model: str) -> None:
    request = await _build(_body(), model=model)

    path = httpx.URL(request.url).raw_path.decode()
    segments = path.split("/")
    assert len(segments) == 4 and segments[1] == "model" and segments[3] == "converse"
    assert httpx.URL(request.url).path.split("/model/", 1)[1].removesuffix("/converse") == model
    assert _as_sent_by_aiohttp(request.url) == path


async def test_the_signature_is_valid_for_the_path_as_sent_even_for_an_arn() -> None:
    request = await _build(_body(), model=PROFILE_ARN)

    assert "%2F" in request.url and "%3A" not in request.url
    found = request.headers["authorization"].split("Signature=")[1]
    assert found == _signature_as_aws_computes_it(request)
    assert found != _signature_as_aws_computes_it(request, secret="another-secret")


async def test_sigv4_headers_are_scoped_to_bedrock_in_the_region() -> None:
    request = await _build(_body())

    authorization = request.headers["authorization"]
    date = request.headers["x-amz-date"]
    assert authorization.startswith(
        f"AWS4-HMAC-SHA256 Credential={KEY_ID}/{date[:8]}/{REGION}/bedrock/aws4_request"
    )
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"host", "x-amz-date", "content-type"} <= set(signed)
    assert "x-amz-security-token" not in request.headers
    assert SECRET not in str(request.headers)


async def test_session_credentials_send_and_sign_the_security_token() -> None:
    adapter = _adapter(aws_session_token="env:AIGW_TEST_AWS_TOKEN")

    request = await _build(_body(), adapter=adapter)

    assert request.headers["x-amz-security-token"] == "session-token-xyz"
    assert "x-amz-security-token" in request.headers["authorization"].split("SignedHeaders=")[1]


async def test_a_bedrock_api_key_is_sent_as_a_bearer_token_instead_of_a_signature() -> None:
    adapter = _adapter(
        api_key="env:AIGW_TEST_BEDROCK_KEY", aws_access_key_id=None, aws_secret_access_key=None
    )

    request = await _build(_body(), adapter=adapter)

    assert request.headers["authorization"] == "Bearer bedrock-api-key-123"
    assert "x-amz-date" not in request.headers


async def test_without_configured_keys_the_standard_aws_credential_chain_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMTHECHAIN0001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "chain-secret")
    adapter = _adapter(aws_access_key_id=None, aws_secret_access_key=None)

    request = await _build(_body(), adapter=adapter)

    assert "Credential=AKIDFROMTHECHAIN0001/" in request.headers["authorization"]


async def test_without_configured_keys_the_sdks_bedrock_api_key_variable_is_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-key-from-env")
    adapter = _adapter(aws_access_key_id=None, aws_secret_access_key=None)

    request = await _build(_body(), adapter=adapter)

    assert request.headers["authorization"] == "Bearer bedrock-key-from-env"


def test_no_credentials_anywhere_stops_the_router_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_BEARER_TOKEN_BEDROCK",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_WEB_IDENTITY_TOKEN_FILE", raising=False)

    with pytest.raises(ConfigError, match="no AWS credentials"):
        _adapter(aws_access_key_id=None, aws_secret_access_key=None)


# --- the Converse request -------------------------------------------------------------


async def test_a_conversation_becomes_system_blocks_and_alternating_turns() -> None:
    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
        {"role": "user", "content": "What is the weather in Paris and Lyon?"},
        {"role": "assistant", "content": "\n\n", "tool_calls": [CALL, CALL_2]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "rain"}]},
        {"role": "user", "content": "And tomorrow?"},
    ]

    sent = await _sent(_body(messages=messages, tools=[WEATHER]))

    assert sent["system"] == [{"text": "You are terse."}, {"text": "Answer in French."}]
    assert sent["messages"] == [
        {"role": "user", "content": [{"text": "What is the weather in Paris and Lyon?"}]},
        {
            "role": "assistant",
            "content": [
                {"toolUse": {"toolUseId": "call_1", "name": "get_weather", "input": {"city": "Paris"}}},
                {"toolUse": {"toolUseId": "call_2", "name": "get_weather", "input": {"city": "Lyon"}}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "call_1", "content": [{"text": "sunny"}]}},
                {"toolResult": {"toolUseId": "call_2", "content": [{"text": "rain"}]}},
                {"text": "And tomorrow?"},
            ],
        },
    ]
    assert sent["toolConfig"] == {
        "tools": [
            {
                "toolSpec": {
                    "name": "get_weather",
                    "inputSchema": {"json": WEATHER["function"]["parameters"]},
                    "description": "The weather in a city",
                }
            }
        ]
    }
    assert set(sent) == {"messages", "system", "toolConfig"}


async def test_images_are_sent_as_bytes_from_data_urls_and_fetched_urls() -> None:
    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    content = [
        {"type": "text", "text": "Compare"},
        {"type": "image_url", "image_url": {"url": data_url}},
        {"type": "image_url", "image_url": {"url": "http://images.test/cat.png", "detail": "low"}},
    ]

    sent = await _sent(_body(messages=[{"role": "user", "content": content}]))

    blocks = sent["messages"][0]["content"]
    assert blocks[0] == {"text": "Compare"}
    for block in blocks[1:]:
        assert block["image"]["format"] == "png"
        assert base64.b64decode(block["image"]["source"]["bytes"]) == PNG


async def test_an_image_url_is_fetched_only_as_the_providers_policy_allows() -> None:
    content = [{"type": "image_url", "image_url": {"url": "http://images.test/cat.png"}}]

    with pytest.raises(InvalidRequestError, match="https") as refused:
        await _build(
            _body(messages=[{"role": "user", "content": content}]),
            adapter=_adapter(image_fetch=ImageFetchConfig()),
        )
    assert refused.value.param == "messages[0].content[0].image_url.url"


async def test_output_controls_map_to_the_inference_config() -> None:
    sent = await _sent(_body(max_completion_tokens=64, temperature=0.2, top_p=0.9, stop=["END", ""]))

    assert sent["inferenceConfig"] == {
        "maxTokens": 64,
        "temperature": 0.2,
        "topP": 0.9,
        "stopSequences": ["END"],
    }


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", None),
        ("required", {"any": {}}),
        ({"type": "function", "function": {"name": "get_weather"}}, {"tool": {"name": "get_weather"}}),
    ],
)
async def test_tool_choice_maps_to_bedrocks(choice: Any, expected: dict[str, Any] | None) -> None:
    sent = await _sent(_body(tools=[WEATHER], tool_choice=choice))

    assert sent["toolConfig"].get("toolChoice") == expected


async def test_tool_choice_none_withholds_the_tools() -> None:
    sent = await _sent(_body(tools=[WEATHER], tool_choice="none"))

    assert "toolConfig" not in sent


async def test_tool_choice_none_with_tool_calls_in_the_history_is_refused() -> None:
    messages = [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    ]

    with pytest.raises(InvalidRequestError) as refused:
        await _build(_body(messages=messages, tools=[WEATHER], tool_choice="none"))
    assert refused.value.param == "tool_choice"


async def test_json_schema_output_is_conversees_structured_output() -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    response_format = {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}

    sent = await _sent(_body(response_format=response_format, reasoning_effort="low"))

    structure = sent["outputConfig"]["textFormat"]
    assert structure["type"] == "json_schema"
    assert orjson.loads(structure["structure"]["jsonSchema"]["schema"]) == schema
    assert structure["structure"]["jsonSchema"]["name"] == "reply"
    assert sent["outputConfig"]["effort"] == "low"


async def test_bedrocks_own_fields_pass_through() -> None:
    extra = {
        "additionalModelRequestFields": {"top_k": 5},
        "guardrailConfig": {"guardrailIdentifier": "g", "guardrailVersion": "1"},
    }

    sent = await _sent(_body(**extra, user="u-1", metadata={"k": "v"}))

    assert sent["additionalModelRequestFields"] == {"top_k": 5}
    assert sent["guardrailConfig"] == extra["guardrailConfig"]
    assert "user" not in sent and "metadata" not in sent


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"temperature": 1.5}, "temperature"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"n": 2}, "n"),
        ({"seed": 7}, "seed"),
        ({"logprobs": True}, "logprobs"),
        ({"top_k": 3}, "top_k"),
        (
            {"messages": [{"role": "assistant", "content": "Hello"}, {"role": "user", "content": "hi"}]},
            "messages",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "input_audio", "input_audio": {"data": "AA==", "format": "wav"}}
                        ],
                    }
                ]
            },
            "messages[0].content[0]",
        ),
        ({"reasoning_effort": "minimal"}, "reasoning_effort"),
    ],
)
async def test_what_bedrock_cannot_do_is_a_400_naming_the_parameter(
    fields: dict[str, Any], param: str
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        await _build(_body(**fields))

    assert refused.value.status == 400 and refused.value.param == param


async def test_unsupported_parameters_are_dropped_when_the_model_says_so() -> None:
    sent = await _sent(_body(seed=7, n=1, top_k=3, presence_penalty=0.5), policy=ParamPolicy.DROP)

    assert set(sent) == {"messages"}


# --- token counting -------------------------------------------------------------------


async def test_a_count_sends_the_converse_input_to_count_tokens_signed_like_converse() -> None:
    png = "data:image/png;base64," + base64.b64encode(PNG).decode()
    body = _body(
        messages=[
            {"role": "system", "content": "be brief"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "look"},
                    {"type": "image_url", "image_url": {"url": png}},
                ],
            },
        ],
        tools=[WEATHER],
        tool_choice="required",
        max_tokens=50,
        temperature=0.5,
        response_format={"type": "json_schema", "json_schema": {"name": "o", "schema": {"type": "object"}}},
    )
    call = ChatCall(body=body, upstream_model=PROFILE_ARN, stream=False)
    adapter = _adapter()
    converse = orjson.loads((await adapter.build_chat(call)).content)

    request = await adapter.build_chat_token_count(call)

    assert request.url.startswith(f"https://bedrock-runtime.{REGION}.amazonaws.com/model/arn")
    assert request.url.endswith("/count-tokens")
    assert request.headers["authorization"].split("Signature=")[1] == _signature_as_aws_computes_it(request)
    # ConverseTokensRequest counts the input only: no inferenceConfig or outputConfig.
    assert {"inferenceConfig", "outputConfig"} <= set(converse)
    assert orjson.loads(request.content) == {
        "input": {
            "converse": {
                "messages": converse["messages"],
                "system": converse["system"],
                "toolConfig": converse["toolConfig"],
            }
        }
    }


async def test_a_count_is_refused_where_the_converse_call_would_be() -> None:
    call = ChatCall(body=_body(seed=3), upstream_model=CLAUDE, stream=False)

    with pytest.raises(InvalidRequestError) as refused:
        await _adapter().build_chat_token_count(call)

    assert refused.value.param == "seed"


def test_the_count_is_input_tokens_and_an_answer_without_it_is_a_502() -> None:
    adapter = _adapter()

    assert adapter.parse_chat_token_count(b'{"inputTokens": 17}') == 17
    with pytest.raises(GatewayError) as failed:
        adapter.parse_chat_token_count(b'{"outputTokens": 17}')
    assert failed.value.status == 502


# --- the Converse answer --------------------------------------------------------------


def test_a_text_answer_becomes_a_chat_completion_with_cached_tokens_counted() -> None:
    result = _adapter().parse_chat((FIXTURES / "bedrock_converse_text.json").read_bytes(), CLAUDE)

    answer = orjson.loads(result.body)
    assert answer["object"] == "chat.completion" and answer["id"].startswith("chatcmpl-")
    assert answer["model"] == CLAUDE
    assert answer["choices"][0]["message"]["content"] == "It is sunny in Paris."
    assert answer["choices"][0]["finish_reason"] == "stop"
    assert answer["usage"]["prompt_tokens"] == 1230 and answer["usage"]["completion_tokens"] == 6
    assert answer["usage"]["prompt_tokens_details"] == {"cached_tokens": 1000}
    assert (result.usage.prompt_tokens, result.usage.cached_tokens, result.usage.total_tokens) == (
        1230,
        1000,
        1236,
    )


def test_tool_use_blocks_become_tool_calls_and_reasoning_is_left_out() -> None:
    result = _adapter().parse_chat((FIXTURES / "bedrock_converse_tool_use.json").read_bytes(), CLAUDE)

    choice = orjson.loads(result.body)["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Let me look that up."
    calls = choice["message"]["tool_calls"]
    assert [call["id"] for call in calls] == ["tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "tooluse_2nd"]
    assert [orjson.loads(call["function"]["arguments"]) for call in calls] == [{"location": "Paris"}, {}]


@pytest.mark.parametrize(
    ("stop_reason", "finish_reason"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("guardrail_intervened", "content_filter"),
        ("content_filtered", "content_filter"),
    ],
)
def test_stop_reasons_map_to_finish_reasons(stop_reason: str, finish_reason: str) -> None:
    answer = {
        "output": {"message": {"role": "assistant", "content": [{"text": "x"}]}},
        "stopReason": stop_reason,
        "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
    }

    result = _adapter().parse_chat(orjson.dumps(answer), CLAUDE)

    assert orjson.loads(result.body)["choices"][0]["finish_reason"] == finish_reason


def test_malformed_model_output_is_a_failed_answer() -> None:
    answer = {
        "output": {"message": {"role": "assistant", "content": []}},
        "stopReason": "malformed_tool_use",
        "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
    }

    with pytest.raises(GatewayError) as failed:
        _adapter().parse_chat(orjson.dumps(answer), CLAUDE)
    assert failed.value.status == 502 and failed.value.retryable


# --- streams --------------------------------------------------------------------------


def _translate(data: bytes, *, include_usage: bool = True, piece: int | None = None) -> list[dict[str, Any]]:
    translator = _adapter().chat_stream(include_usage, CLAUDE)
    pieces = [data] if piece is None else [data[i : i + piece] for i in range(0, len(data), piece)]
    chunks = [chunk for part in pieces for chunk in translator.feed(part)]
    chunks += translator.finish()
    return [orjson.loads(chunk) for chunk in chunks]


def _arguments(chunks: list[dict[str, Any]], index: int) -> str:
    return "".join(
        call["function"].get("arguments", "")
        for chunk in chunks
        for choice in chunk["choices"]
        for call in choice["delta"].get("tool_calls", [])
        if call["index"] == index
    )


def test_a_stream_of_text_then_a_tool_call_is_translated_event_by_event() -> None:
    chunks = _translate((FIXTURES / "bedrock_stream_text_then_tool.eventstream").read_bytes())

    deltas = [chunk["choices"][0]["delta"] for chunk in chunks if chunk["choices"]]
    assert deltas[0] == {"role": "assistant", "content": ""}
    assert "".join(delta.get("content", "") for delta in deltas) == "It is sunny."
    header = next(delta["tool_calls"][0] for delta in deltas if "tool_calls" in delta)
    assert header == {
        "index": 0,
        "id": "tooluse_abc",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    assert orjson.loads(_arguments(chunks, 0)) == {"location": "Paris"}
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 60
    assert len({chunk["id"] for chunk in chunks}) == 1 and chunks[0]["object"] == "chat.completion.chunk"


def test_frames_split_anywhere_give_the_same_chunks() -> None:
    data = (FIXTURES / "bedrock_stream_text_then_tool.eventstream").read_bytes()

    whole = _translate(data)
    by_seven = _translate(data, piece=7)

    strip = [{**chunk, "id": None, "created": None} for chunk in whole]
    assert strip == [{**chunk, "id": None, "created": None} for chunk in by_seven]


def test_each_event_is_translated_as_soon_as_its_frame_is_complete() -> None:
    data = (FIXTURES / "bedrock_stream_text_then_tool.eventstream").read_bytes()
    translator = _adapter().chat_stream(True, CLAUDE)
    first_frame_length = int.from_bytes(data[:4], "big")

    assert translator.feed(data[: first_frame_length - 1]) == []
    assert len(translator.feed(data[first_frame_length - 1 : first_frame_length])) == 1


def test_parallel_tool_calls_keep_their_index_and_a_call_without_input_gets_an_empty_object() -> None:
    chunks = _translate((FIXTURES / "bedrock_stream_parallel_tools.eventstream").read_bytes())

    headers = [
        call
        for chunk in chunks
        for choice in chunk["choices"]
        for call in choice["delta"].get("tool_calls", [])
        if "id" in call
    ]
    assert [(h["index"], h["id"], h["function"]["name"]) for h in headers] == [
        (0, "tooluse_weather01", "get_weather"),
        (1, "tooluse_clock0002", "get_time"),
    ]
    assert orjson.loads(_arguments(chunks, 0)) == {"city": "Paris"}
    assert orjson.loads(_arguments(chunks, 1)) == {}
    assert chunks[-1]["usage"]["prompt_tokens"] == 1012
    assert chunks[-1]["usage"]["prompt_tokens_details"] == {"cached_tokens": 1000}


def test_without_include_usage_no_usage_chunk_is_sent_but_usage_is_known() -> None:
    translator = _adapter().chat_stream(False, CLAUDE)

    chunks = translator.feed((FIXTURES / "bedrock_stream_text_then_tool.eventstream").read_bytes())

    assert all(orjson.loads(chunk)["choices"] for chunk in chunks)
    assert translator.finish() == []
    assert translator.usage is not None and translator.usage.total_tokens == 60


@pytest.mark.parametrize("position", ["prelude", "headers", "payload", "message_crc"])
def test_a_frame_with_a_wrong_crc_is_refused(position: str) -> None:
    data = bytearray((FIXTURES / "bedrock_stream_text_then_tool.eventstream").read_bytes())
    total = int.from_bytes(data[:4], "big")
    offset = {"prelude": 9, "headers": 14, "payload": total - 10, "message_crc": total - 1}[position]
    data[offset] ^= 0x01

    with pytest.raises(GatewayError) as broken:
        _adapter().chat_stream(True, CLAUDE).feed(bytes(data))
    assert broken.value.code == "upstream_stream_broken" and broken.value.status == 502


@pytest.mark.parametrize(
    ("fixture", "status", "code"),
    [
        ("bedrock_stream_throttled.eventstream", 429, "upstream_rate_limited"),
        ("bedrock_stream_model_error.eventstream", 502, "upstream_error"),
    ],
)
def test_an_in_stream_exception_is_raised_as_a_gateway_error(fixture: str, status: int, code: str) -> None:
    translator = _adapter().chat_stream(True, CLAUDE)

    delivered, failure = until_failure(translator, (FIXTURES / fixture).read_bytes())

    assert failure.status == status and failure.code == code
    # What the stream said before the exception still reaches the client.
    assert delivered and b'"role":"assistant"' in delivered[0]


def _frames(data: bytes) -> list[bytes]:
    """The event-stream messages in `data`, each cut at its own total length."""
    frames, offset = [], 0
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        frames.append(data[offset : offset + length])
        offset += length
    return frames


@pytest.mark.parametrize("kept", [2, 9])
def test_a_stream_that_ends_before_its_metadata_is_broken(kept: int) -> None:
    frames = _frames((FIXTURES / "bedrock_stream_text_then_tool.eventstream").read_bytes())
    translator = _adapter().chat_stream(True, CLAUDE)

    translator.feed(b"".join(frames[:kept]))

    with pytest.raises(GatewayError) as broken:
        translator.finish()
    assert broken.value.code == "upstream_stream_broken"


# --- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error_type", "gateway_status", "code"),
    [
        (429, "ThrottlingException", 429, "upstream_rate_limited"),
        (
            503,
            "ServiceUnavailableException:http://internal.amazon.com/coral/com.amazon.bedrock/",
            503,
            "upstream_overloaded",
        ),
        (429, "ModelNotReadyException", 503, "upstream_overloaded"),
        (
            400,
            "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/",
            400,
            "upstream_invalid_request",
        ),
        (403, "AccessDeniedException", 502, "upstream_auth_failed"),
        (403, "InvalidSignatureException", 502, "upstream_auth_failed"),
        (404, "ResourceNotFoundException", 502, "upstream_not_found"),
        (408, "ModelTimeoutException", 504, "upstream_timeout"),
        (424, "ModelErrorException", 502, "upstream_error"),
        (500, "InternalServerException", 502, "upstream_error"),
    ],
)
def test_bedrock_errors_map_to_gateway_errors(
    status: int, error_type: str, gateway_status: int, code: str
) -> None:
    error = _adapter().map_error(status, {"x-amzn-ErrorType": error_type}, b'{"message": "m"}')

    assert (error.status, error.code) == (gateway_status, code)


def test_the_error_kind_may_come_in_the_body() -> None:
    body = b'{"__type": "com.amazon.coral.availability#ThrottlingException", "message": "slow down"}'

    error = _adapter().map_error(400, {}, body)

    assert error.status == 429


def test_a_throttled_request_keeps_its_retry_after() -> None:
    error = _adapter().map_error(429, {"x-amzn-errortype": "ThrottlingException", "Retry-After": "7"}, b"{}")

    assert error.retry_after_s == 7


def test_a_validation_message_reaches_the_client_without_any_credential() -> None:
    body = orjson.dumps({"Message": "The security token AKIAIOSFODNN7EXAMPLE is not valid for temperature"})

    error = _adapter().map_error(400, {"x-amzn-errortype": "ValidationException"}, body)

    assert error.status == 400 and "temperature" in error.message
    assert "AKIAIOSFODNN7EXAMPLE" not in error.message
