"""Conversions between the auth domain and the aigw.auth.v1 messages."""

from __future__ import annotations

from aigw.auth.v1 import auth_pb2
from aigw_auth.changes import Change, ChangeKind
from aigw_auth.principals import ApiKeyRecord, Principal, Role

_ROLES = {Role.USER: auth_pb2.ROLE_USER, Role.ADMIN: auth_pb2.ROLE_ADMIN}
_CHANGE_KINDS = {
    ChangeKind.RESET: auth_pb2.CHANGE_KIND_RESET,
    ChangeKind.KEY_CREATED: auth_pb2.CHANGE_KIND_KEY_CREATED,
    ChangeKind.KEY_REVOKED: auth_pb2.CHANGE_KIND_KEY_REVOKED,
}


def principal_message(principal: Principal) -> auth_pb2.Principal:
    return auth_pb2.Principal(
        key_id=principal.key_id,
        name=principal.name,
        role=_ROLES[principal.role],
        allowed_models=principal.allowed_models,
        rpm_limit=principal.rpm_limit,
    )


def api_key_message(record: ApiKeyRecord) -> auth_pb2.ApiKey:
    """The listable view of a key: never its secret or hash."""
    message = auth_pb2.ApiKey(
        id=record.id,
        name=record.name,
        prefix=record.prefix,
        allowed_models=record.allowed_models,
        rpm_limit=record.rpm_limit,
    )
    message.created_at.FromDatetime(record.created_at)
    if record.revoked_at is not None:
        message.revoked_at.FromDatetime(record.revoked_at)
    return message


def change_message(change: Change) -> auth_pb2.WatchChangesResponse:
    return auth_pb2.WatchChangesResponse(kind=_CHANGE_KINDS[change.kind], key_id=change.key_id)
