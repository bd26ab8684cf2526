"""The CacheService RPCs: thin handlers over a ResponseStore."""

from __future__ import annotations

import re

from aigw.cache.v1 import cache_pb2, cache_pb2_grpc
from aigw_cache.store import ResponseStore
from aigw_runtime.errors import InvalidRequestError
from aigw_runtime.servicer import Context, unary_errors

_KEY = re.compile(r"^[0-9a-f]{16,128}$")
_NAMESPACE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
MAX_TTL_S = 30 * 24 * 3600


def _entry_key(namespace: str, key: str) -> str:
    if not _NAMESPACE.match(namespace):
        raise InvalidRequestError("namespace must be 1-128 characters of [A-Za-z0-9._:-]", param="namespace")
    if not _KEY.match(key):
        raise InvalidRequestError("key must be a lowercase hex digest", param="key")
    return f"{namespace}:{key}"


class CacheServicer(cache_pb2_grpc.CacheServiceServicer):
    def __init__(self, store: ResponseStore) -> None:
        self._store = store

    @unary_errors
    async def Lookup(self, request: cache_pb2.LookupRequest, context: Context) -> cache_pb2.LookupResponse:
        value = await self._store.get(_entry_key(request.namespace, request.key))
        if value is None:
            return cache_pb2.LookupResponse(hit=False)
        return cache_pb2.LookupResponse(hit=True, response=cache_pb2.CachedResponse.FromString(value))

    @unary_errors
    async def Store(self, request: cache_pb2.StoreRequest, context: Context) -> cache_pb2.StoreResponse:
        if not 0 < request.ttl_s <= MAX_TTL_S:
            raise InvalidRequestError(f"ttl_s must be between 1 and {MAX_TTL_S}", param="ttl_s")
        if not request.response.body and not request.response.stream_data:
            raise InvalidRequestError("response has neither a body nor stream data", param="response")
        key = _entry_key(request.namespace, request.key)
        await self._store.put(key, request.response.SerializeToString(), request.ttl_s)
        return cache_pb2.StoreResponse()
