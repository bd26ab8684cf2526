"""`GET /healthz` (the process is alive) and `GET /readyz` (every dependency answers its health check)."""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health_pb2

from aigw_edge.backends import Backends
from aigw_edge.context import RequestContext
from aigw_edge.http.asgi import Receive, Scope, Send, send_json
from aigw_edge.models import ModelCatalog

CHECK_TIMEOUT_S = 1.0


class Health:
    def __init__(self, backends: Backends, catalog: ModelCatalog) -> None:
        self._backends = backends
        self._catalog = catalog
        self.stopping = False

    async def alive(self, scope: Scope, receive: Receive, send: Send, ctx: RequestContext) -> None:
        await send_json(send, 200, {"status": "ok"})

    async def _check(self, name: str) -> str:
        try:
            answer = await self._backends.health[name].Check(
                health_pb2.HealthCheckRequest(), timeout=CHECK_TIMEOUT_S
            )
        except grpc.aio.AioRpcError as exc:
            return str(exc.code().name).lower()
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)).lower()

    async def ready(self, scope: Scope, receive: Receive, send: Send, ctx: RequestContext) -> None:
        names = list(self._backends.health)
        results = await asyncio.gather(*(self._check(name) for name in names))
        checks = dict(zip(names, results, strict=True))
        checks["catalog"] = "serving" if self._catalog.loaded else "loading"
        ready = not self.stopping and all(status == "serving" for status in checks.values())
        payload = {"status": "ready" if ready else "not ready", "checks": checks}
        await send_json(send, 200 if ready else 503, payload)
