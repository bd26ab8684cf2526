"""How a front door speaks: its error status and body, and how its stream is framed.

OpenAI frames each chunk as `data: <json>`, ends with `data: [DONE]`, and
reports a failure mid-stream as a `data:` event holding an `error` object.

Anthropic names every event (`event: <type>`), so on its door the router's
stream chunks are whole SSE events already (see OPERATION_ANTHROPIC_MESSAGES
in router.proto) and are sent as they are; `message_stop` ends the stream,
with no marker after it. Errors are `{"type": "error", "error": {"type",
"message"}}`, the type named after the status as Anthropic names it, and a
failure mid-stream is an `event: error` carrying the same object. The
gateway's 503 (an overloaded or unavailable upstream) is Anthropic's 529
`overloaded_error`, which Anthropic's clients treat as "try again".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from aigw_edge.http.asgi import Send, send_bytes
from aigw_runtime.anthropic_messages import anthropic_error_body
from aigw_runtime.errors import GatewayError, openai_error_body, retry_after_header
from aigw_runtime.sse import DONE

ANTHROPIC_OVERLOADED = 529


class Dialect(Protocol):
    def status(self, error: GatewayError) -> int:
        """The HTTP status an error answer has on this door."""

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
    def status(self, error: GatewayError) -> int:
        return error.status

    def error_body(self, error: GatewayError) -> bytes:
        return openai_error_body(error)

    def frame(self, payloads: list[bytes]) -> bytes:
        return b"".join(b"data: " + payload + b"\n\n" for payload in payloads)

    def end(self) -> bytes:
        return DONE

    def error_event(self, error: GatewayError) -> bytes:
        return b"data: " + openai_error_body(error) + b"\n\n"


@dataclass(frozen=True, slots=True)
class AnthropicDialect:
    def status(self, error: GatewayError) -> int:
        return ANTHROPIC_OVERLOADED if error.status == 503 else error.status

    def error_body(self, error: GatewayError) -> bytes:
        return anthropic_error_body(error, status=self.status(error))

    def frame(self, payloads: list[bytes]) -> bytes:
        return b"".join(payloads)

    def end(self) -> bytes:
        return b""

    def error_event(self, error: GatewayError) -> bytes:
        return b"event: error\ndata: " + self.error_body(error) + b"\n\n"


async def send_error(
    send: Send, dialect: Dialect, error: GatewayError, headers: Iterable[tuple[str, str]] = ()
) -> int:
    """The error answer in the door's dialect, with Retry-After when set; returns the status sent."""
    extra = list(headers)
    retry_after = retry_after_header(error)
    if retry_after is not None:
        extra.append(("retry-after", retry_after))
    status = dialect.status(error)
    await send_bytes(send, status, dialect.error_body(error), extra)
    return status
