"""The one interface every provider adapter implements.

An adapter translates between OpenAI's Chat Completions format (the canonical
format inside aigw) and one provider's native API: the request it sends, the
answer it gets back, the stream events and the errors. One module per
provider; adding a provider is adding a module and one line in the registry.

Stream state lives in a `StreamTranslator` made per request, so the adapter
itself is shared by every request to its provider.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

from aigw_runtime.config import ProviderConfig
from aigw_runtime.errors import GatewayError


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
class CompletionResult:
    """A non-streamed answer, already in OpenAI's `chat.completion` JSON."""

    body: bytes
    usage: TokenUsage = field(default_factory=TokenUsage)


class StreamTranslator(abc.ABC):
    """Turns one upstream stream into `chat.completion.chunk` payloads as bytes arrive."""

    usage: TokenUsage | None = None

    @abc.abstractmethod
    def feed(self, data: bytes) -> list[bytes]:
        """Consumes raw bytes; returns the chunk payloads they complete (maybe none).

        Raises a GatewayError when the upstream reports an error inside the stream.
        """

    @abc.abstractmethod
    def finish(self) -> list[bytes]:
        """Called when the upstream closed the stream; returns any final payloads.

        Raises a GatewayError when the stream ended before its terminal event.
        """


class ProviderAdapter(abc.ABC):
    """Speaks one provider's API on behalf of every deployment of that provider."""

    def __init__(self, provider: ProviderConfig, api_key: str | None) -> None:
        self.provider = provider
        self.name = provider.name
        self._api_key = api_key

    @abc.abstractmethod
    def build_request(self, body: bytes, upstream_model: str, stream: bool) -> UpstreamRequest:
        """The native request for an OpenAI Chat Completions body (raises 400 if untranslatable)."""

    @abc.abstractmethod
    def parse_response(self, content: bytes) -> CompletionResult:
        """The OpenAI answer for a successful native response body."""

    @abc.abstractmethod
    def stream_translator(self, include_usage: bool) -> StreamTranslator:
        """A fresh translator for one streamed answer."""

    @abc.abstractmethod
    def map_error(self, status: int, headers: dict[str, str], content: bytes) -> GatewayError:
        """The gateway error for a native error response (never carrying a credential)."""
