"""One error hierarchy, two wire shapes; the chat schema's 400s name the field."""

from __future__ import annotations

import grpc
import orjson
import pytest

from aigw_runtime.errors import (
    GatewayError,
    ModelNotFoundError,
    RateLimitError,
    UpstreamError,
    error_for_status,
    from_rpc_error,
    openai_error_body,
    retry_after_header,
    to_grpc_status,
)
from aigw_runtime.openai_chat import decode_chat_request


class _FakeRpcError(grpc.aio.AioRpcError):
    def __init__(self, status: grpc.Status | None, code: grpc.StatusCode) -> None:
        trailing = grpc.aio.Metadata(*(status.trailing_metadata if status else ()))
        super().__init__(code, grpc.aio.Metadata(), trailing, details="x")


def test_a_gateway_error_survives_a_grpc_hop_exactly() -> None:
    original = RateLimitError("slow down", retry_after_s=2.5, param="model")

    status = to_grpc_status(original)
    rebuilt = from_rpc_error(_FakeRpcError(status, status.code))

    assert status.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (
        rebuilt.status,
        rebuilt.type,
        rebuilt.code,
        rebuilt.param,
        rebuilt.message,
        rebuilt.retry_after_s,
    ) == (429, "requests", "rate_limit_exceeded", "model", "slow down", 2.5)
    assert isinstance(rebuilt, RateLimitError)


def test_a_bare_grpc_status_maps_to_a_sensible_http_error() -> None:
    rebuilt = from_rpc_error(_FakeRpcError(None, grpc.StatusCode.UNAVAILABLE))
    assert rebuilt.status == 503 and rebuilt.retryable


def test_openai_error_json_has_exactly_the_four_fields() -> None:
    body = orjson.loads(openai_error_body(ModelNotFoundError("gpt-9")))

    assert body == {
        "error": {
            "message": "The model `gpt-9` does not exist or you do not have access to it.",
            "type": "invalid_request_error",
            "param": "model",
            "code": "model_not_found",
        }
    }


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    assert retry_after_header(RateLimitError("x", retry_after_s=0.2)) == "1"
    assert retry_after_header(RateLimitError("x", retry_after_s=2.01)) == "3"
    assert retry_after_header(UpstreamError("x")) is None


def test_statuses_keep_their_number_and_retryability() -> None:
    assert error_for_status(504, "t").retryable and error_for_status(504, "t").status == 504
    assert not error_for_status(400, "bad").retryable
    assert (
        isinstance(error_for_status(418, "teapot"), GatewayError) and error_for_status(418, "x").status == 418
    )


def _chat(**fields: object) -> bytes:
    return orjson.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}], **fields})


def test_a_full_request_with_tools_images_and_extras_is_accepted() -> None:
    body = _chat(
        messages=[
            {"role": "system", "content": "be brief"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is this?"},
                    {"type": "image_url", "image_url": {"url": "https://x/a.png", "detail": "low"}},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "look", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "a cat"},
        ],
        tools=[{"type": "function", "function": {"name": "look", "parameters": {"type": "object"}}}],
        tool_choice="auto",
        stream=True,
        stream_options={"include_usage": True},
        vendor_extension={"anything": 1},
    )

    chat = decode_chat_request(body)

    assert chat.stream is True and chat.stream_options is not None and chat.stream_options.include_usage
    assert len(chat.messages) == 4


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        (b'{"messages":[{"role":"user","content":"x"}]}', "model", "missing_required_parameter"),
        (_chat(messages=[]), "messages", "invalid_value"),
        (_chat(messages=[{"role": "robot", "content": "x"}]), "messages[0].role", "invalid_value"),
        (
            _chat(messages=[{"role": "tool", "content": "x"}]),
            "messages[0].tool_call_id",
            "missing_required_parameter",
        ),
        (_chat(temperature=2.5), "temperature", "invalid_value"),
        (_chat(n=0), "n", "invalid_value"),
        (_chat(stop=["a", "b", "c", "d", "e"]), "stop", "invalid_value"),
        (
            _chat(tools=[{"type": "function", "function": {"name": "bad name!"}}]),
            "tools[0].function.name",
            "invalid_value",
        ),
        (
            _chat(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]),
            "messages[0].content[0].image_url.url",
            "missing_required_parameter",
        ),
        (b"{not json", None, "invalid_json"),
        (b"[]", None, "invalid_value"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_field(body: bytes, param: str | None, code: str) -> None:
    with pytest.raises(GatewayError) as caught:
        decode_chat_request(body)

    assert caught.value.status == 400
    assert caught.value.param == param
    assert caught.value.code == code
