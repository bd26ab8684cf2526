"""AuthService over a real gRPC channel, on SQLite and on Postgres, with the in-process feed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pytest

from aigw.auth.v1 import auth_pb2
from aigw_auth.changes import Change, ChangeKind, MemoryChangeFeed
from aigw_runtime.errors import GatewayError, from_rpc_error

RESET = auth_pb2.CHANGE_KIND_RESET
KEY_CREATED = auth_pb2.CHANGE_KIND_KEY_CREATED
KEY_REVOKED = auth_pb2.CHANGE_KIND_KEY_REVOKED


def bearer(key: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {key}"),)


async def rpc_error(call: Awaitable[Any]) -> tuple[grpc.StatusCode, GatewayError]:
    """Awaits a call that must fail; its status code and the GatewayError it carried."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value.code(), from_rpc_error(caught.value)


async def next_message(stream: AsyncIterator[auth_pb2.WatchChangesResponse]) -> auth_pb2.WatchChangesResponse:
    return await asyncio.wait_for(anext(stream), 2.0)


async def test_created_key_authenticates_until_it_is_revoked(
    migrated_url: str, start_auth: Callable[..., Any], admin_key: str
) -> None:
    stub = (await start_auth(migrated_url)).stub
    admin = bearer(admin_key)

    created = await stub.CreateKey(
        auth_pb2.CreateKeyRequest(name="team-a", allowed_models=["gpt-4o", "claude"], rpm_limit=60),
        metadata=admin,
    )
    secret = created.secret
    assert secret.startswith("sk-aigw-") and len(secret) == 51
    assert created.key.id.startswith("key_") and len(created.key.id) == 20
    assert (created.key.name, created.key.prefix) == ("team-a", secret[:12])
    assert list(created.key.allowed_models) == ["gpt-4o", "claude"]
    assert created.key.rpm_limit == 60
    assert abs(created.key.created_at.ToDatetime().timestamp() - time.time()) < 60
    assert not created.key.HasField("revoked_at")

    principal = (await stub.Authenticate(auth_pb2.AuthenticateRequest(api_key=secret))).principal
    assert principal == auth_pb2.Principal(
        key_id=created.key.id,
        name="team-a",
        role=auth_pb2.ROLE_USER,
        allowed_models=["gpt-4o", "claude"],
        rpm_limit=60,
    )

    listed = await stub.ListKeys(auth_pb2.ListKeysRequest(), metadata=admin)
    assert list(listed.keys) == [created.key]
    assert secret.encode() not in listed.SerializeToString()

    revoked = (await stub.RevokeKey(auth_pb2.RevokeKeyRequest(id=created.key.id), metadata=admin)).key
    assert revoked.HasField("revoked_at")
    assert revoked.created_at == created.key.created_at

    code, error = await rpc_error(stub.Authenticate(auth_pb2.AuthenticateRequest(api_key=secret)))
    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert (error.status, error.code) == (401, "invalid_api_key")
    assert error.message == f"The API key {secret[:12]}****{secret[-4:]} has been revoked."

    assert list((await stub.ListKeys(auth_pb2.ListKeysRequest(), metadata=admin)).keys) == []
    everything = await stub.ListKeys(auth_pb2.ListKeysRequest(include_revoked=True), metadata=admin)
    assert list(everything.keys) == [revoked]


async def test_revoking_a_revoked_key_returns_it_unchanged_and_announces_it_again(
    migrated_url: str, start_auth: Callable[..., Any], admin_key: str
) -> None:
    stub = (await start_auth(migrated_url)).stub
    created = await stub.CreateKey(auth_pb2.CreateKeyRequest(name="k"), metadata=bearer(admin_key))
    watch = stub.WatchChanges(auth_pb2.WatchChangesRequest())
    stream = watch.__aiter__()
    assert (await next_message(stream)).kind == RESET
    request = auth_pb2.RevokeKeyRequest(id=created.key.id)

    first = await stub.RevokeKey(request, metadata=bearer(admin_key))
    second = await stub.RevokeKey(request, metadata=bearer(admin_key))

    assert second == first
    announced = auth_pb2.WatchChangesResponse(kind=KEY_REVOKED, key_id=created.key.id)
    assert [await next_message(stream), await next_message(stream)] == [announced, announced]
    watch.cancel()


