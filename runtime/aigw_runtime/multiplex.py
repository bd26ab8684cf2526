"""Unary calls multiplexed over one long-lived gRPC bidirectional stream.

In Python a grpc.aio unary call costs about 200 µs of CPU on each side; a
message on an open stream costs well under half of that. So the edge sends
its hot-path calls as envelopes `{call_id, request}` on one stream, and the
service answers each with `{call_id, response | error}`, in any order.

The envelopes are ordinary messages of the service's contract (for example
`CompleteManyRequest`/`CompleteManyResponse`); these helpers only need the
`call_id` field, and the callbacks the service and its client provide.

Tracing: when a method name is given, each call gets the spans a unary call
would get (a CLIENT span at the caller, a SERVER span at the service, named
after the method), linked by the W3C trace context the envelope carries.

Draining: on `MultiplexServer.drain()` a service answers what it accepted,
refuses nothing silently, and ends each stream once it has nothing in flight.
A call the client sent that the server never accepted fails with
`StreamEnded`, which is safe to retry on a fresh stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

import grpc
from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.trace import SpanKind, Status, StatusCode

from aigw.common.v1 import common_pb2
from aigw_runtime.errors import (
    GatewayError,
    InternalError,
    ServiceUnavailableError,
    from_detail,
    from_rpc_error,
)

log = logging.getLogger(__name__)


class Envelope(Protocol):
    call_id: int


Out = TypeVar("Out", bound=Envelope)
In = TypeVar("In", bound=Envelope)
Result = TypeVar("Result")


class StreamEnded(ServiceUnavailableError):
    """The stream ended before the service accepted this call: retrying it is safe."""

    default_code = "stream_ended"


def _rpc_attributes(method: str) -> dict[str, str]:
    service, _, name = method.strip("/").partition("/")
    return {"rpc.system": "grpc", "rpc.service": service, "rpc.method": name}


def error_from_detail(detail: common_pb2.GatewayError) -> GatewayError:
    """The error an envelope carries, as StreamEnded when the call was never accepted."""
    error = from_detail(detail)
    return StreamEnded(error.message) if error.code == StreamEnded.default_code else error


# --- client --------------------------------------------------------------------


class _ClientStream(Generic[Out, In]):
    def __init__(self, open_call: Callable[[AsyncIterator[Out]], Any]) -> None:
        self.outgoing: asyncio.Queue[Out | None] = asyncio.Queue()
        self.pending: dict[int, asyncio.Future[In]] = {}
        self._call = open_call(self._requests())
        self.reader = asyncio.create_task(self._read())

    async def _requests(self) -> AsyncIterator[Out]:
        while (envelope := await self.outgoing.get()) is not None:
            yield envelope

    async def _read(self) -> None:
        failure: GatewayError = StreamEnded("The service closed the stream.")
        try:
            async for envelope in self._call:
                future = self.pending.pop(envelope.call_id, None)
                if future is not None and not future.done():
                    future.set_result(envelope)
        except grpc.aio.AioRpcError as exc:
            failure = from_rpc_error(exc)
        finally:
            self.outgoing.put_nowait(None)
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(failure)
            self.pending.clear()

    @property
    def open(self) -> bool:
        return not self.reader.done()

    def close(self) -> None:
        self.outgoing.put_nowait(None)
        self._call.cancel()


class MultiplexClient(Generic[Out, In, Result]):
    """Sends calls as envelopes on one stream, opened lazily and reopened after it ends.

    `unwrap` turns the answering envelope into the result, or raises its error
    (a StreamEnded error makes the call go once more, on a fresh stream).
    """

    def __init__(
        self,
        open_call: Callable[[AsyncIterator[Out]], Any],
        cancel: Callable[[int], Out],
        unwrap: Callable[[In], Result],
        *,
        traced_method: str | None = None,
    ) -> None:
        self._open_call = open_call
        self._cancel = cancel
        self._unwrap = unwrap
        self._method = traced_method
        self._tracer = trace.get_tracer("aigw.multiplex")
        self._ids = itertools.count(1)
        self._stream: _ClientStream[Out, In] | None = None

    def _current(self) -> _ClientStream[Out, In]:
        if self._stream is None or not self._stream.open:
            self._stream = _ClientStream(self._open_call)
        return self._stream

    async def call(self, envelope_for: Callable[[int, dict[str, str]], Out]) -> Result:
        """Sends `envelope_for(call_id, trace_context)`; returns what the answering envelope holds."""
        if self._method is None:
            return await self._call(envelope_for, {})
        with self._tracer.start_as_current_span(
            self._method,
            kind=SpanKind.CLIENT,
            attributes=_rpc_attributes(self._method),
            record_exception=False,
        ) as span:
            carrier: dict[str, str] = {}
            inject(carrier)
            try:
                return await self._call(envelope_for, carrier)
            except GatewayError as error:
                span.set_status(Status(StatusCode.ERROR, error.message))
                raise

    async def _call(
        self, envelope_for: Callable[[int, dict[str, str]], Out], carrier: dict[str, str]
    ) -> Result:
        try:
            return self._unwrap(await self._send(envelope_for, carrier))
        except StreamEnded:
            return self._unwrap(await self._send(envelope_for, carrier))

    async def _send(self, envelope_for: Callable[[int, dict[str, str]], Out], carrier: dict[str, str]) -> In:
        stream = self._current()
        call_id = next(self._ids)
        future: asyncio.Future[In] = asyncio.get_running_loop().create_future()
        stream.pending[call_id] = future
        stream.outgoing.put_nowait(envelope_for(call_id, carrier))
        try:
            return await future
        except asyncio.CancelledError:
            if stream.pending.pop(call_id, None) is not None and stream.open:
                stream.outgoing.put_nowait(self._cancel(call_id))
            raise

    async def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._stream.reader


# --- server --------------------------------------------------------------------


class _ServerSession(Generic[In, Out]):
    def __init__(self) -> None:
        self.outgoing: asyncio.Queue[Out | None] = asyncio.Queue()
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.input_done = False
        self.draining = False

    def maybe_finish(self) -> None:
        if not self.tasks and (self.input_done or self.draining):
            self.outgoing.put_nowait(None)


class MultiplexServer(Generic[In, Out]):
    """Serves envelope streams: one task per call, answers in completion order."""

    def __init__(
        self,
        handle: Callable[[In], Awaitable[Out]],
        is_cancel: Callable[[In], bool],
        refuse: Callable[[In, GatewayError], Out],
        *,
        traced_method: str | None = None,
        trace_context: Callable[[In], Mapping[str, str]] | None = None,
    ) -> None:
        self._handle = handle
        self._is_cancel = is_cancel
        self._refuse = refuse
        self._method = traced_method
        self._trace_context = trace_context
        self._tracer = trace.get_tracer("aigw.multiplex")
        self._sessions: set[_ServerSession[In, Out]] = set()
        self._draining = False

    def drain(self) -> None:
        """Stops accepting calls; each stream ends once its calls are answered."""
        self._draining = True
        for session in self._sessions:
            session.draining = True
            session.maybe_finish()

    async def serve(self, requests: AsyncIterator[In]) -> AsyncIterator[Out]:
        session: _ServerSession[In, Out] = _ServerSession()
        session.draining = self._draining
        self._sessions.add(session)
        reader = asyncio.create_task(self._read(requests, session))
        try:
            while (envelope := await session.outgoing.get()) is not None:
                yield envelope
        finally:
            self._sessions.discard(session)
            reader.cancel()
            for task in session.tasks.values():
                task.cancel()

    async def _read(self, requests: AsyncIterator[In], session: _ServerSession[In, Out]) -> None:
        try:
            async for envelope in requests:
                if self._is_cancel(envelope):
                    task = session.tasks.pop(envelope.call_id, None)
                    if task is not None:
                        task.cancel()
                elif session.draining:
                    # Not accepted: the client may retry it elsewhere.
                    session.outgoing.put_nowait(
                        self._refuse(envelope, StreamEnded("The service is stopping."))
                    )
                else:
                    session.tasks[envelope.call_id] = asyncio.create_task(self._run(envelope, session))
        except grpc.aio.AioRpcError:
            pass
        finally:
            session.input_done = True
            session.maybe_finish()

    async def _traced(self, envelope: In) -> Out:
        assert self._method is not None and self._trace_context is not None
        with self._tracer.start_as_current_span(
            self._method,
            context=extract(dict(self._trace_context(envelope))),
            kind=SpanKind.SERVER,
            attributes=_rpc_attributes(self._method),
        ):
            return await self._handle(envelope)

    async def _run(self, envelope: In, session: _ServerSession[In, Out]) -> None:
        try:
            answer = await (self._handle(envelope) if self._method is None else self._traced(envelope))
            session.outgoing.put_nowait(answer)
        except asyncio.CancelledError:
            pass
        except GatewayError as error:
            session.outgoing.put_nowait(self._refuse(envelope, error))
        except Exception:
            log.exception("unexpected error in a multiplexed call")
            session.outgoing.put_nowait(self._refuse(envelope, InternalError("Internal gateway error.")))
        finally:
            session.tasks.pop(envelope.call_id, None)
            session.maybe_finish()
