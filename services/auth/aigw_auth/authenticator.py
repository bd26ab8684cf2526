"""Turning a presented API key into a Principal, and deciding who may administer keys."""

from __future__ import annotations

import hashlib
import hmac

from aigw_auth.keys import KeyHasher, looks_like_secret, mask_secret
from aigw_auth.principals import ADMIN_PRINCIPAL, Principal, Role
from aigw_auth.store import KeyStore
from aigw_runtime.errors import AuthenticationError, PermissionDeniedError


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8")).digest()


class Authenticator:
    """Checks API keys: the configured admin key first, then the stored keys by their keyed hash."""

    def __init__(self, store: KeyStore, hasher: KeyHasher, admin_key: str | None) -> None:
        self._store = store
        self._hasher = hasher
        # Comparing fixed-length digests keeps the comparison's time independent of the key.
        self._admin_digest = _digest(admin_key) if admin_key else None

    @property
    def admin_enabled(self) -> bool:
        return self._admin_digest is not None

    async def authenticate(self, api_key: str) -> Principal:
        """The principal of a key; AuthenticationError (401) for a missing, unknown or revoked key."""
        if not api_key:
            raise AuthenticationError(
                "You didn't provide an API key. Provide it in the Authorization header "
                "using Bearer auth (Authorization: Bearer YOUR_KEY)."
            )
        if self._is_admin_key(api_key):
            return ADMIN_PRINCIPAL
        if not looks_like_secret(api_key):
            raise _incorrect_key(api_key)
        record = await self._store.find_by_hash(self._hasher.hash(api_key))
        if record is None:
            raise _incorrect_key(api_key)
        if record.revoked:
            raise AuthenticationError(f"The API key {mask_secret(api_key)} has been revoked.")
        return record.principal()

    async def require_admin(self, token: str | None) -> Principal:
        """The admin principal for the admin key; 401 without a valid key, 403 for a non-admin key."""
        if token is None:
            raise AuthenticationError(
                "Managing API keys requires the admin key as `authorization: Bearer <key>` metadata."
            )
        principal = await self.authenticate(token)
        if principal.role is not Role.ADMIN:
            raise PermissionDeniedError("This API key is not allowed to manage API keys.")
        return principal

    def _is_admin_key(self, api_key: str) -> bool:
        return self._admin_digest is not None and hmac.compare_digest(self._admin_digest, _digest(api_key))


def _incorrect_key(api_key: str) -> AuthenticationError:
    return AuthenticationError(f"Incorrect API key provided: {mask_secret(api_key)}.")
