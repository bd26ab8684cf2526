"""The edge's copy of the router's model catalog, refreshed in the background."""

from __future__ import annotations

import asyncio
import logging

import grpc

from aigw.auth.v1 import auth_pb2
from aigw.router.v1 import router_pb2, router_pb2_grpc
from aigw_runtime.errors import ModelNotFoundError, ServiceUnavailableError

log = logging.getLogger(__name__)

REFRESH_INTERVAL_S = 5.0


class ModelCatalog:
    """Which models exist and their cache policy; which of them a principal may use."""

    def __init__(self, router: router_pb2_grpc.RouterServiceStub) -> None:
        self._router = router
        self._models: dict[str, router_pb2.Model] | None = None

    @property
    def loaded(self) -> bool:
        return self._models is not None

    async def refresh(self) -> None:
        response = await self._router.ListModels(router_pb2.ListModelsRequest(), timeout=5)
        self._models = {model.name: model for model in response.models}

    async def keep_fresh(self) -> None:
        """Refreshes forever; run it as a background task."""
        while True:
            try:
                await self.refresh()
            except grpc.aio.AioRpcError as exc:
                log.warning("cannot refresh the model catalog: %s", exc.code().name)
            await asyncio.sleep(REFRESH_INTERVAL_S if self.loaded else 0.2)

    def _all(self) -> dict[str, router_pb2.Model]:
        if self._models is None:
            raise ServiceUnavailableError("The model catalog is not loaded yet; try again shortly.")
        return self._models

    def for_principal(self, principal: auth_pb2.Principal, name: str) -> router_pb2.Model:
        """The model, if it exists and the principal may use it; else a 404 that reveals nothing."""
        model = self._all().get(name)
        if model is None or (principal.allowed_models and name not in principal.allowed_models):
            raise ModelNotFoundError(name)
        return model

    def visible_to(self, principal: auth_pb2.Principal) -> list[router_pb2.Model]:
        models = self._all().values()
        if principal.allowed_models:
            allowed = set(principal.allowed_models)
            return [m for m in models if m.name in allowed]
        return sorted(models, key=lambda m: m.name)
