"""How an answer reaches the client: latency, token pacing, hangs, dropped connections, in-band errors.

Protocol modules decide *what* to send (a JSON body, a list of stream frames,
the error event that fails their stream); the responses here decide *how* and
*when*, from the request's `RequestPlan`. Nothing in this module knows any
provider's wire format.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

import orjson

from aigw_fakeprovider._http import Connection
from aigw_fakeprovider.errors import ProviderError
from aigw_fakeprovider.faults import RequestPlan
from aigw_fakeprovider.knobs import FaultKind, Knobs

Headers = Sequence[tuple[str, str]]


class Response(Protocol):
    """Something a handler returns: it knows how to send itself down a connection."""

    async def send(self, connection: Connection) -> None:
        """Sends the whole response (or deliberately fails to)."""


# Pause between the last chunk and a stream's cut (a dropped connection or an in-band error).
CUT_DELAY_S = 0.05


@dataclass(frozen=True, slots=True)
class JsonResponse:
    """A JSON body, sent after `delay_s`."""

    status: int
    body: Any
    headers: Headers = ()
    delay_s: float = 0.0

    async def send(self, connection: Connection) -> None:
        if self.delay_s > 0:
            await connection.pause(self.delay_s)
        payload = orjson.dumps(self.body)
        await connection.respond(self.status, payload, [("content-type", "application/json"), *self.headers])


@dataclass(frozen=True, slots=True)
class BytesResponse:
    """A body of any content type, sent as it is."""

    status: int
    body: bytes
    content_type: str

    async def send(self, connection: Connection) -> None:
        await connection.respond(self.status, self.body, [("content-type", self.content_type)])


@dataclass(frozen=True, slots=True)
class Frame:
    """One event of a stream, already framed; `token` frames are the ones paced."""

    data: bytes
    token: bool = False


@dataclass(frozen=True, slots=True)
class Pacing:
    """Time to the first frame, then time between token frames."""

    first_frame_s: float = 0.0
    token_interval_s: float = 0.0

    @classmethod
    def from_knobs(cls, knobs: Knobs) -> Pacing:
        interval = 1.0 / knobs.tokens_per_s if knobs.tokens_per_s > 0 else 0.0
        return cls(first_frame_s=knobs.ttft_ms / 1000.0, token_interval_s=interval)


InBandError = Callable[[int], bytes]
"""How a protocol fails a stream it already started: the bytes that end it after `sent` frames.