async def test_unknown_key_is_refused_with_a_masked_key(
    migrated_url: str, start_auth: Callable[..., Any]
) -> None:
    stub = (await start_auth(migrated_url)).stub
    unknown = "sk-aigw-AbCd" + "Q" * 35 + "wxyz"

    code, error = await rpc_error(stub.Authenticate(auth_pb2.AuthenticateRequest(api_key=unknown)))

    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert (error.status, error.code, error.type) == (401, "invalid_api_key", "invalid_request_error")
    assert error.message == "Incorrect API key provided: sk-aigw-AbCd****wxyz."


@pytest.mark.parametrize(
    ("api_key", "message"),
    [
        ("", "You didn't provide an API key."),
        ("not-a-key-at-all", "Incorrect API key provided: not-****ll."),
        ("sk-aigw-" + "x" * 500, "Incorrect API key provided: sk-aigw-xxxx****xxxx."),
    ],
)
async def test_empty_or_malformed_keys_are_refused(
    sqlite_url: str,
    apply_migrations: Callable[[str], Awaitable[None]],
    start_auth: Callable[..., Any],
    api_key: str,
    message: str,
) -> None:
    await apply_migrations(sqlite_url)
    stub = (await start_auth(sqlite_url)).stub

    code, error = await rpc_error(stub.Authenticate(auth_pb2.AuthenticateRequest(api_key=api_key)))

    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert (error.status, error.code) == (401, "invalid_api_key")
    assert error.message.startswith(message)


async def test_admin_key_authenticates_as_the_admin_principal(
    migrated_url: str, start_auth: Callable[..., Any], admin_key: str
) -> None:
    stub = (await start_auth(migrated_url)).stub

    response = await stub.Authenticate(auth_pb2.AuthenticateRequest(api_key=admin_key))

    assert response.principal == auth_pb2.Principal(key_id="admin", name="admin", role=auth_pb2.ROLE_ADMIN)


def _admin_calls(stub: Any, metadata: tuple[tuple[str, str], ...] | None) -> list[Awaitable[Any]]:
    return [
        stub.CreateKey(auth_pb2.CreateKeyRequest(name="x"), metadata=metadata),
        stub.ListKeys(auth_pb2.ListKeysRequest(), metadata=metadata),
        stub.RevokeKey(auth_pb2.RevokeKeyRequest(id="key_0000000000000000"), metadata=metadata),
    ]


async def test_admin_rpcs_refuse_missing_wrong_and_non_admin_keys(
    migrated_url: str, start_auth: Callable[..., Any], admin_key: str
) -> None:
    stub = (await start_auth(migrated_url)).stub
    user_secret = (
        await stub.CreateKey(auth_pb2.CreateKeyRequest(name="u"), metadata=bearer(admin_key))
    ).secret

    for metadata, expected_code, status in [
        (None, grpc.StatusCode.UNAUTHENTICATED, 401),
        ((("authorization", "Basic abc"),), grpc.StatusCode.UNAUTHENTICATED, 401),
        (bearer(admin_key + "x"), grpc.StatusCode.UNAUTHENTICATED, 401),
        (bearer(user_secret), grpc.StatusCode.PERMISSION_DENIED, 403),
    ]:
        for call in _admin_calls(stub, metadata):
            code, error = await rpc_error(call)
            assert (code, error.status) == (expected_code, status)

    keys = await stub.ListKeys(auth_pb2.ListKeysRequest(), metadata=bearer(admin_key))
    assert [key.name for key in keys.keys] == ["u"]  # nothing was created by the refused calls


async def test_without_a_configured_admin_key_no_one_can_administer_keys(
    sqlite_url: str, apply_migrations: Callable[[str], Awaitable[None]], start_auth: Callable[..., Any]
) -> None:
    await apply_migrations(sqlite_url)
    stub = (await start_auth(sqlite_url, admin_key=None)).stub

    for metadata in (None, bearer(""), bearer("admin"), bearer("sk-aigw-anything")):
        for call in _admin_calls(stub, metadata):
            code, error = await rpc_error(call)
            assert (code, error.status) == (grpc.StatusCode.UNAUTHENTICATED, 401)


