"""Wiring and lifecycle of the cache service process."""

from __future__ import annotations

from aigw.cache.v1 import cache_pb2, cache_pb2_grpc
from aigw_cache.service import CacheServicer
from aigw_cache.store import MemoryResponseStore, RedisResponseStore, ResponseStore
from aigw_runtime.bootstrap import ServiceContext, run_service
from aigw_runtime.grpc_server import GrpcHost, serve_until_signal

SERVICE_NAME = cache_pb2.DESCRIPTOR.services_by_name["CacheService"].full_name


def build_store(redis_url: str | None) -> ResponseStore:
    if redis_url:
        from aigw_runtime.redis_client import open_redis

        return RedisResponseStore(open_redis(redis_url))
    return MemoryResponseStore()


async def run(ctx: ServiceContext) -> None:
    store = build_store(ctx.settings.redis_url)
    host = GrpcHost(ctx.settings.cache_addr, ctx.telemetry)
    host.add(
        lambda server: cache_pb2_grpc.add_CacheServiceServicer_to_server(CacheServicer(store), server),
        SERVICE_NAME,
    )
    await serve_until_signal(host, ctx.settings.shutdown_grace_s, on_stop=store.close)


def main() -> None:
    run_service("cache", run)
