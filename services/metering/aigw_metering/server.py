"""Wiring and lifecycle of the metering service process."""

from __future__ import annotations

import logging
from collections.abc import Callable

import grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from aigw.metering.v1 import metering_pb2, metering_pb2_grpc
from aigw_metering.limiter import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from aigw_metering.service import MeteringServicer
from aigw_metering.usage_store import SchemaMissingError, UsageStore
from aigw_runtime.bootstrap import ServiceContext, run_service
from aigw_runtime.db import create_engine, database_url
from aigw_runtime.grpc_server import GrpcHost, serve_until_signal
from aigw_runtime.telemetry import Telemetry

log = logging.getLogger(__name__)

SERVICE_NAME = metering_pb2.DESCRIPTOR.services_by_name["MeteringService"].full_name


def build_limiter(redis_url: str | None) -> RateLimiter:
    """Redis when configured (shared by every replica), else this process's memory."""
    if redis_url:
        from aigw_runtime.redis_client import open_redis

        return RedisRateLimiter(open_redis(redis_url))
    return MemoryRateLimiter()


async def open_usage_store(engine: AsyncEngine) -> UsageStore:
    """The store, once its table is known to exist; exits the process with a clear log line if not."""
    store = UsageStore(engine)
    try:
        await store.check_schema()
    except SchemaMissingError as exc:
        log.error("cannot start: %s", exc)
        raise SystemExit(1) from None
    except Exception as exc:  # unreachable database, bad credentials: the message is what helps
        log.error("cannot start: the metering database is not usable: %s", exc)
        raise SystemExit(1) from None
    return store


def build_host(address: str, telemetry: Telemetry, servicer: MeteringServicer) -> GrpcHost:
    """The gRPC host serving `servicer` (with health and reflection) on `address`."""
    host = GrpcHost(address, telemetry)
    register: Callable[[MeteringServicer, grpc.aio.Server], None] = (
        metering_pb2_grpc.add_MeteringServiceServicer_to_server
    )
    host.add(lambda server: register(servicer, server), SERVICE_NAME)
    return host


async def run(ctx: ServiceContext) -> None:
    settings = ctx.settings
    engine = create_engine(database_url(settings, "metering"))
    try:
        usage = await open_usage_store(engine)
        limiter = build_limiter(settings.redis_url)
        try:
            servicer = MeteringServicer(limiter, usage, tracing=ctx.telemetry.enabled)
            host = build_host(settings.metering_addr, ctx.telemetry, servicer)
            await serve_until_signal(host, settings.shutdown_grace_s, on_draining=servicer.multiplexed.drain)
        finally:
            await limiter.close()
    finally:
        await engine.dispose()


def main() -> None:
    run_service("metering", run)
