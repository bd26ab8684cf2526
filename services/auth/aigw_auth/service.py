"""The AuthService RPCs: thin handlers over the Authenticator, KeyAdmin and ChangeFeed."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aigw.auth.v1 import auth_pb2, auth_pb2_grpc
from aigw_auth._proto import api_key_message, change_message, principal_message
from aigw_auth.authenticator import Authenticator
from aigw_auth.changes import RESET, ChangeFeed
from aigw_auth.key_admin import KeyAdmin, validate_key_spec
from aigw_runtime.servicer import Context, bearer_token, stream_errors, unary_errors


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, authenticator: Authenticator, keys: KeyAdmin, feed: ChangeFeed) -> None:
        self._authenticator = authenticator
        self._keys = keys
        self._feed = feed

    @unary_errors
    async def Authenticate(
        self, request: auth_pb2.AuthenticateRequest, context: Context
    ) -> auth_pb2.AuthenticateResponse:
        principal = await self._authenticator.authenticate(request.api_key)
        return auth_pb2.AuthenticateResponse(principal=principal_message(principal))

    @stream_errors
    async def WatchChanges(
        self, request: auth_pb2.WatchChangesRequest, context: Context
    ) -> AsyncIterator[auth_pb2.WatchChangesResponse]:
        # Subscribe before the first RESET, so nothing can fall between the two.
        async with self._feed.subscribe() as changes:
            yield change_message(RESET)
            async for change in changes:
                yield change_message(change)

    @unary_errors
    async def CreateKey(
        self, request: auth_pb2.CreateKeyRequest, context: Context
    ) -> auth_pb2.CreateKeyResponse:
        await self._authenticator.require_admin(bearer_token(context))
        spec = validate_key_spec(request.name, request.allowed_models, request.rpm_limit)
        record, secret = await self._keys.create(spec)
        return auth_pb2.CreateKeyResponse(key=api_key_message(record), secret=secret)

    @unary_errors
    async def ListKeys(
        self, request: auth_pb2.ListKeysRequest, context: Context
    ) -> auth_pb2.ListKeysResponse:
        await self._authenticator.require_admin(bearer_token(context))
        records = await self._keys.list_keys(include_revoked=request.include_revoked)
        return auth_pb2.ListKeysResponse(keys=[api_key_message(record) for record in records])

    @unary_errors
    async def RevokeKey(
        self, request: auth_pb2.RevokeKeyRequest, context: Context
    ) -> auth_pb2.RevokeKeyResponse:
        await self._authenticator.require_admin(bearer_token(context))
        record = await self._keys.revoke(request.id)
        return auth_pb2.RevokeKeyResponse(key=api_key_message(record))
