"""Engine and session factories. Nothing is created at import time: `main` and tests build them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

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


def make_engine(url: str, **options: Any) -> AsyncEngine:
    """Build an async engine; SQLite gets foreign keys, WAL, secure delete and its directory.

    `options` go to `create_async_engine` (for example `pool_size`).
    """
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = _sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **options)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        return engine
    return create_async_engine(url, **{"pool_pre_ping": True, **options})


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions keep loaded attributes after commit, so handlers can use objects afterwards."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def create_schema(engine: AsyncEngine) -> None:
    """Bring the schema up to date with the migrations (creating it in an empty database).

    Kept for callers that hold an engine; `storage.schema.upgrade` does the same from a URL.
    """
    from storage.schema import upgrade_engine  # storage.schema imports this module

    await upgrade_engine(engine)


async def ping(engine: AsyncEngine) -> None:
    """Fail fast at start (and in health checks) if the database cannot be reached."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
