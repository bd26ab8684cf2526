"""Decorators that turn a servicer's exceptions into gRPC statuses.

A `GatewayError` becomes its mapped status with the typed detail; anything
else is logged with its traceback and answered as INTERNAL with a generic
message, so no stack trace or secret crosses the wire.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import grpc

from aigw_runtime.errors import GatewayError, InternalError, to_grpc_status

log = logging.getLogger(__name__)

# The context of any RPC; handlers do not depend on its type parameters.
Context = grpc.aio.ServicerContext[Any, Any]

Req = TypeVar("Req")
Resp = TypeVar("Resp")
Self = TypeVar("Self")


def _status_for(exc: Exception, method: str) -> grpc.Status:
    if isinstance(exc, GatewayError):
        return to_grpc_status(exc)
    log.exception("unexpected error in %s", method)
    return to_grpc_status(InternalError("Internal gateway error."))


def unary_errors(
    fn: Callable[[Self, Req, Context], Awaitable[Resp]],
) -> Callable[[Self, Req, Context], Awaitable[Resp]]:
    @functools.wraps(fn)
    async def wrapper(self: Self, request: Req, context: Context) -> Resp:
        try:
            return await fn(self, request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            await context.abort_with_status(_status_for(exc, fn.__qualname__))
            raise  # abort_with_status always raises; this keeps type checkers honest

    return wrapper


def stream_errors(
    fn: Callable[[Self, Req, Context], AsyncIterator[Resp]],
) -> Callable[[Self, Req, Context], AsyncIterator[Resp]]:
    @functools.wraps(fn)
    async def wrapper(self: Self, request: Req, context: Context) -> AsyncIterator[Resp]:
        try:
            async for item in fn(self, request, context):
                yield item
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            await context.abort_with_status(_status_for(exc, fn.__qualname__))

    return wrapper


def bearer_token(context: Context) -> str | None:
    """The key in `authorization: Bearer <key>` call metadata, if any."""
    for key, value in context.invocation_metadata() or ():
        if key == "authorization" and isinstance(value, str):
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


__all__ = ["Context", "bearer_token", "stream_errors", "unary_errors"]
