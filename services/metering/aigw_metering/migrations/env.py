"""Alembic environment: the connection and version table come from `aigw_runtime.db.upgrade`."""

from aigw_metering.models import Base
from aigw_runtime.db import run_env_migrations

run_env_migrations(Base.metadata)
