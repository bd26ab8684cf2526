"""Wiring and lifecycle of the router service process."""

from __future__ import annotations

from aigw.router.v1 import router_pb2, router_pb2_grpc
from aigw_router.adapters import AdapterServices
from aigw_router.adapters._images import ImageFetcher
from aigw_router.catalog import Catalog
from aigw_router.routing import Router
from aigw_router.service import RouterServicer
from aigw_router.upstream import UpstreamCaller, open_http_client
from aigw_runtime.bootstrap import ServiceContext, run_service
from aigw_runtime.grpc_server import GrpcHost, serve_until_signal

SERVICE_NAME = router_pb2.DESCRIPTOR.services_by_name["RouterService"].full_name


async def run(ctx: ServiceContext) -> None:
    client = open_http_client()
    catalog = Catalog.from_config(ctx.config, AdapterServices(http=client, images=ImageFetcher(client)))
    router = Router(catalog, UpstreamCaller(client, tracing=ctx.telemetry.enabled))
    servicer = RouterServicer(router, tracing=ctx.telemetry.enabled)
    host = GrpcHost(ctx.settings.router_addr, ctx.telemetry)
    host.add(
        lambda server: router_pb2_grpc.add_RouterServiceServicer_to_server(servicer, server), SERVICE_NAME
    )
    # Multiplexed streams end once their calls are answered, not at the grace deadline.
    await serve_until_signal(
        host, ctx.settings.shutdown_grace_s, on_draining=servicer.multiplexed.drain, on_stop=client.aclose
    )


def main() -> None:
    run_service("router", run)
