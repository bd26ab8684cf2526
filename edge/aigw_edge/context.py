"""What the edge knows about one request while it flows through the pipeline."""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field

from aigw.auth.v1 import auth_pb2
from aigw.common.v1 import common_pb2
from aigw.router.v1 import router_pb2


class RequestIds:
    """Unique request ids, cheaply: a random per-process prefix and a counter."""

    def __init__(self) -> None:
        self._prefix = "req_" + secrets.token_hex(6)
        self._counter = itertools.count(1)

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter):012x}"


@dataclass(slots=True)
class RequestContext:
    """Filled in as the request advances; turned into a usage event at the end."""

    request_id: str
    started: float = field(default_factory=time.monotonic)
    # Response headers gathered along the way (request id, rate limits, cache, route).
    headers: list[tuple[str, str]] = field(default_factory=list)
    principal: auth_pb2.Principal | None = None
    model: str = ""
    stream: bool = False
    status: int = 200
    usage: common_pb2.Usage | None = None
    route: router_pb2.Route | None = None
    cache_hit: bool = False

    def __post_init__(self) -> None:
        self.headers.append(("x-aigw-request-id", self.request_id))

    def set_route(self, route: router_pb2.Route) -> None:
        self.route = route
        self.headers.append(("x-aigw-provider", route.provider))
        self.headers.append(("x-aigw-deployment", route.deployment))
        self.headers.append(("x-aigw-attempts", str(route.attempts)))

    def latency_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)
