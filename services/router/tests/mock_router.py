"""A router whose upstream calls all go to one handler (httpx's mock transport), for tests through `Router`."""

from __future__ import annotations

from collections.abc import Callable, Coroutine

import httpx

from aigw_router.adapters import AdapterServices
from aigw_router.adapters._images import ImageFetcher
from aigw_router.catalog import Catalog
from aigw_router.routing import Router
from aigw_router.upstream import UpstreamCaller
from aigw_runtime.config import parse_config

Handler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
)


def router_over(config: str, handler: Handler) -> Router:
    """A router of the YAML `config` whose every upstream call goes to `handler`."""
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    services = AdapterServices(http=client, images=ImageFetcher(client))
    return Router(Catalog.from_config(parse_config(config), services), UpstreamCaller(client, tracing=False))
