"""Alembic environment of the auth service (run through `aigw_runtime.db.upgrade`)."""

from __future__ import annotations

from aigw_auth.models import Base
from aigw_runtime.db import run_env_migrations

run_env_migrations(Base.metadata)
