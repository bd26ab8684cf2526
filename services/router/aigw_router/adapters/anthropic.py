"""Anthropic's Messages API (`type: anthropic`), for OpenAI chat requests and natively.

OpenAI chat requests are translated (see `anthropic_request.py` for the
request and the choices made there) and answered as `chat.completion` JSON:
text blocks joined into `content`, `tool_use` blocks as `tool_calls` with
their input dumped as JSON arguments, the stop reason as a finish reason
(`end_turn`/`stop_sequence` stop, `max_tokens` length, `tool_use`
tool_calls, `refusal` content_filter), and usage with the prompt cache's
reads as `cached_tokens`. Streams are translated event by event (see
`anthropic_stream.py`).

Anthropic's own Messages requests (the gateway's /v1/messages front door)
pass through untouched but for the model name, and so do their answers and
streams; only usage is read from them.

`base_url` is Anthropic's SDK base URL, without a version path
(https://api.anthropic.com by default); requests carry `x-api-key` and
`anthropic-version: 2023-06-01`. That version is pinned on purpose: it is
the one the translation is written against, and the one that still defines
`temperature` and `top_p` (2026-10-21, which the official SDK 2.x sends,
refuses them). Native pass-through requests carry the same version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from aigw_router.adapters._errors import error_json, retry_after_seconds, upstream_error
from aigw_router.adapters._responses import (
    assistant_message,
    json_object,
    one_choice_completion,
    tool_call,
    usage_object,
)
from aigw_router.adapters.anthropic_request import translate_chat_request
from aigw_router.adapters.anthropic_stream import (
    AnthropicChatStream,
    AnthropicMessagesRelay,
    chat_completion_id,
    error_details,
    finish_reason,
    usage_from_anthropic,
)
from aigw_router.adapters.base import (
    AdapterServices,
    ChatCall,
    CompletionResult,
    ProviderAdapter,
    StreamTranslator,
    TokenUsage,
    UpstreamRequest,
)
from aigw_runtime.clock import Clock, SystemClock
from aigw_runtime.config import ProviderConfig
from aigw_runtime.errors import GatewayError, InvalidRequestError, UpstreamError
from aigw_runtime.secrets import resolve_secret

DEFAULT_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"


def _tool_call(block: dict[str, Any]) -> dict[str, Any]:
    arguments = block.get("input")
    return tool_call(
        block.get("id"),
        block.get("name"),
        orjson.dumps(arguments if isinstance(arguments, dict) else {}).decode(),
    )


def chat_completion(message: dict[str, Any], upstream_model: str, created: int) -> dict[str, Any]:
    """OpenAI's `chat.completion` for an Anthropic `message` (thinking and server-tool blocks left out)."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in message.get("content") or ():
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif block.get("type") == "tool_use":
            calls.append(_tool_call(block))
    model = message.get("model")
    return one_choice_completion(
        chat_completion_id(message.get("id")),
        created,
        model if isinstance(model, str) and model else upstream_model,
        assistant_message("".join(texts) if texts else None, calls),
        finish_reason(message.get("stop_reason")),
        usage_object(usage_from_anthropic(message.get("usage"))),
    )


def _with_betas(request: UpstreamRequest, betas: Sequence[str]) -> UpstreamRequest:
    """The request with the client's beta features in `anthropic-beta` (Anthropic's comma-separated list)."""
    if betas:
        request.headers["anthropic-beta"] = ",".join(betas)
    return request


