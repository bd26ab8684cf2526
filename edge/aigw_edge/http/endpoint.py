"""A model endpoint (`/v1/chat/completions`, `/v1/embeddings`, ...): JSON or SSE, in its door's dialect."""

from __future__ import annotations

import asyncio

from aigw_edge.context import RequestContext
from aigw_edge.doors import Door, anthropic_betas
from aigw_edge.http.asgi import Receive, Scope, Send, bearer_token, encode_headers, read_body, send_bytes
from aigw_edge.http.dialects import Dialect, send_error
from aigw_edge.pipeline import ChatPipeline, ChatStream
from aigw_runtime.errors import GatewayError

SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]

CLIENT_CLOSED = 499


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class ModelEndpoint:
    def __init__(self, pipeline: ChatPipeline, door: Door, dialect: Dialect, max_body_bytes: int) -> None:
        self._pipeline = pipeline
        self._door = door
        self._dialect = dialect
        self._max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send, ctx: RequestContext) -> None:
        try:
            try:
                body = await read_body(receive, self._max_body_bytes)
                betas = anthropic_betas(scope["headers"]) if self._door.anthropic_beta else ()
                prepared = await self._pipeline.prepare(
                    ctx, self._door, bearer_token(scope), body, anthropic_beta=betas
                )
                if not ctx.stream:
                    answer = await self._pipeline.complete(ctx, prepared)
                    await send_bytes(send, 200, answer, ctx.headers)
                    return
                stream = await self._pipeline.open_stream(ctx, prepared)
            except GatewayError as error:
                ctx.status = await send_error(send, self._dialect, error, ctx.headers)
                return
            await self._relay(receive, send, ctx, stream)
        finally:
            self._pipeline.finish(ctx)

    async def _relay(self, receive: Receive, send: Send, ctx: RequestContext, stream: ChatStream) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": SSE_HEADERS + encode_headers(ctx.headers),
            }
        )
        watcher = asyncio.create_task(_wait_for_disconnect(receive))
        watcher.add_done_callback(lambda _: stream.cancel())
        try:
            async for payloads in stream:
                await send(
                    {"type": "http.response.body", "body": self._dialect.frame(payloads), "more_body": True}
                )
            await send({"type": "http.response.body", "body": self._dialect.end(), "more_body": False})
        except (GatewayError, asyncio.CancelledError) as error:
            if watcher.done() and not watcher.cancelled():
                ctx.status = CLIENT_CLOSED
                return
            if isinstance(error, asyncio.CancelledError):
                raise
            # The status line is gone: the error travels as an event, and no end marker follows.
            ctx.status = self._dialect.status(error)
            await send(
                {"type": "http.response.body", "body": self._dialect.error_event(error), "more_body": False}
            )
        finally:
            watcher.cancel()
