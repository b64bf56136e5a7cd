"""Engine and session factories. Nothing is created at import time: `main` and tests build them."""

from __future__ import annotations

import contextlib
import os
import ssl
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, CursorResult, Result, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.models import Base, table_of

_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def normalize_url(url: str) -> str:
    """Map the URLs operators write (sqlite:///, postgres://) to the async drivers we ship.

    Only the scheme is rewritten or named in errors: the rest may hold a password.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("database URL has no scheme (expected sqlite:/// or postgresql://)")
    driver = _SCHEMES.get(scheme.lower())
    if driver is None:
        raise ValueError(f"unsupported database URL scheme {scheme!r}; use sqlite or postgresql")
    return f"{driver}://{rest}"


def _sqlite_file(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite database URL (None for PostgreSQL or an in-memory database)."""
    url = normalize_url(url)
    return _sqlite_file(url) if url.startswith("sqlite") else None


SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def sqlite_files(url: str) -> list[Path]:
    """The files that exist of a SQLite database: the database, its WAL and shared memory."""
    path = sqlite_path(url)
    if path is None:
        return []
    candidates = [path, *(path.with_name(path.name + suffix) for suffix in SQLITE_SIDE_FILES)]
    return [candidate for candidate in candidates if candidate.exists()]


def _create_private(path: Path) -> None:
    """The directory (0700, if it is new) and an empty database file only the owner can open.

    SQLite creates the WAL and shared-memory files with the permissions of the database file,
    so they are 0600 too; an empty file is an empty database to SQLite.
    """
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


# How long a transaction waits for another one's to finish before "database is locked": under
# a surge the event loop can leave one holding the lock for seconds (the driver's default is 5).
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked, per connection.
    # WAL lets the bot read while another connection writes. secure_delete zeroes deleted
    # content, so a forgotten person's wrapped keys do not linger in free pages of the file.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()
    # The driver's own transaction handling is switched off; `_begin` starts transactions.
    dbapi_connection.isolation_level = None


LOOKUP_ONLY = "intake_lookup_only"
"""Execution option of the engine behind `make_lookup_sessionmaker`."""


def _begin(connection: Any) -> None:
    """Every transaction begins for real; one that may write takes SQLite's write lock at once.

    Left to itself the driver begins a transaction only at the first write, so what a
    transaction read before it (is there a person, is this the same request) was not part of
    it: two could read the same thing and both write. Taking the write lock up front makes
    writing transactions run one after the other, which SQLite does for writers anyway.
    Lookups read a snapshot (WAL) and never wait for writers.
    """
    lookup = connection.get_execution_options().get(LOOKUP_ONLY, False)
    connection.exec_driver_sql("BEGIN" if lookup else "BEGIN IMMEDIATE")


class TLSConfigError(ValueError):
    """The CA file for a verified TLS connection cannot be used; the message says why (the
    caller names the setting)."""


def tls_context(ca_file: Path) -> ssl.SSLContext:
    """A client context that trusts only the CA in `ca_file` and checks the server's name.

    Not the system's CAs: any public CA could then vouch for an impostor of the database.
    Built once, when the engine is made, so that a wrong file stops the start, not a query.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_verify_locations(cafile=ca_file)
    except FileNotFoundError:
        raise TLSConfigError(f"{ca_file} does not exist") from None
    except IsADirectoryError:
        raise TLSConfigError(f"{ca_file} is a directory, not a CA certificate file") from None
    except ssl.SSLError:
        raise TLSConfigError(f"{ca_file} holds no CA certificate in PEM format") from None
    except OSError as error:
        raise TLSConfigError(f"cannot read {ca_file}: {error.strerror}") from None
    if not context.get_ca_certs():
        raise TLSConfigError(f"{ca_file} holds no CA certificate in PEM format")
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def make_engine(url: str, *, ca_file: Path | None = None, **options: Any) -> AsyncEngine:
    """Build an async engine; SQLite gets foreign keys, WAL, secure delete, transactions that
    begin for real and wait for the write lock, and its directory (0700) and file (0600).

    `ca_file` (PostgreSQL only): every connection uses TLS, its certificate verified against
    this CA and its name against the URL's host; asyncpg never falls back to plaintext with a
    context of its own, and it wins over any `ssl` in the URL. A TLSConfigError if the file
    cannot be used. `options` go to `create_async_engine` (for example `pool_size`).
    """
    url = normalize_url(url)
    if ca_file is not None:
        if url.startswith("sqlite"):
            raise TLSConfigError("a CA file is for a PostgreSQL database; this one is SQLite")
        connect_args = {**options.pop("connect_args", {}), "ssl": tls_context(ca_file)}
        options["connect_args"] = connect_args
    if url.startswith("sqlite"):
        path = _sqlite_file(url)
        if path is not None:
            _create_private(path)
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, **options.pop("connect_args", {})}
        engine = create_async_engine(url, connect_args=connect_args, **options)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        event.listen(engine.sync_engine, "begin", _begin)
        return engine
    return create_async_engine(url, **{"pool_pre_ping": True, **options})


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions keep loaded attributes after commit, so handlers can use objects afterwards."""
    return async_sessionmaker(engine, expire_on_commit=False)


