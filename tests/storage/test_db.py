"""Engine helpers: URL normalisation, SQLite setup, schema and ping on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_schema, make_engine, normalize_url, ping


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("sqlite:////abs/x.db", "sqlite+aiosqlite:////abs/x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgres://u:p@h/db?sslmode=require", "postgresql+asyncpg://u:p@h/db?sslmode=require"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


@pytest.mark.parametrize("url", ["mysql://u:hunter2@h/db", "postgresql+psycopg2://u:hunter2@h/db"])
def test_normalize_url_rejects_unsupported_scheme_without_echoing_password(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported database URL scheme") as info:
        normalize_url(url)
    assert url.split("://")[0] in str(info.value)
    assert "hunter2" not in str(info.value)


def test_normalize_url_needs_a_scheme() -> None:
    with pytest.raises(ValueError, match="no scheme"):
        normalize_url("just/a/path.db")


async def test_sqlite_creates_directory_and_enables_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "deeper" / "still" / "intake.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        await ping(engine)
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await connection.execute(text("PRAGMA secure_delete"))).scalar() == 1
        assert path.exists()
    finally:
        await engine.dispose()


async def test_schema_and_ping(engine: AsyncEngine) -> None:
    await ping(engine)
    await create_schema(engine)  # idempotent
    async with engine.connect() as connection:
        for table in ("keyring", "persons", "cases"):
            await connection.execute(text(f"SELECT count(*) FROM {table}"))  # noqa: S608
