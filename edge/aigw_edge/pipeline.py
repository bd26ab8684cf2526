"""The chat request pipeline, shared by the HTTP API and the public gRPC API.

authenticate -> validate -> authorize -> admit -> cache lookup -> route ->
answer -> (after the answer) usage and cache store. At most three RPCs are
synchronous (Admit, cache Lookup, router Complete), and only when they apply:
keys without limits skip Admit, models without caching skip Lookup.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import orjson
from google.protobuf.timestamp_pb2 import Timestamp

from aigw.cache.v1 import cache_pb2
from aigw.common.v1 import common_pb2
from aigw.metering.v1 import metering_pb2
from aigw.router.v1 import router_pb2
from aigw_edge.backends import Backends
from aigw_edge.cache_keys import cache_key
from aigw_edge.context import RequestContext
from aigw_edge.doors import Door
from aigw_edge.metering_client import AdmissionClient
from aigw_edge.models import ModelCatalog
from aigw_edge.principals import PrincipalCache
from aigw_edge.router_client import RouterClient
from aigw_edge.usage_sink import UsageSink
from aigw_runtime.errors import GatewayError, InvalidRequestError, RateLimitError, from_rpc_error

log = logging.getLogger(__name__)

ADMIT_TIMEOUT_S = 2.0
CACHE_LOOKUP_TIMEOUT_S = 0.5
CACHE_STORE_TIMEOUT_S = 5.0
MAX_CACHED_BYTES = 8 * 1024 * 1024


RouterStreamCall = grpc.aio.UnaryStreamCall[router_pb2.CompleteRequest, router_pb2.CompleteStreamResponse]


@dataclass(slots=True)
class PreparedChat:
    """A request that passed every check and may go to the router."""

    operation: router_pb2.Operation
    body: bytes
    include_usage: bool
    cache_key: str | None
    cache_ttl_s: int
    cached: cache_pb2.CachedResponse | None
    anthropic_beta: tuple[str, ...] = ()


def _format_reset(seconds: float) -> str:
    """OpenAI's duration style for x-ratelimit-reset-*: `1s`, `6m0s`, `0.25s`."""
    if seconds < 60:
        return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest}s"


class ChatStream:
    """The chunks of one streamed answer; `cancel()` stops the upstream call."""

    def __init__(self, chunks: AsyncIterator[list[bytes]], call: RouterStreamCall | None) -> None:
        self._chunks = chunks
        self._call = call

    def __aiter__(self) -> AsyncIterator[list[bytes]]:
        return self._chunks

    def cancel(self) -> None:
        if self._call is not None:
            self._call.cancel()


