"""What one operation on one deployment means: how to build the request, read the answer, relay the stream.

The router's fallback logic (routing.py) is the same for every operation; an
`Exchange` hides the differences: chat and embeddings go to the adapter's
methods; Anthropic's Messages API goes to a provider that speaks it natively
untranslated, and to any other provider through the front door translators
(Anthropic Messages in, OpenAI chat to the adapter, Anthropic Messages out).

Anthropic's count_tokens is answered with the provider's own count, never an
estimate: Claude counts the body as sent; any other provider gets the body
translated to chat (as a Messages request would be) and counts it with its
native counting API through the adapter's `build_chat_token_count` and
`parse_chat_token_count` (Gemini, Vertex AI, Bedrock); an adapter without one
refuses with a 400 that names the provider, before any upstream call.
Counting is free: no usage is metered.

Most operations are one upstream request. Embeddings may be several, when the
provider takes fewer inputs per request than the call holds: they are sent
concurrently, at most `MAX_IN_FLIGHT_PER_CALL` at a time, and the first
failure fails the whole call.
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any, Protocol, TypeVar, runtime_checkable

import orjson

from aigw_router.adapters import (
    ChatCall,
    CompletionResult,
    EmbeddingsCall,
    ProviderAdapter,
    StreamTranslator,
    UpstreamAnswer,
    UpstreamRequest,
)
from aigw_router.catalog import Deployment
from aigw_router.frontdoor.anthropic_request import messages_to_chat
from aigw_router.frontdoor.anthropic_response import chat_to_message
from aigw_router.frontdoor.anthropic_stream import ChatToAnthropicStream
from aigw_router.upstream import UpstreamCaller
from aigw_runtime.anthropic_messages import (
    MessagesInput,
    decode_count_tokens_request,
    decode_messages_request,
)
from aigw_runtime.errors import GatewayError, InvalidRequestError, UpstreamError

# Upstream requests of one call in flight at once. The pooled client is shared by
# every tenant and the provider's rate limit by every call: a 2048-input batch to
# a one-text-per-request model must neither take hundreds of connections nor
# burst into a 429 that fails the whole batch. Eight keeps a batch's cut of the
# pool under 1% and still sends the batches of 96-250 inputs per request of
# Cohere, Gemini and Vertex (at most 22 requests) in three rounds or fewer.
MAX_IN_FLIGHT_PER_CALL = 8

_T = TypeVar("_T")

log = logging.getLogger(__name__)


def unreadable_answer(deployment: Deployment) -> UpstreamError:
    """The 502 for a provider answer an adapter failed to read (logged with its trace, for a fix).

    Adapters check what providers send; this is the net under a check they
    lack, so that an odd answer is the provider's failure, not a 500.
    """
    log.exception("provider %s: an answer the adapter could not read", deployment.provider)
    return UpstreamError(
        f"Provider {deployment.provider} sent a response the gateway could not read.",
        code="upstream_malformed",
    )


@dataclass(frozen=True, slots=True)
class CallOptions:
    """What the client asked for beyond the body, for the deployments that can honour it."""

    # Anthropic beta features, sent on to deployments that speak the Messages API natively.
    anthropic_beta: tuple[str, ...] = ()


NO_OPTIONS = CallOptions()


class Operation(StrEnum):
    CHAT_COMPLETIONS = "chat.completions"
    EMBEDDINGS = "embeddings"
    ANTHROPIC_MESSAGES = "anthropic.messages"
    ANTHROPIC_COUNT_TOKENS = "anthropic.count_tokens"


class Exchange(abc.ABC):
    """One operation on one deployment."""

    def __init__(
        self, deployment: Deployment, body: bytes, stream: bool, options: CallOptions = NO_OPTIONS
    ) -> None:
        self.deployment = deployment
        self.adapter = deployment.adapter
        self.body = body
        self.stream = stream
        self.options = options

    @abc.abstractmethod
    async def complete(self, caller: UpstreamCaller) -> CompletionResult:
        """The canonical answer, not streamed: the upstream requests sent with `caller`, the answers read."""

    async def request(self) -> UpstreamRequest | None:
        """The one upstream request of a streamed operation."""
        raise InvalidRequestError("This operation cannot be streamed.", param="stream")

    def translator(self, include_usage: bool) -> StreamTranslator:
        raise InvalidRequestError("This operation cannot be streamed.", param="stream")


class OneRequestExchange(Exchange):
    """An operation that is one upstream request (or none) and the reading of its answer."""

    @abc.abstractmethod
    async def request(self) -> UpstreamRequest | None:
        """The upstream request, or None when the answer needs no upstream call."""

    @abc.abstractmethod
    def result(self, content: bytes) -> CompletionResult:
        """The canonical answer for the upstream's successful response (or for None's)."""

    async def complete(self, caller: UpstreamCaller) -> CompletionResult:
        request = await self.request()
        content = b"" if request is None else (await caller.send(self.deployment, request)).content
        try:
            return self.result(content)
        except GatewayError:
            raise
        except Exception:
            raise unreadable_answer(self.deployment) from None


class ChatExchange(OneRequestExchange):
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
    """Embeddings: the adapter's parts of the call, one upstream request each, and one list from the answers.

    A call of one part (every OpenAI pass-through, and most batches) is built
    and sent inline, as any one-request operation. Several parts are sent by
    at most `MAX_IN_FLIGHT_PER_CALL` concurrent workers, each part built just
    before it is sent (a SigV4 signature or a token is fresh, and signing a
    large batch does not hold the event loop in one go).
    """

    async def complete(self, caller: UpstreamCaller) -> CompletionResult:
        d = self.deployment
        call = EmbeddingsCall(body=self.body, upstream_model=d.upstream_model, policy=d.policy)
        parts = self.adapter.split_embeddings(call)
        if len(parts) == 1:
            answers = [await self._send(caller, parts[0])]
        else:
            jobs = [partial(self._send, caller, part) for part in parts]
            answers = await gather_bounded(jobs, MAX_IN_FLIGHT_PER_CALL)
        try:
            return self.adapter.parse_embeddings(answers, call)
        except GatewayError:
            raise
        except Exception:
            raise unreadable_answer(self.deployment) from None

    async def _send(self, caller: UpstreamCaller, part: EmbeddingsCall) -> UpstreamAnswer:
        return await caller.send(self.deployment, await self.adapter.build_embeddings(part))


async def gather_bounded(jobs: Sequence[Callable[[], Awaitable[_T]]], limit: int) -> list[_T]:
    """Runs the jobs, at most `limit` at a time, and returns their results in the jobs' order.

    The first failure cancels the jobs still running and is raised, so no
    partial answer survives it. When several fail together, a fatal
    GatewayError wins over a retryable one: falling back to another
    deployment would only meet the same refusal.
    """
    results: dict[int, _T] = {}
    pending = iter(enumerate(jobs))

    async def worker() -> None:
        for index, job in pending:
            results[index] = await job()

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(limit, len(jobs))):
                group.create_task(worker())
    except BaseExceptionGroup as failed:
        raise _first_failure(failed) from None
    return [results[index] for index in range(len(jobs))]


def _first_failure(failed: BaseExceptionGroup[BaseException]) -> BaseException:
    errors = [error for error in failed.exceptions if isinstance(error, GatewayError)]
    fatal = [error for error in errors if not error.retryable]
    if fatal or errors:
        return (fatal or errors)[0]
    return failed.exceptions[0]


@runtime_checkable
class NativeMessages(Protocol):
    """What an adapter whose provider speaks Anthropic's Messages API offers besides chat."""

    async def build_messages(
        self, body: bytes, upstream_model: str, stream: bool, betas: Sequence[str] = ()
    ) -> UpstreamRequest: ...

    def parse_messages(self, content: bytes) -> CompletionResult: ...

    def messages_stream(self) -> StreamTranslator: ...

    async def build_count_tokens(
        self, body: bytes, upstream_model: str, betas: Sequence[str] = ()
    ) -> UpstreamRequest: ...

    def parse_count_tokens(self, content: bytes) -> CompletionResult: ...


