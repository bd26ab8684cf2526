"""Creating, listing and revoking API keys, each change announced on the change feed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aigw_auth.changes import Change, ChangeFeed, ChangeKind
from aigw_auth.keys import KeyHasher, display_prefix, generate_key_id, generate_secret
from aigw_auth.principals import ApiKeyRecord, Role
from aigw_auth.store import KeyStore
from aigw_runtime.clock import Clock, SystemClock
from aigw_runtime.errors import GatewayError, InvalidRequestError, NotFoundError, ServiceUnavailableError

log = logging.getLogger(__name__)

MAX_NAME_LENGTH = 200
MAX_MODEL_NAME_LENGTH = 200
MAX_ALLOWED_MODELS = 1000
MAX_RPM_LIMIT = 2**31 - 1


@dataclass(frozen=True, slots=True)
class KeySpec:
    """What a new key is allowed, validated."""

    name: str
    allowed_models: tuple[str, ...]
    rpm_limit: int


def validate_key_spec(name: str, allowed_models: Sequence[str], rpm_limit: int) -> KeySpec:
    """A KeySpec, or InvalidRequestError (400) naming the offending parameter."""
    if not name.strip():
        raise InvalidRequestError("name must not be empty.", param="name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidRequestError(f"name must be at most {MAX_NAME_LENGTH} characters.", param="name")
    if not 0 <= rpm_limit <= MAX_RPM_LIMIT:
        raise InvalidRequestError("rpm_limit must be 0 (unlimited) or a positive number.", param="rpm_limit")
    if len(allowed_models) > MAX_ALLOWED_MODELS:
        raise InvalidRequestError(
            f"allowed_models may list at most {MAX_ALLOWED_MODELS} models.", param="allowed_models"
        )
    for model in allowed_models:
        if not model.strip() or len(model) > MAX_MODEL_NAME_LENGTH:
            raise InvalidRequestError(
                f"allowed_models entries must be model names of 1 to {MAX_MODEL_NAME_LENGTH} characters.",
                param="allowed_models",
            )
    # Keep the caller's order, drop repeats.
    return KeySpec(name=name, allowed_models=tuple(dict.fromkeys(allowed_models)), rpm_limit=rpm_limit)


class KeyAdmin:
    """The admin operations on stored keys (the caller has already been checked as admin)."""

    def __init__(
        self, store: KeyStore, hasher: KeyHasher, feed: ChangeFeed, clock: Clock | None = None
    ) -> None:
        self._store = store
        self._hasher = hasher
        self._feed = feed
        self._clock = clock or SystemClock()

    async def create(self, spec: KeySpec) -> tuple[ApiKeyRecord, str]:
        """Stores a new key; returns it with its secret, which is never available again."""
        secret = generate_secret()
        record = ApiKeyRecord(
            id=generate_key_id(),
            name=spec.name,
            prefix=display_prefix(secret),
            role=Role.USER,
            allowed_models=spec.allowed_models,
            rpm_limit=spec.rpm_limit,
            created_at=self._now(),
        )
        await self._store.add(record, self._hasher.hash(secret))
        log.info("created API key %s (%r)", record.id, record.name)
        try:
            await self._feed.publish(Change(ChangeKind.KEY_CREATED, record.id))
        except GatewayError as exc:
            # The key exists and its secret is shown only now: failing the call would lose it.
            # A missed KEY_CREATED only delays the key until an edge's negative cache entry expires.
            log.warning("created API key %s but could not announce it: %s", record.id, exc.message)
        return record, secret

    async def list_keys(self, *, include_revoked: bool) -> list[ApiKeyRecord]:
        return await self._store.list_keys(include_revoked=include_revoked)

    async def revoke(self, key_id: str) -> ApiKeyRecord:
        """Revokes a key (idempotent) and announces it; NotFoundError (404) for an unknown id.

        Revoking an already revoked key announces it again, so an admin who
        saw the announcement fail can simply retry.
        """
        if not key_id:
            raise InvalidRequestError("id must not be empty.", param="id")
        record = await self._store.revoke(key_id, self._now())
        if record is None:
            raise NotFoundError(f"No API key with id {key_id[:64]!r}.", param="id")
        log.info("revoked API key %s", record.id)
        try:
            await self._feed.publish(Change(ChangeKind.KEY_REVOKED, record.id))
        except GatewayError as exc:
            raise ServiceUnavailableError(
                f"API key {record.id} is revoked, but edges could not be told ({exc.message}) "
                "and may accept it until they reconnect. Retry RevokeKey to announce it again."
            ) from exc
        return record

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.now(), UTC)