class AnthropicAdapter(ProviderAdapter):
    """`type: anthropic`: Claude through Anthropic's own API, translated or native."""

    native_anthropic_messages = True

    def __init__(
        self, provider: ProviderConfig, services: AdapterServices, *, clock: Clock | None = None
    ) -> None:
        super().__init__(provider, services)
        self._clock = clock or SystemClock()
        base_url = (provider.base_url or DEFAULT_BASE_URL).rstrip("/")
        self._messages_url = base_url + "/v1/messages"
        self._count_tokens_url = base_url + "/v1/messages/count_tokens"
        self._headers = {
            "anthropic-version": ANTHROPIC_VERSION,
            "content-type": "application/json",
            "accept": "application/json",
        }
        if provider.api_key:
            self._headers["x-api-key"] = resolve_secret(provider.api_key)

    def _request(self, url: str, body: dict[str, Any], stream: bool) -> UpstreamRequest:
        headers = dict(self._headers)
        if stream:
            headers["accept"] = "text/event-stream"
        return UpstreamRequest(url=url, headers=headers, content=orjson.dumps(body))

    def _message(self, content: bytes) -> dict[str, Any]:
        message = json_object(self.name, content, "a message")
        if message.get("type") != "message" or not isinstance(message.get("content"), list):
            raise UpstreamError(f"Provider {self.name} sent a response that is not a message.")
        return message

    # --- OpenAI chat, translated ----------------------------------------------------

    async def build_chat(self, call: ChatCall) -> UpstreamRequest:
        return self._request(self._messages_url, translate_chat_request(call, self.name), call.stream)

    def parse_chat(self, content: bytes, upstream_model: str) -> CompletionResult:
        message = self._message(content)
        completion = chat_completion(message, upstream_model, int(self._clock.now()))
        return CompletionResult(
            body=orjson.dumps(completion), usage=usage_from_anthropic(message.get("usage"))
        )

    def chat_stream(self, include_usage: bool, upstream_model: str) -> StreamTranslator:
        return AnthropicChatStream(self.name, include_usage, upstream_model, int(self._clock.now()))

    def map_error(self, status: int, headers: dict[str, str], content: bytes) -> GatewayError:
        kind, message = error_details(error_json(content))
        return upstream_error(
            self.name,
            status,
            message,
            retry_after_s=retry_after_seconds(headers),
            overloaded=kind == "overloaded_error",
        )

    # --- Anthropic Messages, native -------------------------------------------------

    def _native_body(self, body: bytes, upstream_model: str) -> dict[str, Any]:
        try:
            request = orjson.loads(body)
        except orjson.JSONDecodeError:
            request = None
        if not isinstance(request, dict):
            raise InvalidRequestError("The request body must be a JSON object.", code="invalid_json")
        request["model"] = upstream_model
        return request

    async def build_messages(
        self, body: bytes, upstream_model: str, stream: bool, betas: Sequence[str] = ()
    ) -> UpstreamRequest:
        """The Messages request passed through, with the deployment's model, the stream flag and the betas."""
        request = self._native_body(body, upstream_model)
        if stream:
            request["stream"] = True
        else:
            request.pop("stream", None)
        return _with_betas(self._request(self._messages_url, request, stream), betas)

    def parse_messages(self, content: bytes) -> CompletionResult:
        """The native answer unchanged, with its usage."""
        message = self._message(content)
        return CompletionResult(body=content, usage=usage_from_anthropic(message.get("usage")))

    def messages_stream(self) -> StreamTranslator:
        """Relays the native stream event by event (see `AnthropicMessagesRelay`)."""
        return AnthropicMessagesRelay(self.name)

    async def build_count_tokens(
        self, body: bytes, upstream_model: str, betas: Sequence[str] = ()
    ) -> UpstreamRequest:
        """`POST /v1/messages/count_tokens`, passed through with the deployment's model and the betas."""
        request = self._request(self._count_tokens_url, self._native_body(body, upstream_model), False)
        return _with_betas(request, betas)

    def parse_count_tokens(self, content: bytes) -> CompletionResult:
        """The count unchanged; counting is free at Anthropic, so no tokens are metered."""
        answer = json_object(self.name, content, "a token count")
        count = answer.get("input_tokens")
        if not isinstance(count, int) or isinstance(count, bool):
            raise UpstreamError(f"Provider {self.name} sent a response that is not a token count.")
        return CompletionResult(body=content, usage=TokenUsage())
