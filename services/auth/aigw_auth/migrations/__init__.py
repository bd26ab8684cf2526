"""The auth service's Alembic history, applied by `aigw migrate` and `aigw up`."""

from __future__ import annotations

from pathlib import Path

SCRIPT_LOCATION: Path = Path(__file__).resolve().parent
VERSION_TABLE = "aigw_auth_alembic_version"
