"""Server-sent events, as the WHATWG spec frames them, in bytes.

Providers stream `chat.completion.chunk` payloads as SSE; the decoder turns a
byte stream into events as soon as each is complete, so tokens pass through
as they arrive.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SseEvent:
    data: bytes
    event: str | None = None
    id: str | None = None


class SseDecoder:
    """Incremental decoder: feed it bytes, get back the events they complete."""

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[bytes] = []
        self._event: str | None = None
        self._id: str | None = None

    def feed(self, chunk: bytes) -> list[SseEvent]:
        self._buffer += chunk
        events: list[SseEvent] = []
        while True:
            end = self._line_end()
            if end is None:
                return events
            line, sep_len = end
            raw = self._buffer[:line]
            self._buffer = self._buffer[line + sep_len :]
            event = self._process_line(raw)
            if event is not None:
                events.append(event)

    def _line_end(self) -> tuple[int, int] | None:
        lf = self._buffer.find(b"\n")
        cr = self._buffer.find(b"\r")
        if cr == -1 and lf == -1:
            return None
        if cr == -1 or (lf != -1 and lf < cr):
            return lf, 1
        if cr + 1 == len(self._buffer):
            return None  # a CR at the end may be the first half of CRLF
        return cr, 2 if self._buffer[cr + 1 : cr + 2] == b"\n" else 1

    def _process_line(self, line: bytes) -> SseEvent | None:
        if not line:
            if not self._data:
                self._event = None
                return None
            event = SseEvent(data=b"\n".join(self._data), event=self._event, id=self._id)
            self._data, self._event = [], None
            return event
        if line.startswith(b":"):
            return None
        name, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"id":
            self._id = value.decode("utf-8", "replace")
        return None


def encode_data(payload: bytes) -> bytes:
    """One `data:` event, framed as OpenAI frames it."""
    return b"data: " + payload + b"\n\n"


DONE = b"data: [DONE]\n\n"
