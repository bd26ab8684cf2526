"""The edge's channels and stubs to the four internal services, opened once per process."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2_grpc

from aigw.auth.v1 import auth_pb2_grpc
from aigw.cache.v1 import cache_pb2_grpc
from aigw.metering.v1 import metering_pb2_grpc
from aigw.router.v1 import router_pb2_grpc
from aigw_runtime.grpc_client import open_channel
from aigw_runtime.settings import Settings
from aigw_runtime.telemetry import Telemetry


@dataclass
class Backends:
    auth: auth_pb2_grpc.AuthServiceStub
    router: router_pb2_grpc.RouterServiceStub
    cache: cache_pb2_grpc.CacheServiceStub
    metering: metering_pb2_grpc.MeteringServiceStub
    health: dict[str, health_pb2_grpc.HealthStub]
    channels: list[grpc.aio.Channel]

    @classmethod
    def connect(cls, settings: Settings, telemetry: Telemetry) -> Backends:
        targets = {
            "auth": settings.auth_addr,
            "router": settings.router_addr,
            "cache": settings.cache_addr,
            "metering": settings.metering_addr,
        }
        channels = {name: open_channel(target, telemetry) for name, target in targets.items()}
        return cls(
            auth=auth_pb2_grpc.AuthServiceStub(channels["auth"]),
            router=router_pb2_grpc.RouterServiceStub(channels["router"]),
            cache=cache_pb2_grpc.CacheServiceStub(channels["cache"]),
            metering=metering_pb2_grpc.MeteringServiceStub(channels["metering"]),
            health={name: health_pb2_grpc.HealthStub(channel) for name, channel in channels.items()},
            channels=list(channels.values()),
        )

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()
