"""The admin HTTP API under `/admin/v1/`: keys and usage, for the admin key only.

Key operations are forwarded to AuthService with the caller's credential, so
auth authorizes them too; usage comes from MeteringService.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs

import grpc
import msgspec
from google.protobuf.timestamp_pb2 import Timestamp

from aigw.auth.v1 import auth_pb2
from aigw.metering.v1 import metering_pb2
from aigw_edge.backends import Backends
from aigw_edge.context import RequestContext
from aigw_edge.http.asgi import Receive, Scope, Send, bearer_token, read_body, send_json
from aigw_edge.principals import PrincipalCache
from aigw_runtime.errors import InvalidRequestError, PermissionDeniedError, from_rpc_error
from aigw_runtime.openai_chat import invalid_request

ADMIN_RPC_TIMEOUT_S = 10.0
MAX_ADMIN_BODY = 64 * 1024


class CreateKeyBody(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    models: list[str] = msgspec.field(default_factory=list)
    rpm_limit: Annotated[int, msgspec.Meta(ge=0)] = 0


def _time(stamp: Timestamp, present: bool) -> str | None:
    return stamp.ToDatetime().isoformat() + "Z" if present else None


def key_object(key: auth_pb2.ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "models": list(key.allowed_models),
        "rpm_limit": key.rpm_limit,
        "created_at": _time(key.created_at, key.HasField("created_at")),
        "revoked_at": _time(key.revoked_at, key.HasField("revoked_at")),
    }


def _query(scope: Scope) -> dict[str, list[str]]:
    return parse_qs(scope.get("query_string", b"").decode("latin-1"))


class Admin:
    def __init__(self, backends: Backends, principals: PrincipalCache) -> None:
        self._backends = backends
        self._principals = principals

    async def _admin_metadata(self, scope: Scope) -> tuple[tuple[str, str], ...]:
        token = bearer_token(scope)
        principal = await self._principals.authenticate(token)
        if principal.role != auth_pb2.ROLE_ADMIN:
            raise PermissionDeniedError("This endpoint requires the admin key.")
        return (("authorization", f"Bearer {token}"),)

    async def create_key(self, scope: Scope, receive: Receive, send: Send, ctx: RequestContext) -> None:
        metadata = await self._admin_metadata(scope)
        try:
            body = msgspec.json.decode(await read_body(receive, MAX_ADMIN_BODY), type=CreateKeyBody)
        except msgspec.ValidationError as exc:
            raise invalid_request(str(exc)) from None
        except msgspec.DecodeError:
            raise InvalidRequestError("The body is not valid JSON.", code="invalid_json") from None
        request = auth_pb2.CreateKeyRequest(
            name=body.name, allowed_models=body.models, rpm_limit=body.rpm_limit
        )
        try:
            created = await self._backends.auth.CreateKey(
                request, metadata=metadata, timeout=ADMIN_RPC_TIMEOUT_S
            )
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None
        await send_json(send, 201, {**key_object(created.key), "key": created.secret}, ctx.headers)

    async def list_keys(self, scope: Scope, receive: Receive, send: Send, ctx: RequestContext) -> None:
        metadata = await self._admin_metadata(scope)
        include_revoked = _query(scope).get("include_revoked", ["false"])[0].lower() in ("1", "true", "yes")
        try:
            listed = await self._backends.auth.ListKeys(
                auth_pb2.ListKeysRequest(include_revoked=include_revoked),
                metadata=metadata,
                timeout=ADMIN_RPC_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None
        await send_json(
            send, 200, {"object": "list", "data": [key_object(k) for k in listed.keys]}, ctx.headers
        )

    async def revoke_key(
        self, scope: Scope, receive: Receive, send: Send, ctx: RequestContext, key_id: str
    ) -> None:
        metadata = await self._admin_metadata(scope)
        try:
            revoked = await self._backends.auth.RevokeKey(
                auth_pb2.RevokeKeyRequest(id=key_id), metadata=metadata, timeout=ADMIN_RPC_TIMEOUT_S
            )
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None
        await send_json(send, 200, key_object(revoked.key), ctx.headers)

    async def usage(self, scope: Scope, receive: Receive, send: Send, ctx: RequestContext) -> None:
        await self._admin_metadata(scope)
        key_id = _query(scope).get("key_id", [""])[0]
        try:
            summary = await self._backends.metering.GetUsageSummary(
                metering_pb2.GetUsageSummaryRequest(key_id=key_id), timeout=ADMIN_RPC_TIMEOUT_S
            )
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None
        rows = [
            {
                "key_id": t.key_id,
                "model": t.model,
                "requests": t.requests,
                "prompt_tokens": t.prompt_tokens,
                "completion_tokens": t.completion_tokens,
                "total_tokens": t.total_tokens,
                "errors": t.errors,
                "cache_hits": t.cache_hits,
            }
            for t in summary.totals
        ]
        await send_json(send, 200, {"object": "list", "data": rows}, ctx.headers)
