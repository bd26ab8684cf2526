"""The one interface every provider adapter implements.

An adapter translates between the canonical formats inside aigw (OpenAI's Chat
Completions and Embeddings) and one provider's native API: the request it
sends, the answer it gets back, the stream events and the errors. One module
per provider; adding a provider is adding a module and a line in the registry.

Building a request is async, because some providers need work first: image
URLs fetched into bytes, an OAuth token, a SigV4 signature over the body.
Stream state lives in a `StreamTranslator` made per request, so the adapter
itself is shared by every request to its provider.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

import httpx

from aigw_router.adapters._images import ImageFetcher
from aigw_runtime.config import ProviderConfig
from aigw_runtime.errors import GatewayError, InvalidRequestError


class ParamPolicy(StrEnum):
    """What to do with a request parameter the provider cannot honour (per model, in the config)."""

    REJECT = "reject"
    DROP = "drop"


@dataclass(slots=True)
class TokenUsage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(slots=True)
class UpstreamRequest:
    """One HTTP request to a provider."""

    url: str
    headers: dict[str, str]
    content: bytes
    method: str = "POST"


@dataclass(slots=True)
class UpstreamAnswer:
    """A provider's successful response: its body, and its headers for the few answers that need them."""

    content: bytes
    # Case-insensitive when it comes from the router's HTTP client (httpx's Headers).
    headers: Mapping[str, str]


@dataclass(slots=True)
class CompletionResult:
    """A non-streamed answer, already in the canonical format (JSON bytes)."""

    body: bytes
    usage: TokenUsage = field(default_factory=TokenUsage)


@dataclass(frozen=True, slots=True)
class ChatCall:
    """One chat request as a deployment will send it."""

    # OpenAI's Chat Completions request, as validated by the edge (JSON).
    body: bytes
    # The deployment's upstream model name, which replaces the public one.
    upstream_model: str
    stream: bool
    policy: ParamPolicy = ParamPolicy.REJECT


@dataclass(frozen=True, slots=True)
class EmbeddingsCall:
    """One embeddings request as a deployment will send it (or one part of it: see `split_embeddings`)."""

    # OpenAI's Embeddings request (JSON).
    body: bytes
    upstream_model: str
    policy: ParamPolicy = ParamPolicy.REJECT


@dataclass(frozen=True, slots=True)
class AdapterServices:
    """What adapters may use besides their own config: one HTTP client, one image fetcher."""

    http: httpx.AsyncClient
    images: ImageFetcher


class StreamTranslator(abc.ABC):
    """Turns one upstream stream into canonical chunk payloads as bytes arrive.

    Subclasses implement `read` and `end`; callers use `feed` and `finish`,
    which make sure that an error reported inside the stream never swallows
    the payloads completed before it in the same bytes: those are returned
    first, and the error is raised by the next call.
    """

    usage: TokenUsage | None = None
    _failure: GatewayError | None = None

    def feed(self, data: bytes) -> list[bytes]:
        """Consumes raw bytes; returns the payloads they complete (maybe none).

        Raises a GatewayError when the upstream reports an error inside the stream.
        """
        if self._failure is not None:
            raise self._failure
        payloads: list[bytes] = []
        try:
            self.read(data, payloads)
        except GatewayError as error:
            if not payloads:
                raise
            self._failure = error
        return payloads

    def finish(self) -> list[bytes]:
        """Called when the upstream closed the stream; returns any final payloads.

        Raises a GatewayError when the stream ended before its terminal event,
        or the in-stream error `feed` has not raised yet.
        """
        if self._failure is not None:
            raise self._failure
        return self.end()

    @abc.abstractmethod
    def read(self, data: bytes, payloads: list[bytes]) -> None:
        """Appends to `payloads` the payloads `data` completes; raises GatewayError on an in-stream error."""

    @abc.abstractmethod
    def end(self) -> list[bytes]:
        """The last payloads, once the upstream closed; a GatewayError if its terminal event never came."""