@pytest.mark.parametrize(
    ("request_fields", "param"),
    [
        ({"name": ""}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"name": "ok", "rpm_limit": -5}, "rpm_limit"),
        ({"name": "ok", "allowed_models": ["gpt-4o", ""]}, "allowed_models"),
        ({"name": "ok", "allowed_models": ["m" * 201]}, "allowed_models"),
    ],
)
async def test_create_key_rejects_invalid_fields_with_the_param(
    sqlite_url: str,
    apply_migrations: Callable[[str], Awaitable[None]],
    start_auth: Callable[..., Any],
    admin_key: str,
    request_fields: dict[str, Any],
    param: str,
) -> None:
    await apply_migrations(sqlite_url)
    stub = (await start_auth(sqlite_url)).stub

    code, error = await rpc_error(
        stub.CreateKey(auth_pb2.CreateKeyRequest(**request_fields), metadata=bearer(admin_key))
    )

    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert (error.status, error.param, error.type) == (400, param, "invalid_request_error")


async def test_revoking_an_unknown_key_is_not_found(
    migrated_url: str, start_auth: Callable[..., Any], admin_key: str
) -> None:
    stub = (await start_auth(migrated_url)).stub

    code, error = await rpc_error(
        stub.RevokeKey(auth_pb2.RevokeKeyRequest(id="key_ffffffffffffffff"), metadata=bearer(admin_key))
    )

    assert code == grpc.StatusCode.NOT_FOUND
    assert (error.status, error.param) == (404, "id")


async def test_watch_starts_with_reset_then_reports_creation_and_revocation_at_once(
    migrated_url: str, start_auth: Callable[..., Any], admin_key: str
) -> None:
    stub = (await start_auth(migrated_url)).stub
    watch = stub.WatchChanges(auth_pb2.WatchChangesRequest())
    stream = watch.__aiter__()
    assert (await next_message(stream)).kind == RESET

    created = await stub.CreateKey(auth_pb2.CreateKeyRequest(name="w"), metadata=bearer(admin_key))
    assert await next_message(stream) == auth_pb2.WatchChangesResponse(
        kind=KEY_CREATED, key_id=created.key.id
    )

    revoked_at = time.monotonic()
    await stub.RevokeKey(auth_pb2.RevokeKeyRequest(id=created.key.id), metadata=bearer(admin_key))
    message = await next_message(stream)
    heard_after = time.monotonic() - revoked_at

    assert message == auth_pb2.WatchChangesResponse(kind=KEY_REVOKED, key_id=created.key.id)
    assert heard_after < 0.25
    watch.cancel()


async def test_watcher_that_cannot_keep_up_is_sent_a_reset(
    sqlite_url: str, apply_migrations: Callable[[str], Awaitable[None]], start_auth: Callable[..., Any]
) -> None:
    await apply_migrations(sqlite_url)
    feed = MemoryChangeFeed(capacity=4)
    stub = (await start_auth(sqlite_url, feed=feed)).stub
    watch = stub.WatchChanges(auth_pb2.WatchChangesRequest())
    stream = watch.__aiter__()
    assert (await next_message(stream)).kind == RESET

    # A burst larger than the watcher's buffer, before its handler can send any of it.
    for index in range(20):
        await feed.publish(Change(ChangeKind.KEY_REVOKED, f"key_{index:016x}"))
    assert (await next_message(stream)).kind == RESET

    await feed.publish(Change(ChangeKind.KEY_REVOKED, "key_after_the_gap"))
    assert await next_message(stream) == auth_pb2.WatchChangesResponse(
        kind=KEY_REVOKED, key_id="key_after_the_gap"
    )
    watch.cancel()


async def test_watch_stream_ends_unavailable_when_the_feed_closes(
    sqlite_url: str, apply_migrations: Callable[[str], Awaitable[None]], start_auth: Callable[..., Any]
) -> None:
    await apply_migrations(sqlite_url)
    server = await start_auth(sqlite_url)
    stream = server.stub.WatchChanges(auth_pb2.WatchChangesRequest()).__aiter__()
    assert (await next_message(stream)).kind == RESET

    await server.feed.close()

    assert (await next_message(stream)).kind == RESET
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await next_message(stream)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert from_rpc_error(caught.value).status == 503
