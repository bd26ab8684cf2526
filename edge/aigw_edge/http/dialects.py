"""How a front door speaks: its error body and how its stream is framed.

OpenAI frames each chunk as `data: <json>`, ends with `data: [DONE]`, and
reports a failure mid-stream as a `data:` event holding an `error` object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aigw_runtime.errors import GatewayError, openai_error_body
from aigw_runtime.sse import DONE


class Dialect(Protocol):
    def error_body(self, error: GatewayError) -> bytes:
        """The JSON body of an error answer."""

    def frame(self, payloads: list[bytes]) -> bytes:
        """The SSE bytes for chunks from the router."""

    def end(self) -> bytes:
        """What closes a stream that finished well."""

    def error_event(self, error: GatewayError) -> bytes:
        """The SSE event that reports a failure after the stream started."""


@dataclass(frozen=True, slots=True)
class OpenAIDialect:
    def error_body(self, error: GatewayError) -> bytes:
        return openai_error_body(error)

    def frame(self, payloads: list[bytes]) -> bytes:
        return b"".join(b"data: " + payload + b"\n\n" for payload in payloads)

    def end(self) -> bytes:
        return DONE

    def error_event(self, error: GatewayError) -> bytes:
        return b"data: " + openai_error_body(error) + b"\n\n"
