"""Schema migrations with alembic, run from the application (start-up, `intake-bot migrate`).

The migration scripts ship inside the `storage` package (`storage/migrations`), so they work
from an installed wheel. Nothing here prints or configures logging; alembic reports its steps
at INFO on the "alembic" loggers, which the application's log set-up governs.

A database created before migrations existed (the three tables `create_all` made) is adopted:
it is recorded as revision 0001 and upgraded from there.
"""

from __future__ import annotations

import asyncio
import io
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import as_file, files
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import make_engine

SchemaState = Literal["empty", "current", "outdated", "ahead"]

VERSION_TABLE = "alembic_version"
BASELINE_REVISION = "0001"
# What `create_all` made before migrations existed; such a database is at the baseline.
_BASELINE_TABLES = frozenset({"keyring", "persons", "cases"})


class SchemaError(RuntimeError):
    """The database's schema is not one these migrations can work with."""


# alembic runs env.py through a process-wide `alembic.context`, so two commands interleaved on
# one event loop would clobber each other: they take turns. (Other processes are kept apart by
# the database itself: see env.py.)
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _turn() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _turns.get(loop)
    if lock is None:
        lock = _turns[loop] = asyncio.Lock()
    return lock


@contextmanager
def _config() -> Iterator[Config]:
    """An alembic configuration without an ini file (and so without alembic's log set-up)."""
    with as_file(files("storage").joinpath("migrations")) as location:
        config = Config(stdout=io.StringIO())
        # ConfigParser interpolation: a literal % in the path must be doubled.
        config.set_main_option("script_location", str(location).replace("%", "%%"))
        yield config


def _script() -> ScriptDirectory:
    with _config() as config:
        return ScriptDirectory.from_config(config)


def head_revision() -> str:
    """The newest revision this code knows."""
    head = _script().get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise SchemaError("no migration scripts found")
    return head


def revisions() -> list[str]:
    """Every revision this code knows, oldest first."""
    return [script.revision for script in reversed(list(_script().walk_revisions()))]


def _known_revisions() -> set[str]:
    return set(revisions())


def _inspect(connection: Connection) -> tuple[set[str], str | None]:
    """The database's table names and its recorded revision (None if none is recorded)."""
    tables = set(inspect(connection).get_table_names())
    revision = None
    if VERSION_TABLE in tables:
        revision = MigrationContext.configure(connection).get_current_revision()
    return tables, revision


def _state(tables: set[str], revision: str | None) -> SchemaState:
    if revision is None:
        if not tables - {VERSION_TABLE}:
            return "empty"
        if tables - {VERSION_TABLE} == _BASELINE_TABLES:
            return "outdated"
        raise SchemaError(
            "the database has tables but no migration history; it was not made by this bot"
        )
    if revision == head_revision():
        return "current"
    if revision in _known_revisions():
        return "outdated"
    return "ahead"


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision recorded in the database; None for an empty (or pre-migration) database."""
    async with engine.connect() as connection:
        _tables, revision = await connection.run_sync(_inspect)
    return revision


async def schema_state(engine: AsyncEngine) -> SchemaState:
    """ "empty" (no tables), "current" (at head), "outdated" (upgrade needed) or "ahead".

    "ahead": the database records a revision this code does not know (a newer version of the
    bot migrated it); do not run against it. Raises SchemaError for a database with tables but
    no migration history that is not a pre-migration database of this bot.
    """
    async with engine.connect() as connection:
        tables, revision = await connection.run_sync(_inspect)
    return _state(tables, revision)


def _run(connection: Connection, direction: Literal["upgrade", "downgrade"], target: str) -> None:
    tables, revision = _inspect(connection)
    state = _state(tables, revision)
    if state == "ahead":
        raise SchemaError(
            f"the database is at revision {revision!r}, which this version does not know"
        )
    if connection.in_transaction():
        connection.rollback()  # end the read; env.py runs the migrations in its own transaction
    with _config() as config:
        config.attributes["connection"] = connection
        if revision is None and state == "outdated":
            command.stamp(config, BASELINE_REVISION)
        if direction == "upgrade":
            command.upgrade(config, target)
        else:
            command.downgrade(config, target)
    if connection.in_transaction():
        connection.commit()


async def _command(
    engine: AsyncEngine, direction: Literal["upgrade", "downgrade"], target: str
) -> None:
    async with _turn(), engine.connect() as connection:
        await connection.run_sync(_run, direction, target)


async def upgrade_engine(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind an existing engine (the tests and the bench hold one)."""
    await _command(engine, "upgrade", revision)


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (default: the newest); safe to repeat."""
    engine = make_engine(url)
    try:
        await upgrade_engine(engine, revision)
    finally:
        await engine.dispose()


async def downgrade(url: str, revision: str) -> None:
    """Step the database at `url` back to `revision` ("base" drops every table: all data)."""
    engine = make_engine(url)
    try:
        await _command(engine, "downgrade", revision)
    finally:
        await engine.dispose()
