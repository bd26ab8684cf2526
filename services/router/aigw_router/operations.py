"""What one operation on one deployment means: how to build the request, read the answer, relay the stream.

The router's fallback logic (routing.py) is the same for every operation; an
`Exchange` hides the differences: chat and embeddings go to the adapter's
methods; Anthropic's Messages API goes to a provider that speaks it natively
untranslated, and to any other provider through the front door translators
(Anthropic Messages in, OpenAI chat to the adapter, Anthropic Messages out).
"""

from __future__ import annotations

import abc
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

import orjson

from aigw_router.adapters import (
    ChatCall,
    CompletionResult,
    EmbeddingsCall,
    ProviderAdapter,
    StreamTranslator,
    UpstreamRequest,
)
from aigw_router.catalog import Deployment
from aigw_router.frontdoor.anthropic_request import messages_to_chat
from aigw_router.frontdoor.anthropic_response import chat_to_message
from aigw_router.frontdoor.anthropic_stream import ChatToAnthropicStream
from aigw_runtime.anthropic_messages import decode_messages_request
from aigw_runtime.errors import InvalidRequestError, UpstreamError


class Operation(StrEnum):
    CHAT_COMPLETIONS = "chat.completions"
    EMBEDDINGS = "embeddings"
    ANTHROPIC_MESSAGES = "anthropic.messages"
    ANTHROPIC_COUNT_TOKENS = "anthropic.count_tokens"

    @property
    def streams(self) -> bool:
        return self in (Operation.CHAT_COMPLETIONS, Operation.ANTHROPIC_MESSAGES)


class Exchange(abc.ABC):
    """One operation on one deployment."""

    def __init__(self, deployment: Deployment, body: bytes, stream: bool) -> None:
        self.deployment = deployment
        self.adapter = deployment.adapter
        self.body = body
        self.stream = stream

    @abc.abstractmethod
    async def request(self) -> UpstreamRequest | None:
        """The upstream request, or None when the answer needs no upstream call."""

    @abc.abstractmethod
    def result(self, content: bytes) -> CompletionResult:
        """The canonical answer for the upstream's successful response (or for None's)."""

    def translator(self, include_usage: bool) -> StreamTranslator:
        raise InvalidRequestError("This operation cannot be streamed.", param="stream")


class ChatExchange(Exchange):
    def _call(self) -> ChatCall:
        d = self.deployment
        return ChatCall(body=self.body, upstream_model=d.upstream_model, stream=self.stream, policy=d.policy)

    async def request(self) -> UpstreamRequest | None:
        return await self.adapter.build_chat(self._call())

    def result(self, content: bytes) -> CompletionResult:
        return self.adapter.parse_chat(content, self.deployment.upstream_model)

    def translator(self, include_usage: bool) -> StreamTranslator:
        return self.adapter.chat_stream(include_usage, self.deployment.upstream_model)


class EmbeddingsExchange(Exchange):
    def _call(self) -> EmbeddingsCall:
        d = self.deployment
        return EmbeddingsCall(body=self.body, upstream_model=d.upstream_model, policy=d.policy)

    async def request(self) -> UpstreamRequest | None:
        return await self.adapter.build_embeddings(self._call())

    def result(self, content: bytes) -> CompletionResult:
        return self.adapter.parse_embeddings(content, self._call())


@runtime_checkable
class NativeMessages(Protocol):
    """What an adapter whose provider speaks Anthropic's Messages API offers besides chat."""

    async def build_messages(self, body: bytes, upstream_model: str, stream: bool) -> UpstreamRequest: ...

    def parse_messages(self, content: bytes) -> CompletionResult: ...

    def messages_stream(self) -> StreamTranslator: ...

    async def build_count_tokens(self, body: bytes, upstream_model: str) -> UpstreamRequest: ...

    def parse_count_tokens(self, content: bytes) -> CompletionResult: ...


