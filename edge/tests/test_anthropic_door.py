"""The Anthropic Messages door at the edge: what it reads from a body, how it speaks errors and streams."""

from __future__ import annotations

import orjson
import pytest

from aigw.router.v1 import router_pb2
from aigw_edge.cache_keys import cache_key
from aigw_edge.doors import ANTHROPIC_COUNT_TOKENS, ANTHROPIC_MESSAGES, CHAT, anthropic_betas
from aigw_edge.http.app import dialect_for
from aigw_edge.http.dialects import AnthropicDialect, OpenAIDialect
from aigw_runtime.errors import GatewayError, InvalidRequestError, error_for_status
from aigw_runtime.sse import SseDecoder

MESSAGE = {"model": "claude", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}


def test_a_streamed_message_request_routes_as_a_stream_with_usage() -> None:
    facts = ANTHROPIC_MESSAGES.decode(orjson.dumps({**MESSAGE, "stream": True}))

    assert (facts.model, facts.stream, facts.include_usage) == ("claude", True, True)
    assert ANTHROPIC_MESSAGES.operation == router_pb2.OPERATION_ANTHROPIC_MESSAGES


def test_count_tokens_needs_no_max_tokens_and_never_streams() -> None:
    facts = ANTHROPIC_COUNT_TOKENS.decode(orjson.dumps({"model": "claude", "messages": MESSAGE["messages"]}))

    assert (facts.model, facts.stream) == ("claude", False)
    assert ANTHROPIC_COUNT_TOKENS.operation == router_pb2.OPERATION_ANTHROPIC_COUNT_TOKENS


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "claude", "messages": MESSAGE["messages"]}, "max_tokens"),
        ({**MESSAGE, "messages": [{"role": "robot", "content": "hi"}]}, "messages[0].role"),
        ({**MESSAGE, "temperature": 3}, "temperature"),
        ({**MESSAGE, "tools": [{"name": "get_weather"}]}, "tools[0].input_schema"),
    ],
)
def test_a_bad_message_body_is_a_400_naming_the_field(body: dict[str, object], param: str) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        ANTHROPIC_MESSAGES.decode(orjson.dumps(body))

    assert refused.value.status == 400 and refused.value.param == param


def test_server_tools_and_fields_aigw_does_not_model_pass_the_door_for_claude() -> None:
    body = {
        **MESSAGE,
        "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 3}],
        "context_management": {"edits": []},
    }

    assert ANTHROPIC_MESSAGES.decode(orjson.dumps(body)).model == "claude"


@pytest.mark.parametrize(
    ("status", "sent", "kind"),
    [
        (400, 400, "invalid_request_error"),
        (401, 401, "authentication_error"),
        (403, 403, "permission_error"),
        (404, 404, "not_found_error"),
        (413, 413, "request_too_large"),
        (429, 429, "rate_limit_error"),
        (500, 500, "api_error"),
        (502, 502, "api_error"),
        (503, 529, "overloaded_error"),
        (504, 504, "timeout_error"),
    ],
)
def test_errors_take_anthropics_status_and_type(status: int, sent: int, kind: str) -> None:
    error = error_for_status(status, "Something went wrong.")
    dialect = AnthropicDialect()

    assert dialect.status(error) == sent
    assert orjson.loads(dialect.error_body(error)) == {
        "type": "error",
        "error": {"type": kind, "message": "Something went wrong."},
    }


def test_the_stream_is_sent_as_the_router_framed_it_and_ends_with_no_marker() -> None:
    events = [b'event: message_stop\ndata: {"type":"message_stop"}\n\n', b"event: ping\ndata: {}\n\n"]
    dialect = AnthropicDialect()

    assert dialect.frame(events) == b"".join(events)
    assert dialect.end() == b""


def test_a_failure_mid_stream_is_an_error_event_with_anthropics_error_object() -> None:
    error = GatewayError("Provider gpt closed the connection unexpectedly.", http_status=502)

    parsed = SseDecoder().feed(AnthropicDialect().error_event(error))

    assert len(parsed) == 1 and parsed[0].event == "error"
    assert orjson.loads(parsed[0].data) == {
        "type": "error",
        "error": {"type": "api_error", "message": "Provider gpt closed the connection unexpectedly."},
    }


@pytest.mark.parametrize(
    ("path", "dialect"),
    [
        ("/v1/messages", AnthropicDialect),
        ("/v1/messages/count_tokens", AnthropicDialect),
        ("/v1/messages/batches", AnthropicDialect),
        ("/v1/messagesx", OpenAIDialect),
        ("/v1/chat/completions", OpenAIDialect),
        ("/nowhere", OpenAIDialect),
    ],
)
def test_paths_under_the_messages_door_answer_errors_in_its_dialect(path: str, dialect: type) -> None:
    assert isinstance(dialect_for(path), dialect)


def test_the_same_body_has_a_different_cache_key_on_each_door() -> None:
    body = {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}

    keys = {
        cache_key(CHAT.name, body, False, False),
        cache_key(ANTHROPIC_MESSAGES.name, body, False, False),
        cache_key(ANTHROPIC_COUNT_TOKENS.name, body, False, False),
    }

    assert len(keys) == 3


def test_beta_names_come_from_every_anthropic_beta_header_once_each_in_order() -> None:
    headers = [
        (b"anthropic-beta", b"prompt-caching-2024-07-31, context-1m-2025-08-07"),
        (b"x-api-key", b"sk-secret"),
        (b"anthropic-beta", b"context-1m-2025-08-07,,interleaved-thinking-2025-05-14"),
    ]

    assert anthropic_betas(headers) == (
        "prompt-caching-2024-07-31",
        "context-1m-2025-08-07",
        "interleaved-thinking-2025-05-14",
    )
    assert anthropic_betas([(b"x-api-key", b"k")]) == ()


@pytest.mark.parametrize(
    "value",
    [b"ok-2025-01-01,not a token", b"semi;colon", b"-leading-dash", b",".join(b"b%d" % i for i in range(33))],
)
def test_a_beta_header_that_could_not_be_sent_on_safely_is_a_400(value: bytes) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        anthropic_betas([(b"anthropic-beta", value)])

    assert refused.value.param == "anthropic-beta"


def test_betas_are_part_of_the_cache_key_whatever_their_order() -> None:
    body = {"model": "claude", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}

    plain = cache_key(ANTHROPIC_MESSAGES.name, body, False, False)
    with_betas = cache_key(ANTHROPIC_MESSAGES.name, body, False, False, ("a-1", "b-2"))
    reordered = cache_key(ANTHROPIC_MESSAGES.name, body, False, False, ("b-2", "a-1"))

    assert plain != with_betas == reordered