class ProviderAdapter(abc.ABC):
    """Speaks one provider's API on behalf of every deployment of that provider.

    Subclasses resolve their own secrets (from `provider`) in `__init__`, so a
    missing credential stops the router at start with a clear message.
    """

    # Whether the provider serves Anthropic's Messages API natively (the
    # /v1/messages front door then passes requests through untranslated).
    native_anthropic_messages: ClassVar[bool] = False

    def __init__(self, provider: ProviderConfig, services: AdapterServices) -> None:
        self.provider = provider
        self.name = provider.name
        self.services = services

    # --- chat -------------------------------------------------------------------

    @abc.abstractmethod
    async def build_chat(self, call: ChatCall) -> UpstreamRequest:
        """The native request for an OpenAI chat request (a 400 if it cannot be translated)."""

    @abc.abstractmethod
    def parse_chat(self, content: bytes, upstream_model: str) -> CompletionResult:
        """OpenAI's `chat.completion` JSON for a successful native response."""

    @abc.abstractmethod
    def chat_stream(self, include_usage: bool, upstream_model: str) -> StreamTranslator:
        """A fresh translator into `chat.completion.chunk` payloads, for one streamed answer."""

    @abc.abstractmethod
    def map_error(self, status: int, headers: dict[str, str], content: bytes) -> GatewayError:
        """The gateway error for a native error response (never carrying a credential)."""

    # --- embeddings (providers without them keep these defaults) ---------------
    #
    # One call may take several upstream requests: `split_embeddings` cuts it into
    # parts that each fit one request, the router builds and sends the parts (a
    # few at a time, each built just before it is sent), and `parse_embeddings`
    # assembles the answers to all of them into one OpenAI list.

    def split_embeddings(self, call: EmbeddingsCall) -> list[EmbeddingsCall]:
        """The parts of one call, in input order, each small enough for one upstream request.

        The default sends the call as it is. An adapter whose provider takes
        fewer inputs per request than OpenAI's 2048 returns
        `_embeddings.split_inputs(call, limit)`; the parts differ from the call
        only in `input`.
        """
        return [call]

    async def build_embeddings(self, call: EmbeddingsCall) -> UpstreamRequest:
        """The native request for one part (a 400 if it cannot be translated)."""
        raise self.unsupported("embeddings")

    def parse_embeddings(self, answers: Sequence[UpstreamAnswer], call: EmbeddingsCall) -> CompletionResult:
        """OpenAI's embeddings `list` for the whole call, from the answers to its parts (in part order).

        `data` holds one embedding per input, in input order, with `index`
        0..n-1; `usage` is the sum over the answers.
        """
        raise self.unsupported("embeddings")

    # --- token counting (providers with a native counting API override both) ----
    #
    # The count is the provider's own, for the request `build_chat` would send:
    # an adapter reuses its chat translation and keeps the fields its counting
    # API takes. Providers without one keep the defaults, a 400 that says so:
    # an estimate would pass for the provider's count while being something else.

    async def build_chat_token_count(self, call: ChatCall) -> UpstreamRequest:
        """The native request counting the input tokens of a chat request (a 400 if it cannot be counted)."""
        raise self.cannot_count_tokens()

    def parse_chat_token_count(self, content: bytes) -> int:
        """The input token count in a successful native answer to `build_chat_token_count`'s request."""
        raise self.cannot_count_tokens()

    def cannot_count_tokens(self) -> GatewayError:
        return InvalidRequestError(
            f"Provider {self.name} ({self.provider.type}) cannot count tokens: its API has no token counting "
            "for chat. Models served by Claude, Gemini, Vertex AI or Bedrock can count.",
            param="model",
            code="unsupported_operation",
        )

    def unsupported(self, what: str) -> GatewayError:
        return InvalidRequestError(
            f"Provider {self.name} ({self.provider.type}) does not support {what}.",
            code="unsupported_operation",
        )