def native_messages(adapter: ProviderAdapter) -> NativeMessages | None:
    """The adapter's native Messages API, or None when its provider needs translation."""
    if not adapter.native_anthropic_messages:
        return None
    if not isinstance(adapter, NativeMessages):
        raise TypeError(f"{type(adapter).__name__} sets native_anthropic_messages but lacks its methods")
    return adapter


class _AnthropicExchange(OneRequestExchange):
    """An operation of Anthropic's API: native when the deployment speaks it, translated otherwise."""

    def __init__(
        self, deployment: Deployment, body: bytes, stream: bool, options: CallOptions = NO_OPTIONS
    ) -> None:
        super().__init__(deployment, body, stream, options)
        self._native = native_messages(self.adapter)


class AnthropicMessagesExchange(_AnthropicExchange):
    """Anthropic's Messages API: passed through to Claude, translated to and from chat for anyone else.

    Translated streams always ask the adapter for usage, so metering and the
    final `message_delta` both see the token counts.
    """

    async def request(self) -> UpstreamRequest | None:
        d = self.deployment
        if self._native is not None:
            return await self._native.build_messages(
                self.body, d.upstream_model, self.stream, self.options.anthropic_beta
            )
        return await self.adapter.build_chat(_chat_call(d, self.body, decode_messages_request, self.stream))

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


