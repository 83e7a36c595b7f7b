"""Bring any database up to the current schema on open, using the Alembic scripts in migrations/.

Alembic rather than a hand-rolled ``schema_version`` table: it is maintained alongside
SQLAlchemy, records the applied revision in ``alembic_version``, orders scripts by an explicit
revision graph, and offers batch mode for SQLite's limited ALTER TABLE, all of which a home-made
runner would have to re-implement and test. No alembic.ini is needed: the config is built here.

The upgrade runs in one transaction that first takes a lock (``BEGIN IMMEDIATE`` on SQLite, an
advisory transaction lock on PostgreSQL), so concurrent openers upgrade once and a crash midway
rolls back to the old schema; both backends have transactional DDL.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection, Engine

from .db import storage_error, translated

MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK_KEY = 0x52535455  # "RSTU": one key for every Routing Studio schema in the database


def alembic_config(connection: Connection | None = None) -> Config:
    """An in-memory Alembic config pointing at this package's migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The revision the code expects the database to be at."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migration scripts found"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision recorded in the database, or None for an empty database."""
    with translated(engine), engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (head by default) in one locked transaction."""
    try:
        with translated(engine), engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            command.upgrade(alembic_config(conn), revision)
    except CommandError as err:
        raise storage_error(
            "storage.schema_unknown",
            f"database at {engine.url.render_as_string(hide_password=True)} has a schema this version "
            f"of Routing Studio does not know ({err})",
            suggestion="open it with the newer Routing Studio that wrote it") from err
