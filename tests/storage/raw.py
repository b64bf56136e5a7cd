"""What an adversary holding a copy of the database would see: every row, and the SQLite files."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.erasure import checkpoint


async def every_value(engine: AsyncEngine) -> bytes:
    """Every value of every table (read with plain SQL, not the models), joined as bytes."""
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
        out = bytearray()
        for table in sorted(tables):
            rows = (await connection.execute(sa.text(f'SELECT * FROM "{table}"'))).all()  # noqa: S608
            for row in rows:
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        out += bytes(value)
                    else:
                        out += str(value).encode()
                    out += b"\x00"
    return bytes(out)


def read_sqlite_files(database: str) -> bytes:
    """The database file and whatever write-ahead log or journal lies beside it."""
    out = bytearray()
    for suffix in ("", "-wal", "-journal"):
        path = Path(database + suffix)
        if path.exists():
            out += path.read_bytes()
    return bytes(out)


async def sqlite_files(engine: AsyncEngine) -> bytes:
    """The bytes of the SQLite database file and its write-ahead log, after a checkpoint."""
    assert engine.dialect.name == "sqlite"
    assert await checkpoint(engine)
    database = engine.url.database
    assert database
    return read_sqlite_files(database)


async def leftovers(engine: AsyncEngine, secrets: Iterable[bytes]) -> list[int]:
    """Indexes of the `secrets` still found in the rows, or on SQLite in the files."""
    secrets = list(secrets)
    assert all(len(secret) >= 16 for secret in secrets), "too short to search for reliably"
    rows = await every_value(engine)
    files = await sqlite_files(engine) if engine.dialect.name == "sqlite" else b""
    return [number for number, secret in enumerate(secrets) if secret in rows or secret in files]


async def stored_times(engine: AsyncEngine) -> list[tuple[str, str, datetime]]:
    """(table, column, value) for every time stored in any table, read with plain SQL.

    SQLite keeps times as text, PostgreSQL as timestamps; both come back as datetimes here,
    exactly as stored (nothing is rounded on the way out).
    """
    async with engine.connect() as connection:
        columns = await connection.run_sync(_time_columns)
        out: list[tuple[str, str, datetime]] = []
        for table, column in columns:
            query = sa.text(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')  # noqa: S608
            for (value,) in (await connection.execute(query)).all():
                moment = datetime.fromisoformat(value) if isinstance(value, str) else value
                out.append((table, column, moment))
    return out


def _time_columns(connection: sa.Connection) -> list[tuple[str, str]]:
    inspector = sa.inspect(connection)
    return [
        (table, column["name"])
        for table in sorted(inspector.get_table_names())
        if table != "alembic_version"
        for column in inspector.get_columns(table)
        if isinstance(column["type"], sa.DateTime | sa.Date | sa.Time)
    ]