def native_messages(adapter: ProviderAdapter) -> NativeMessages | None:
    """The adapter's native Messages API, or None when its provider needs translation."""
    if not adapter.native_anthropic_messages:
        return None
    if not isinstance(adapter, NativeMessages):
        raise TypeError(f"{type(adapter).__name__} sets native_anthropic_messages but lacks its methods")
    return adapter


class AnthropicMessagesExchange(Exchange):
    """Anthropic's Messages API: passed through to Claude, translated to and from chat for anyone else.

    Translated streams always ask the adapter for usage, so metering and the
    final `message_delta` both see the token counts.
    """

    def __init__(self, deployment: Deployment, body: bytes, stream: bool) -> None:
        super().__init__(deployment, body, stream)
        self._native = native_messages(self.adapter)

    def _chat_body(self) -> bytes:
        raw: dict[str, Any] = orjson.loads(self.body)
        chat = messages_to_chat(decode_messages_request(self.body), raw, stream=self.stream)
        return orjson.dumps(chat)

    async def request(self) -> UpstreamRequest | None:
        d = self.deployment
        if self._native is not None:
            return await self._native.build_messages(self.body, d.upstream_model, self.stream)
        call = ChatCall(
            body=self._chat_body(), upstream_model=d.upstream_model, stream=self.stream, policy=d.policy
        )
        return await self.adapter.build_chat(call)

    def result(self, content: bytes) -> CompletionResult:
        if self._native is not None:
            return self._native.parse_messages(content)
        chat = self.adapter.parse_chat(content, self.deployment.upstream_model)
        completion = orjson.loads(chat.body)  # the adapter's own canonical JSON
        if not isinstance(completion, dict):
            raise UpstreamError(
                f"Provider {self.deployment.provider} sent a response that is not a completion."
            )
        model = completion.get("model")
        answered_by = model if isinstance(model, str) and model else self.deployment.upstream_model
        return CompletionResult(body=orjson.dumps(chat_to_message(completion, answered_by)), usage=chat.usage)

    def translator(self, include_usage: bool) -> StreamTranslator:
        if self._native is not None:
            return self._native.messages_stream()
        upstream_model = self.deployment.upstream_model
        return ChatToAnthropicStream(self.adapter.chat_stream(True, upstream_model), upstream_model)


class AnthropicCountTokensExchange(Exchange):
    """Anthropic's count_tokens: Claude counts; no other provider can, so the answer there is a 400.

    An estimate would look exactly like Claude's count while being something
    else; a client that needs the number can tell a refusal apart.
    """

    async def request(self) -> UpstreamRequest | None:
        native = native_messages(self.adapter)
        if native is None:
            raise InvalidRequestError(
                "Token counting is only available for models served by Claude; this model is served by "
                f"provider {self.deployment.provider} ({self.adapter.provider.type}), "
                "which cannot count tokens.",
                param="model",
                code="unsupported_operation",
            )
        return await native.build_count_tokens(self.body, self.deployment.upstream_model)

    def result(self, content: bytes) -> CompletionResult:
        native = native_messages(self.adapter)
        assert native is not None, "request() refuses deployments that cannot count"
        return native.parse_count_tokens(content)


EXCHANGES: dict[Operation, type[Exchange]] = {
    Operation.CHAT_COMPLETIONS: ChatExchange,
    Operation.EMBEDDINGS: EmbeddingsExchange,
    Operation.ANTHROPIC_MESSAGES: AnthropicMessagesExchange,
    Operation.ANTHROPIC_COUNT_TOKENS: AnthropicCountTokensExchange,
}


def exchange_for(operation: Operation, deployment: Deployment, body: bytes, stream: bool) -> Exchange:
    kind = EXCHANGES.get(operation)
    if kind is None:
        raise InvalidRequestError(
            f"The operation {operation} is not served by this router.", code="unsupported_operation"
        )
    return kind(deployment, body, stream)
