"""The edge's ASGI application: routing, the error boundary and the request span."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from aigw_edge.context import RequestContext, RequestIds
from aigw_edge.http.admin import Admin
from aigw_edge.http.asgi import ClientGone, Receive, Scope, Send, headers_dict, send_bytes
from aigw_edge.http.dialects import AnthropicDialect, Dialect, OpenAIDialect, send_error
from aigw_edge.http.endpoint import ModelEndpoint
from aigw_edge.http.health import Health
from aigw_edge.http.models import Models
from aigw_runtime.errors import GatewayError, InternalError, NotFoundError, error_for_status
from aigw_runtime.telemetry import extract_context

log = logging.getLogger(__name__)

Handler = Callable[[Scope, Receive, Send, RequestContext], Awaitable[None]]
ParamHandler = Callable[[Scope, Receive, Send, RequestContext, str], Awaitable[None]]

ANTHROPIC_MESSAGES_PATH = "/v1/messages"
_OPENAI = OpenAIDialect()
_ANTHROPIC = AnthropicDialect()


def dialect_for(path: str) -> Dialect:
    """The dialect of the door a path belongs to: Anthropic's under /v1/messages, OpenAI's elsewhere."""
    if path == ANTHROPIC_MESSAGES_PATH or path.startswith(ANTHROPIC_MESSAGES_PATH + "/"):
        return _ANTHROPIC
    return _OPENAI


class EdgeApp:
    """Dispatches on (method, path); every failure leaves in the error shape of the path's door."""

    def __init__(
        self,
        chat: ModelEndpoint,
        embeddings: ModelEndpoint,
        anthropic_messages: ModelEndpoint,
        anthropic_count_tokens: ModelEndpoint,
        models: Models,
        admin: Admin,
        health: Health,
        openapi: dict[str, Any],
        request_ids: RequestIds,
        *,
        tracing: bool,
    ) -> None:
        self._request_ids = request_ids
        self._exact: dict[tuple[str, str], Handler] = {
            ("POST", "/v1/chat/completions"): chat,
            ("POST", "/chat/completions"): chat,
            ("POST", "/v1/embeddings"): embeddings,
            ("POST", "/embeddings"): embeddings,
            ("POST", ANTHROPIC_MESSAGES_PATH): anthropic_messages,
            ("POST", ANTHROPIC_MESSAGES_PATH + "/count_tokens"): anthropic_count_tokens,
            ("GET", "/v1/models"): models.list,
            ("GET", "/healthz"): health.alive,
            ("GET", "/readyz"): health.ready,
            ("GET", "/openapi.json"): self._openapi,
            ("POST", "/admin/v1/keys"): admin.create_key,
            ("GET", "/admin/v1/keys"): admin.list_keys,
            ("GET", "/admin/v1/usage"): admin.usage,
        }
        self._prefixed: list[tuple[str, str, ParamHandler]] = [
            ("GET", "/v1/models/", models.get),
            ("DELETE", "/admin/v1/keys/", admin.revoke_key),
        ]
        self._paths = {path for _, path in self._exact} | {prefix for _, prefix, _ in self._prefixed}
        self._openapi_body = orjson.dumps(openapi)
        self._tracing = tracing
        self._tracer = trace.get_tracer("aigw.edge")

    async def _openapi(self, scope: Scope, receive: Receive, send: Send, ctx: RequestContext) -> None:
        await send_bytes(send, 200, self._openapi_body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self._lifespan(receive, send)
            return
        ctx = RequestContext(request_id=self._request_ids())
        if not self._tracing:
            await self._dispatch(scope, receive, send, ctx)
            return
        method, path = scope["method"], scope["path"]
        with self._tracer.start_as_current_span(
            f"{method} {path}",
            context=extract_context(headers_dict(scope)),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": path, "aigw.request_id": ctx.request_id},
        ) as span:
            await self._dispatch(scope, receive, send, ctx)
            span.set_attribute("http.response.status_code", ctx.status)
            if ctx.model:
                span.set_attribute("gen_ai.request.model", ctx.model)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send, ctx: RequestContext) -> None:
        method, path = scope["method"], scope["path"]
        try:
            handler = self._exact.get((method, path))
            if handler is not None:
                await handler(scope, receive, send, ctx)
                return
            for route_method, prefix, param_handler in self._prefixed:
                if method == route_method and path.startswith(prefix) and len(path) > len(prefix):
                    await param_handler(scope, receive, send, ctx, path[len(prefix) :])
                    return
            raise self._no_route(method, path)
        except ClientGone:
            ctx.status = 499
        except GatewayError as error:
            ctx.status = await send_error(send, dialect_for(path), error, ctx.headers)
        except Exception:
            log.exception("unhandled error on %s %s", method, path)
            internal = InternalError("Internal gateway error.")
            ctx.status = await send_error(send, dialect_for(path), internal, ctx.headers)

    def _no_route(self, method: str, path: str) -> GatewayError:
        known = path in self._paths or any(path.startswith(p) for _, p, _ in self._prefixed)
        if known:
            return error_for_status(
                405, f"Method {method} is not allowed on {path}.", code="method_not_allowed"
            )
        return NotFoundError(f"Unknown path {path}.", code="unknown_url")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
