"""Reading a database's own files (not its rows): what a copy of the server's disk holds."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import make_engine
from tests.storage.raw import read_sqlite_files
from tests.support.servers import PostgresServer


async def postgres_files(engine: AsyncEngine, server: PostgresServer) -> bytes:
    """After a CHECKPOINT (so the pages are on disk): every file of this database's directory."""
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(sa.text("CHECKPOINT"))
        oid = await autocommit.scalar(
            sa.text("SELECT oid FROM pg_database WHERE datname = current_database()")
        )
    directory = server.data / "base" / str(oid)
    return b"".join(path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file())


async def database_files(engine: AsyncEngine, server: PostgresServer | None) -> bytes:
    """SQLite: the database file and its -wal as they are (no checkpoint). PostgreSQL: above."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        assert database
        return read_sqlite_files(database)
    assert server is not None
    return await postgres_files(engine, server)


def database_files_at(url: str, server: PostgresServer | None) -> bytes:
    """`database_files` of the database at `url`, from synchronous test code (its own engine)."""

    async def read() -> bytes:
        engine = make_engine(url)
        try:
            return await database_files(engine, server)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def found(secrets: list[bytes], files: bytes) -> list[int]:
    """Indexes of the secrets any 32-byte piece of which (the start, the middle) is in the files:
    PostgreSQL stores long values out of line in chunks of about 2 kB."""
    assert all(len(secret) >= 32 for secret in secrets), "too short to search for reliably"

    def pieces(secret: bytes) -> list[bytes]:
        return [secret[at : at + 32] for at in (0, (len(secret) - 32) // 2, len(secret) - 32)]

    return [n for n, secret in enumerate(secrets) if any(p in files for p in pieces(secret))]
