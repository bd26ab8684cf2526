"""The metering service's Alembic history, applied by `aigw migrate` and `aigw up`."""

from pathlib import Path

SCRIPT_LOCATION: Path = Path(__file__).parent
VERSION_TABLE = "aigw_metering_alembic_version"
