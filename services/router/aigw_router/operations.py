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

from aigw_router.adapters import ChatCall, CompletionResult, EmbeddingsCall, StreamTranslator, UpstreamRequest
from aigw_router.catalog import Deployment
from aigw_runtime.errors import InvalidRequestError


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


EXCHANGES: dict[Operation, type[Exchange]] = {
    Operation.CHAT_COMPLETIONS: ChatExchange,
    Operation.EMBEDDINGS: EmbeddingsExchange,
}


def exchange_for(operation: Operation, deployment: Deployment, body: bytes, stream: bool) -> Exchange:
    kind = EXCHANGES.get(operation)
    if kind is None:
        raise InvalidRequestError(
            f"The operation {operation} is not served by this router.", code="unsupported_operation"
        )
    return kind(deployment, body, stream)