class AnthropicCountTokensExchange(_AnthropicExchange):
    """Anthropic's count_tokens: counted by the provider itself, natively or on the translated request.

    Claude gets the body as sent. Any other deployment gets the chat request a
    Messages call with this input would send (nothing generated, so no
    max_tokens or sampling), counted by the provider's own counting API; the
    answer is Anthropic's `{"input_tokens": N}`. A provider that cannot count
    refuses with a 400: an estimate would look exactly like a real count.
    """

    async def request(self) -> UpstreamRequest | None:
        d = self.deployment
        if self._native is not None:
            return await self._native.build_count_tokens(
                self.body, d.upstream_model, self.options.anthropic_beta
            )
        return await self.adapter.build_chat_token_count(
            _chat_call(d, self.body, decode_count_tokens_request, stream=False)
        )

    def result(self, content: bytes) -> CompletionResult:
        if self._native is not None:
            return self._native.parse_count_tokens(content)
        count = self.adapter.parse_chat_token_count(content)
        return CompletionResult(body=orjson.dumps({"input_tokens": count}))


def _chat_call(
    deployment: Deployment, body: bytes, decode: Callable[[bytes], MessagesInput], stream: bool
) -> ChatCall:
    """The chat call for an Anthropic body (decoded with `decode`) to a deployment that needs translation."""
    raw: dict[str, Any] = orjson.loads(body)
    chat = orjson.dumps(messages_to_chat(decode(body), raw, stream=stream))
    return ChatCall(
        body=chat, upstream_model=deployment.upstream_model, stream=stream, policy=deployment.policy
    )


EXCHANGES: dict[Operation, type[Exchange]] = {
    Operation.CHAT_COMPLETIONS: ChatExchange,
    Operation.EMBEDDINGS: EmbeddingsExchange,
    Operation.ANTHROPIC_MESSAGES: AnthropicMessagesExchange,
    Operation.ANTHROPIC_COUNT_TOKENS: AnthropicCountTokensExchange,
}


def exchange_for(
    operation: Operation,
    deployment: Deployment,
    body: bytes,
    stream: bool,
    options: CallOptions = NO_OPTIONS,
) -> Exchange:
    kind = EXCHANGES.get(operation)
    if kind is None:
        raise InvalidRequestError(
            f"The operation {operation} is not served by this router.", code="unsupported_operation"
        )
    return kind(deployment, body, stream, options)
