"""Wiring and lifecycle of the edge process: HTTP (uvicorn) and the public gRPC API in one loop.

On SIGTERM the edge reports not-ready, stops accepting, lets in-flight
requests finish (up to the grace period), then sends the last usage events to
metering (or spools them) before it exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from importlib.metadata import version

import uvicorn

from aigw.inference.v1 import inference_pb2, inference_pb2_grpc
from aigw_edge.backends import Backends
from aigw_edge.context import RequestIds
from aigw_edge.doors import ANTHROPIC_COUNT_TOKENS, ANTHROPIC_MESSAGES, CHAT, EMBEDDINGS
from aigw_edge.http.admin import Admin
from aigw_edge.http.app import EdgeApp
from aigw_edge.http.dialects import AnthropicDialect, OpenAIDialect
from aigw_edge.http.endpoint import ModelEndpoint
from aigw_edge.http.health import Health
from aigw_edge.http.models import Models
from aigw_edge.http.openapi import build_openapi
from aigw_edge.inference.service import InferenceServicer
from aigw_edge.metering_client import AdmissionClient
from aigw_edge.models import ModelCatalog
from aigw_edge.pipeline import ChatPipeline
from aigw_edge.principals import PrincipalCache
from aigw_edge.router_client import RouterClient
from aigw_edge.usage_sink import UsageSink
from aigw_runtime.bootstrap import ServiceContext, run_service
from aigw_runtime.grpc_server import GrpcHost, wait_for_stop_signal

log = logging.getLogger(__name__)

INFERENCE_SERVICE = inference_pb2.DESCRIPTOR.services_by_name["InferenceService"].full_name


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the edge decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run(ctx: ServiceContext) -> None:
    settings = ctx.settings
    backends = Backends.connect(settings, ctx.telemetry)
    principals = PrincipalCache(backends.auth)
    catalog = ModelCatalog(backends.router)
    usage = UsageSink(backends.metering, settings.spool_path)
    router = RouterClient(backends.router, tracing=ctx.telemetry.enabled)
    admission = AdmissionClient(backends.metering, tracing=ctx.telemetry.enabled)
    pipeline = ChatPipeline(backends, router, admission, principals, catalog, usage)
    health = Health(backends, catalog)
    request_ids = RequestIds()
    max_body = settings.max_body_bytes
    app = EdgeApp(
        chat=ModelEndpoint(pipeline, CHAT, OpenAIDialect(), max_body),
        embeddings=ModelEndpoint(pipeline, EMBEDDINGS, OpenAIDialect(), max_body),
        anthropic_messages=ModelEndpoint(pipeline, ANTHROPIC_MESSAGES, AnthropicDialect(), max_body),
        anthropic_count_tokens=ModelEndpoint(pipeline, ANTHROPIC_COUNT_TOKENS, AnthropicDialect(), max_body),
        models=Models(principals, catalog),
        admin=Admin(backends, principals),
        health=health,
        openapi=build_openapi(version("aigw-edge")),
        request_ids=request_ids,
        tracing=ctx.telemetry.enabled,
    )
    background = [
        asyncio.create_task(principals.watch(), name="auth-watch"),
        asyncio.create_task(catalog.keep_fresh(), name="catalog"),
        asyncio.create_task(usage.run(), name="usage"),
    ]
    grpc_host = GrpcHost(settings.edge_grpc_addr, ctx.telemetry)
    grpc_host.add(
        lambda server: inference_pb2_grpc.add_InferenceServiceServicer_to_server(
            InferenceServicer(pipeline, request_ids), server
        ),
        INFERENCE_SERVICE,
    )
    http = _EmbeddedServer(
        uvicorn.Config(
            app,
            host=settings.http_host,
            port=settings.http_port,
            loop="none",
            http="httptools",
            lifespan="off",
            access_log=False,
            log_level="warning",
            timeout_graceful_shutdown=int(settings.shutdown_grace_s),
            server_header=False,
            proxy_headers=False,
        )
    )
    await grpc_host.start()
    http_task = asyncio.create_task(http.serve(), name="http")
    log.info("edge serving HTTP on http://%s:%d", settings.http_host, settings.http_port)
    stop = asyncio.create_task(wait_for_stop_signal())
    await asyncio.wait([stop, http_task], return_when=asyncio.FIRST_COMPLETED)
    log.info("stopping: draining in-flight requests (up to %.0f s)", settings.shutdown_grace_s)
    health.stopping = True
    http.should_exit = True
    await asyncio.gather(http_task, grpc_host.stop(settings.shutdown_grace_s), return_exceptions=True)
    stop.cancel()
    await pipeline.drain()
    for task in background:
        task.cancel()
    await asyncio.gather(*background, return_exceptions=True)
    await usage.close()
    await router.close()
    await admission.close()
    await backends.close()
    log.info("edge stopped")


def main() -> None:
    run_service("edge", run)
