"""Who is calling and what they may do: roles, principals and stored API keys."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Role(enum.Enum):
    """What a principal may call; the value is what the database stores."""

    USER = "user"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """The identity an API key authenticates, with its limits."""

    key_id: str
    name: str
    role: Role
    # Public model names this principal may use; empty means every model.
    allowed_models: tuple[str, ...] = ()
    # Requests per minute; 0 means unlimited.
    rpm_limit: int = 0


ADMIN_PRINCIPAL = Principal(key_id="admin", name="admin", role=Role.ADMIN)


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """A stored API key as the service sees it: everything but the secret and its hash."""

    id: str
    name: str
    prefix: str
    role: Role
    allowed_models: tuple[str, ...]
    rpm_limit: int
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def principal(self) -> Principal:
        return Principal(
            key_id=self.id,
            name=self.name,
            role=self.role,
            allowed_models=self.allowed_models,
            rpm_limit=self.rpm_limit,
        )
