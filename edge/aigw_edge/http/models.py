"""`GET /v1/models` and `GET /v1/models/{id}`: only what the caller's key may use."""

from __future__ import annotations

from typing import Any

from aigw.router.v1 import router_pb2
from aigw_edge.context import RequestContext
from aigw_edge.http.asgi import Receive, Scope, Send, bearer_token, send_json
from aigw_edge.models import ModelCatalog
from aigw_edge.principals import PrincipalCache


def _model_object(model: router_pb2.Model) -> dict[str, Any]:
    return {"id": model.name, "object": "model", "created": model.created, "owned_by": model.owned_by}


class Models:
    def __init__(self, principals: PrincipalCache, catalog: ModelCatalog) -> None:
        self._principals = principals
        self._catalog = catalog

    async def list(self, scope: Scope, receive: Receive, send: Send, ctx: RequestContext) -> None:
        principal = await self._principals.authenticate(bearer_token(scope))
        models = [_model_object(m) for m in self._catalog.visible_to(principal)]
        await send_json(send, 200, {"object": "list", "data": models}, ctx.headers)

    async def get(
        self, scope: Scope, receive: Receive, send: Send, ctx: RequestContext, model_id: str
    ) -> None:
        principal = await self._principals.authenticate(bearer_token(scope))
        await send_json(
            send, 200, _model_object(self._catalog.for_principal(principal, model_id)), ctx.headers
        )