class ChatPipeline:
    def __init__(
        self,
        backends: Backends,
        router: RouterClient,
        admission: AdmissionClient,
        principals: PrincipalCache,
        catalog: ModelCatalog,
        usage: UsageSink,
    ) -> None:
        self._backends = backends
        self._router = router
        self._admission = admission
        self._principals = principals
        self._catalog = catalog
        self._usage = usage
        self._background: set[asyncio.Task[None]] = set()

    # --- before the router -------------------------------------------------

    async def prepare(
        self,
        ctx: RequestContext,
        door: Door,
        api_key: str | None,
        body: bytes,
        stream: bool | None = None,
        anthropic_beta: tuple[str, ...] = (),
    ) -> PreparedChat:
        """Every check before the upstream call; raises GatewayError on refusal.

        `stream`, when given, is what the caller's method implies (the public
        gRPC API has a method per mode); the body must agree. `anthropic_beta`
        is the client's beta features on Anthropic's door.
        """
        ctx.principal = await self._principals.authenticate(api_key)
        facts = door.decode(body)
        ctx.model = facts.model
        ctx.stream = facts.stream
        if stream is not None and ctx.stream != stream:
            raise InvalidRequestError(
                "`stream` in the body does not match the method called.", param="stream"
            )
        model = self._catalog.for_principal(ctx.principal, facts.model)
        await self._admit(ctx)
        key = None
        cached = None
        if model.cache.enabled:
            key = cache_key(door.name, orjson.loads(body), ctx.stream, facts.include_usage, anthropic_beta)
            cached = await self._lookup(ctx, key)
            ctx.headers.append(("x-aigw-cache", "hit" if cached is not None else "miss"))
        return PreparedChat(
            operation=door.operation,
            body=body,
            include_usage=facts.include_usage,
            cache_key=key,
            cache_ttl_s=model.cache.ttl_s,
            cached=cached,
            anthropic_beta=anthropic_beta,
        )

    async def _admit(self, ctx: RequestContext) -> None:
        principal = ctx.principal
        assert principal is not None
        if principal.rpm_limit <= 0:
            return
        request = metering_pb2.AdmitRequest(
            key_id=principal.key_id, model=ctx.model, rpm_limit=principal.rpm_limit
        )
        try:
            async with asyncio.timeout(ADMIT_TIMEOUT_S):
                decision = await self._admission.admit(request)
        except (GatewayError, TimeoutError) as exc:
            if isinstance(exc, GatewayError) and exc.status < 500:
                raise
            # Fail open: a metering outage must not take the whole gateway down.
            log.warning("admission unavailable (%s); letting the request through", exc)
            return
        if decision.HasField("requests"):
            state = decision.requests
            ctx.headers.append(("x-ratelimit-limit-requests", str(state.limit)))
            ctx.headers.append(("x-ratelimit-remaining-requests", str(state.remaining)))
            ctx.headers.append(("x-ratelimit-reset-requests", _format_reset(state.reset_s)))
        if not decision.allowed:
            raise RateLimitError(
                f"Rate limit reached for requests per minute (RPM): limit {principal.rpm_limit}. "
                f"Please try again in {decision.retry_after_s:.1f}s.",
                retry_after_s=decision.retry_after_s,
            )

    async def _lookup(self, ctx: RequestContext, key: str) -> cache_pb2.CachedResponse | None:
        assert ctx.principal is not None
        try:
            found = await self._backends.cache.Lookup(
                cache_pb2.LookupRequest(namespace=ctx.principal.key_id, key=key),
                timeout=CACHE_LOOKUP_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as exc:
            log.warning("cache lookup failed (%s); treating it as a miss", exc.code().name)
            return None
        if not found.hit:
            return None
        cached: cache_pb2.CachedResponse = found.response
        ctx.cache_hit = True
        ctx.headers.append(("x-aigw-provider", cached.provider))
        ctx.headers.append(("x-aigw-deployment", cached.deployment))
        return cached

    def _router_request(self, ctx: RequestContext, prepared: PreparedChat) -> router_pb2.CompleteRequest:
        assert ctx.principal is not None
        return router_pb2.CompleteRequest(
            request_id=ctx.request_id,
            model=ctx.model,
            body=prepared.body,
            include_usage=prepared.include_usage,
            key_id=ctx.principal.key_id,
            operation=prepared.operation,
            anthropic_beta=prepared.anthropic_beta,
        )

    # --- the answer ----------------------------------------------------------

    async def complete(self, ctx: RequestContext, prepared: PreparedChat) -> bytes:
        """The `chat.completion` JSON body."""
        if prepared.cached is not None:
            return bytes(prepared.cached.body)
        answer = await self._router.complete(self._router_request(ctx, prepared))
        ctx.set_route(answer.route)
        ctx.usage = answer.usage
        if prepared.cache_key is not None:
            self._store(
                ctx,
                prepared,
                cache_pb2.CachedResponse(
                    body=answer.body, provider=answer.route.provider, deployment=answer.route.deployment
                ),
            )
        body: bytes = answer.body
        return body

    async def open_stream(self, ctx: RequestContext, prepared: PreparedChat) -> ChatStream:
        """Waits until an upstream accepted the call (errors raise here), then relays its chunks.

        The returned stream yields lists of chunk payloads; a failure mid-stream
        raises GatewayError from it.
        """
        if prepared.cached is not None:
            return ChatStream(self._replay(prepared.cached), None)
        call = self._backends.router.CompleteStream(self._router_request(ctx, prepared))
        try:
            first = await call.read()
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None
        except asyncio.CancelledError:
            call.cancel()
            raise
        if first is grpc.aio.EOF or not first.HasField("start"):
            call.cancel()
            raise GatewayError("The router ended the stream before it started.")
        ctx.set_route(first.start.route)
        return ChatStream(self._relay(ctx, prepared, call), call)

    async def _replay(self, cached: cache_pb2.CachedResponse) -> AsyncIterator[list[bytes]]:
        yield list(cached.stream_data)

    async def _relay(
        self, ctx: RequestContext, prepared: PreparedChat, call: RouterStreamCall
    ) -> AsyncIterator[list[bytes]]:
        kept: list[bytes] | None = [] if prepared.cache_key is not None else None
        kept_bytes = 0
        try:
            while True:
                try:
                    message = await call.read()
                except grpc.aio.AioRpcError as exc:
                    raise from_rpc_error(exc) from None
                if not isinstance(message, router_pb2.CompleteStreamResponse):
                    raise GatewayError("The router ended the stream without finishing it.")
                if message.HasField("chunks"):
                    data = list(message.chunks.data)
                    if kept is not None:
                        kept.extend(data)
                        kept_bytes += sum(len(d) for d in data)
                        if kept_bytes > MAX_CACHED_BYTES:
                            kept = None
                    yield data
                elif message.HasField("end"):
                    ctx.usage = message.end.usage
                    break
        finally:
            call.cancel()
        if kept is not None and prepared.cache_key is not None and ctx.route is not None:
            self._store(
                ctx,
                prepared,
                cache_pb2.CachedResponse(
                    stream=True,
                    stream_data=kept,
                    provider=ctx.route.provider,
                    deployment=ctx.route.deployment,
                ),
            )

    # --- after the answer ------------------------------------------------------

    def _store(self, ctx: RequestContext, prepared: PreparedChat, response: cache_pb2.CachedResponse) -> None:
        assert ctx.principal is not None and prepared.cache_key is not None
        request = cache_pb2.StoreRequest(
            namespace=ctx.principal.key_id,
            key=prepared.cache_key,
            response=response,
            ttl_s=prepared.cache_ttl_s,
        )
        task = asyncio.create_task(self._store_now(request))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _store_now(self, request: cache_pb2.StoreRequest) -> None:
        try:
            await self._backends.cache.Store(request, timeout=CACHE_STORE_TIMEOUT_S)
        except grpc.aio.AioRpcError as exc:
            log.warning("cache store failed (%s)", exc.code().name)

    def finish(self, ctx: RequestContext) -> None:
        """Records the usage event of an authenticated request (success or failure)."""
        if ctx.principal is None:
            return
        now = time.time_ns()
        created = Timestamp(seconds=now // 1_000_000_000, nanos=now % 1_000_000_000)
        route = ctx.route
        self._usage.record(
            metering_pb2.UsageEvent(
                request_id=ctx.request_id,
                key_id=ctx.principal.key_id,
                model=ctx.model,
                provider=route.provider if route is not None else "",
                deployment=route.deployment if route is not None else "",
                usage=ctx.usage if ctx.usage is not None else common_pb2.Usage(),
                latency_ms=ctx.latency_ms(),
                status_code=ctx.status,
                cache_hit=ctx.cache_hit,
                stream=ctx.stream,
                created_at=created,
            )
        )

    async def drain(self) -> None:
        """Waits for background cache stores (on shutdown)."""
        if self._background:
            await asyncio.wait(self._background, timeout=CACHE_STORE_TIMEOUT_S)