def make_lookup_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for lookups that write nothing (is this person blocked, do they have an open
    request): on SQLite they do not queue behind writers. On PostgreSQL their transactions are
    read-only, so a write through one fails instead of slipping in."""
    options = {LOOKUP_ONLY: True, "postgresql_readonly": True}
    return async_sessionmaker(engine.execution_options(**options), expire_on_commit=False)


async def insert_unless_conflict(
    session: AsyncSession,
    model: type[Base],
    values: dict[str, Any],
    conflict_columns: Sequence[str] | None = None,
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True if the row was inserted.

    Used where two processes may race to create the same row: the loser sees no error and no
    aborted transaction (which a caught IntegrityError would leave on PostgreSQL), and re-reads.
    `conflict_columns` names the unique columns to watch; None means any unique constraint.
    """
    table = table_of(model)
    target = None if conflict_columns is None else [table.c[name] for name in conflict_columns]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(model).on_conflict_do_nothing(index_elements=target)
    elif dialect == "sqlite":
        statement = sqlite.insert(model).on_conflict_do_nothing(index_elements=target)
    else:  # pragma: no cover - normalize_url admits only these two
        raise RuntimeError(f"unsupported database dialect {dialect!r}")
    statement = statement.values(**values).returning(*table.primary_key.columns)
    result = await session.execute(statement)
    return result.first() is not None


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """Rows an UPDATE or DELETE matched: Session.execute types its result as a plain Result,
    for DML it is a CursorResult (sqlalchemy/sqlalchemy#9185)."""
    return cast(CursorResult[*tuple[Any, ...]], result).rowcount


def run_pragma(connection: Connection, pragma: str) -> tuple[Any, ...] | None:
    """Run a PRAGMA that SQLite refuses or ignores inside a transaction (a WAL checkpoint,
    foreign_keys around migrations), after committing what is open.

    It goes straight to the driver: through SQLAlchemy it would begin a transaction first.
    """
    if connection.in_transaction():
        connection.commit()
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # checked out: never None
    try:
        cursor.execute(pragma)
        row = cursor.fetchone()
    finally:
        cursor.close()
    return tuple(row) if row is not None else None


async def ping(engine: AsyncEngine) -> None:
    """Fail fast at start (and in health checks) if the database cannot be reached."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def vacuum_full(engine: AsyncEngine, tables: Sequence[str], *, lock_timeout: float) -> None:
    """PostgreSQL: `VACUUM (FULL)` these tables, so their files keep no deleted row's bytes.

    Plain VACUUM only marks a dead row's space free; its bytes stay in the page until a new row
    overwrites them. FULL copies the live rows into new files and drops the old ones. It runs in
    autocommit (VACUUM cannot run in a transaction) and gives up after `lock_timeout` seconds
    of waiting for a table lock, so the bot's own queries never queue behind it for long.
    """
    if engine.dialect.name != "postgresql":
        raise ValueError("VACUUM (FULL) is for PostgreSQL")
    async with engine.connect() as connection:
        try:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text(f"SET lock_timeout = {int(lock_timeout * 1000)}"))
            for table in tables:
                await autocommit.execute(text(f'VACUUM (FULL) "{table}"'))
        finally:
            # Closed, not returned to the pool: no other query runs with this lock_timeout.
            await connection.invalidate()