Real providers answer 200, stream some events, then report a failure in the
stream's own format (OpenAI's `data: {"error": ...}`, Anthropic's `event:
error`, Bedrock's exception message, ...) and end the body cleanly, with no
end-of-stream marker. `sent` matters only to formats whose framing depends on
what came before (a JSON array's `[` or `,`).
"""


class _Sent(Enum):
    """How far a stream's frames went."""

    ALL = "all"
    CUT = "cut"  # stopped at `cut_after`, as its fault says
    INTERRUPTED = "interrupted"  # the server began shutting down while pacing


@dataclass(frozen=True, slots=True)
class EventStream:
    """A stream of frames, paced, then `terminator`; or cut short after `cut_after` frames.

    Headers go out at once; the first frame waits `pacing.first_frame_s`, and
    every token frame after the first waits `pacing.token_interval_s`. A
    stream cut short ends at once with `failure` (the protocol's in-band
    error) and a clean end of the body, without the terminator; with no
    `failure` its connection is dropped instead, `CUT_DELAY_S` after the last
    frame. A stream still pacing when the server shuts down is cut off.
    """

    frames: Sequence[Frame]
    pacing: Pacing = field(default_factory=Pacing)
    terminator: bytes | None = None
    cut_after: int | None = None
    failure: bytes | None = None
    headers: Headers = ()
    content_type: str = "text/event-stream"

    async def send(self, connection: Connection) -> None:
        await connection.start(
            200, [("content-type", self.content_type), ("cache-control", "no-cache"), *self.headers]
        )
        sent = await self._send_frames(connection)
        if sent is _Sent.ALL:
            if self.terminator is not None:
                await connection.write(self.terminator)
            await connection.finish()
            return
        if sent is _Sent.CUT and self.failure is not None:
            # Right behind the last chunk, often in the same packet: a gateway must
            # still relay the chunks it reads together with the error.
            await connection.write(self.failure)
            await connection.finish()
            return
        # Let the chunks already written reach the client before the cut, as when
        # a real upstream dies mid-answer rather than in the same packet.
        await connection.pause(CUT_DELAY_S)
        await connection.drop()

    async def _send_frames(self, connection: Connection) -> _Sent:
        """Sends the paced frames, up to `cut_after` of them."""
        if self.pacing.first_frame_s > 0 and not await connection.pause(self.pacing.first_frame_s):
            return _Sent.INTERRUPTED
        tokens_sent = 0
        for sent, frame in enumerate(self.frames):
            if self.cut_after is not None and sent >= self.cut_after:
                return _Sent.CUT
            if frame.token:
                interval = self.pacing.token_interval_s
                if tokens_sent and interval > 0 and not await connection.pause(interval):
                    return _Sent.INTERRUPTED
                tokens_sent += 1
            await connection.write(frame.data)
        return _Sent.ALL if self.cut_after is None else _Sent.CUT


@dataclass(frozen=True, slots=True)
class Hang:
    """Accepts the request and never answers, until the client gives up."""

    async def send(self, connection: Connection) -> None:
        await connection.wait_until_gone()


@dataclass(frozen=True, slots=True)
class Drop:
    """Closes the connection without sending any response."""

    async def send(self, connection: Connection) -> None:
        await connection.drop()


def answer_json(plan: RequestPlan, body: Any, headers: Headers = ()) -> JsonResponse:
    """A 200 with `body`, sent after the latency of the request's knobs."""
    return JsonResponse(200, body, headers=headers, delay_s=plan.knobs.latency_ms / 1000.0)


def answer_stream(
    plan: RequestPlan,
    frames: Sequence[Frame],
    *,
    in_band_error: InBandError,
    headers: Headers = (),
    terminator: bytes | None = None,
    content_type: str = "text/event-stream",
) -> EventStream:
    """The frames of a streamed answer, paced by the request's knobs and cut where its fault says.

    A `drop` fault cuts the connection after `drop_after_chunks` frames; a
    `stream_error` fault sends that many, then `in_band_error`'s bytes.
    """
    cut_after = plan.drop_after_chunks
    failure = None
    if plan.stream_error_after_chunks is not None:
        cut_after = plan.stream_error_after_chunks
        failure = in_band_error(min(cut_after, len(frames)))
    return EventStream(
        frames,
        pacing=Pacing.from_knobs(plan.knobs),
        terminator=terminator,
        cut_after=cut_after,
        failure=failure,
        headers=headers,
        content_type=content_type,
    )


def deliver(
    plan: RequestPlan,
    *,
    streaming: bool,
    fault_error: Callable[[FaultKind], ProviderError],
    answer: Callable[[], Response],
) -> Response:
    """The response for a valid request: its planned fault, or the answer `answer` builds.

    Error-status faults are raised as the protocol's `fault_error`, so the
    protocol's error envelope renders them like any other error. `drop` and
    `stream_error` faults on a stream are carried out by the stream itself
    (see `answer_stream`); on a request that does not stream, `stream_error`
    is the same failure as an error status (`fault_error(STREAM_ERROR)`).
    """
    if plan.fault.is_error_status or (plan.fault is FaultKind.STREAM_ERROR and not streaming):
        raise fault_error(plan.fault)
    if plan.fault is FaultKind.HANG:
        return Hang()
    if plan.fault is FaultKind.DROP and not streaming:
        return Drop()
    return answer()
