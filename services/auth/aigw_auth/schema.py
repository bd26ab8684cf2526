"""Whether the database has been migrated for this build (the service never migrates it itself)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from aigw_auth.migrations import SCRIPT_LOCATION, VERSION_TABLE
from aigw_auth.models import API_KEYS_TABLE

log = logging.getLogger(__name__)


class SchemaNotReadyError(Exception):
    """The auth tables are missing: `aigw migrate` has not been run on this database."""


@dataclass(frozen=True)
class SchemaState:
    has_table: bool
    revision: str | None


def _read_state(connection: Connection) -> SchemaState:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return SchemaState(
        has_table=inspect(connection).has_table(API_KEYS_TABLE),
        revision=context.get_current_revision(),
    )


async def check_schema(engine: AsyncEngine) -> None:
    """Raises SchemaNotReadyError when the keys table is missing; warns when not at head."""
    async with engine.connect() as connection:
        state = await connection.run_sync(_read_state)
    database = engine.url.render_as_string(hide_password=True)
    if not state.has_table:
        raise SchemaNotReadyError(
            f"the table {API_KEYS_TABLE} does not exist in {database}; "
            "run `aigw migrate` (or start the gateway with `aigw up`) first"
        )
    head = ScriptDirectory(str(SCRIPT_LOCATION)).get_current_head()
    if state.revision != head:
        log.warning(
            "the auth schema in %s is at revision %s, this build expects %s; run `aigw migrate`",
            database,
            state.revision,
            head,
        )
