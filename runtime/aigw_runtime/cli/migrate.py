"""`aigw migrate`: apply each installed service's Alembic history to its database."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import sys

from aigw_runtime.bootstrap import load_runtime
from aigw_runtime.settings import Settings

# Services that own tables; each has an `aigw_<name>.migrations` package
# exposing SCRIPT_LOCATION and VERSION_TABLE.
SERVICES_WITH_TABLES = ("auth", "metering")


async def migrate_all(settings: Settings) -> list[str]:
    """Upgrades every installed service to head; returns the services migrated."""
    from aigw_runtime.db import create_engine, database_url, upgrade

    done = []
    for service in SERVICES_WITH_TABLES:
        if importlib.util.find_spec(f"aigw_{service}") is None:
            continue
        migrations = importlib.import_module(f"aigw_{service}.migrations")
        engine = create_engine(database_url(settings, service))
        try:
            await upgrade(engine, migrations.SCRIPT_LOCATION, migrations.VERSION_TABLE)
        finally:
            await engine.dispose()
        done.append(service)
    return done


def migrate_command() -> int:
    settings, _ = load_runtime()
    try:
        done = asyncio.run(migrate_all(settings))
    except Exception as exc:  # the message is the useful part for an operator
        print(f"aigw migrate: failed: {exc}", file=sys.stderr)
        return 1
    print("migrated: " + (", ".join(done) if done else "nothing to migrate"))
    return 0
