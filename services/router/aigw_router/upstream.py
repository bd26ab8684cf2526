"""Calling providers over HTTP: one pooled client, one span per attempt.

The client is httpx with aiohttp's transport (httpx's API, aiohttp's faster
connection handling; see docs/benchmarks.md for the measurement). Transport
failures become gateway errors here, so the router above sees only those.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from opentelemetry import trace
from opentelemetry.propagate import inject
from opentelemetry.trace import SpanKind, Status, StatusCode

from aigw_router.adapters import UpstreamAnswer, UpstreamRequest
from aigw_router.catalog import Deployment
from aigw_runtime.errors import GatewayError, UpstreamError, UpstreamTimeoutError


def open_http_client() -> httpx.AsyncClient:
    """The process's one client for upstream calls, with pooled keep-alive connections."""
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=500, keepalive_expiry=60)
    return httpx.AsyncClient(transport=AiohttpTransport(limits=limits), timeout=None, follow_redirects=False)


def transport_error(provider: str, exc: Exception) -> GatewayError:
    """The gateway error for a connection that failed, timed out or broke."""
    cause = exc.__cause__
    if isinstance(cause, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError) or isinstance(
        exc, httpx.RemoteProtocolError | httpx.ReadError
    ):
        return UpstreamError(
            f"Provider {provider} closed the connection unexpectedly.", code="upstream_disconnected"
        )
    if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
        return UpstreamTimeoutError(f"Provider {provider} did not answer in time.")
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
        return UpstreamError(f"Could not connect to provider {provider}.", code="upstream_unreachable")
    return UpstreamError(f"Provider {provider} could not be reached.", code="upstream_unreachable")


class UpstreamCaller:
    """Sends adapters' requests, traced, and returns successful responses only."""

    def __init__(self, client: httpx.AsyncClient, *, tracing: bool) -> None:
        self._client = client
        self._tracing = tracing
        self._tracer = trace.get_tracer("aigw.router.upstream")
        # Parsing a URL is a visible share of httpx's per-request cost; providers reuse a few.
        self._urls: dict[str, httpx.URL] = {}

    def _url(self, url: str) -> httpx.URL:
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= 1024:
                self._urls.clear()
            parsed = self._urls[url] = httpx.URL(url)
        return parsed

    def _start_span(self, deployment: Deployment, request: UpstreamRequest, stream: bool) -> trace.Span:
        span = self._tracer.start_span(
            f"upstream {deployment.provider}",
            kind=SpanKind.CLIENT,
            attributes={
                "aigw.provider": deployment.provider,
                "aigw.provider.type": deployment.adapter.provider.type,
                "gen_ai.request.model": deployment.upstream_model,
                "http.request.method": request.method,
                "aigw.stream": stream,
            },
        )
        inject(request.headers, context=trace.set_span_in_context(span))
        return span

    def _timeout(self, deployment: Deployment) -> httpx.Timeout:
        provider = deployment.adapter.provider
        return httpx.Timeout(provider.timeout_s, connect=provider.connect_timeout_s)

    async def send(self, deployment: Deployment, request: UpstreamRequest) -> UpstreamAnswer:
        """The provider's successful answer (body and headers); any failure raises a mapped GatewayError."""
        adapter = deployment.adapter
        span = self._start_span(deployment, request, stream=False) if self._tracing else None
        try:
            try:
                response = await self._client.request(
                    request.method,
                    self._url(request.url),
                    headers=request.headers,
                    content=request.content,
                    timeout=self._timeout(deployment),
                )
            except httpx.HTTPError as exc:
                raise transport_error(deployment.provider, exc) from None
            if span is not None:
                span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code != 200:
                raise adapter.map_error(response.status_code, dict(response.headers), response.content)
            return UpstreamAnswer(response.content, response.headers)
        except GatewayError as exc:
            if span is not None:
                span.set_status(Status(StatusCode.ERROR, exc.message))
            raise
        finally:
            if span is not None:
                span.end()

    @asynccontextmanager
    async def stream(
        self, deployment: Deployment, request: UpstreamRequest
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        """Opens a stream; yields its raw byte iterator once the provider answered 200."""
        adapter = deployment.adapter
        span = self._start_span(deployment, request, stream=True) if self._tracing else None
        try:
            built = self._client.build_request(
                request.method,
                self._url(request.url),
                headers=request.headers,
                content=request.content,
                timeout=self._timeout(deployment),
            )
            try:
                response = await self._client.send(built, stream=True)
            except httpx.HTTPError as exc:
                raise transport_error(deployment.provider, exc) from None
            try:
                if span is not None:
                    span.set_attribute("http.response.status_code", response.status_code)
                if response.status_code != 200:
                    content = await response.aread()
                    raise adapter.map_error(response.status_code, dict(response.headers), content)
                yield self._bytes(deployment, response)
            finally:
                await response.aclose()
        except GatewayError as exc:
            if span is not None:
                span.set_status(Status(StatusCode.ERROR, exc.message))
            raise
        finally:
            if span is not None:
                span.end()

    async def _bytes(self, deployment: Deployment, response: httpx.Response) -> AsyncIterator[bytes]:
        try:
            async for data in response.aiter_bytes():
                yield data
        except httpx.HTTPError as exc:
            raise transport_error(deployment.provider, exc) from None
