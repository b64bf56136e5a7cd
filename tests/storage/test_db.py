"""Engine helpers: URL normalisation, SQLite setup, schema and ping on both backends."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import cases as case_store
from storage import persons as person_store
from storage.crypto import Cipher
from storage.db import (
    TLSConfigError,
    make_engine,
    make_lookup_sessionmaker,
    make_sessionmaker,
    normalize_url,
    ping,
    tls_context,
)
from storage.models import Case
from storage.schema import upgrade_engine
from tests.support.certificates import make_authority


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
    await upgrade_engine(engine)  # idempotent
    async with engine.connect() as connection:
        for table in ("keyring", "persons", "cases"):
            await connection.execute(text(f"SELECT count(*) FROM {table}"))  # noqa: S608


async def test_sqlite_transactions_see_no_write_between_their_read_and_their_write(
    tmp_path: Path,
) -> None:
    """Two transactions that each read the highest number and write the next one: the second
    must see the first's write (the "same request twice" check relies on this)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'isolation.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE numbers (n INTEGER)"))

        async def next_number() -> None:
            async with engine.begin() as connection:
                highest = (await connection.execute(text("SELECT max(n) FROM numbers"))).scalar()
                await asyncio.sleep(0.2)  # the other transaction runs meanwhile, if it may
                await connection.execute(
                    text("INSERT INTO numbers VALUES (:n)"), {"n": (highest or 0) + 1}
                )

        await asyncio.gather(next_number(), next_number())
        async with engine.connect() as connection:
            stored = (await connection.execute(text("SELECT n FROM numbers"))).scalars().all()
        assert sorted(stored) == [1, 2]
    finally:
        await engine.dispose()


async def test_sqlite_waits_longer_than_the_drivers_five_seconds_for_the_lock(
    tmp_path: Path,
) -> None:
    """Under a surge a transaction can hold the lock for seconds; the next one waits for it
    instead of failing with "database is locked"."""
    engine = make_engine(f"sqlite:///{tmp_path / 'slow.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE requests (n INTEGER)"))
        holding = asyncio.Event()

        async def slow_writer() -> None:
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO requests VALUES (1)"))
                holding.set()
                await asyncio.sleep(6)

        async def next_writer() -> None:
            await holding.wait()
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO requests VALUES (2)"))

        await asyncio.gather(slow_writer(), next_writer())
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM requests"))).scalar() == 2
    finally:
        await engine.dispose()


async def test_many_people_submitting_at_once_on_sqlite_all_get_their_case(
    tmp_path: Path, cipher: Cipher
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'surge.db'}")
    await upgrade_engine(engine)
    sessions = make_sessionmaker(engine)

    async def submit(n: int) -> str:
        async with sessions() as session, session.begin():
            person = await person_store.upsert_person(
                session, cipher, pseudonym=f"person-{n}", chat_id=n, language="en"
            )
            await asyncio.sleep(0)  # let the others interleave between the read and the write
            case = await case_store.create_case(
                session, cipher, person=person, answers={"n": n}, priority=2,
                category="serving", language="en",
            )  # fmt: skip
            return case.id

    try:
        made = await asyncio.gather(*(submit(n) for n in range(40)))
        async with sessions() as session:
            stored = (await session.scalars(select(Case.id))).all()
        assert sorted(stored) == sorted(made)
        assert len(set(made)) == 40
    finally:
        await engine.dispose()


async def test_a_lookup_does_not_wait_for_a_writer(database_url: str) -> None:
    """ "Is this person blocked?" is answered while a long submission holds the write lock."""
    engine = make_engine(database_url)
    lookups = make_lookup_sessionmaker(engine)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE requests (n INTEGER)"))
            await connection.execute(text("INSERT INTO requests VALUES (1)"))
        writing, looked_up = asyncio.Event(), asyncio.Event()

        async def writer() -> None:
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO requests VALUES (2)"))
                writing.set()
                await asyncio.wait_for(looked_up.wait(), 10)  # fails if the lookup queued

        async def lookup() -> int:
            await writing.wait()
            async with lookups() as session:
                seen = (await session.execute(text("SELECT count(*) FROM requests"))).scalar()
            looked_up.set()
            return int(seen or 0)

        _, seen = await asyncio.gather(writer(), lookup())
        assert seen == 1  # the committed state, not the write in progress
    finally:
        await engine.dispose()


async def test_a_lookup_session_cannot_write_on_postgresql(postgres_server: Any) -> None:
    name = postgres_server.create_database()
    engine = make_engine(postgres_server.url_for(name))
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE requests (n INTEGER)"))
        with pytest.raises(DBAPIError, match="read-only"):
            async with make_lookup_sessionmaker(engine)() as session, session.begin():
                await session.execute(text("INSERT INTO requests VALUES (1)"))
    finally:
        await engine.dispose()
        postgres_server.drop_database(name)


# --- INTAKE_DATABASE_CA_FILE: verified TLS (a real server: tests/integration/test_database_tls.py)

TLS_URL = "postgresql://u@db.example:5432/intake"


@pytest.fixture
def ca_file(tmp_path: Path) -> Path:
    return make_authority(tmp_path, "unit-test-ca").file


def test_a_ca_file_that_cannot_be_used_is_refused_when_the_engine_is_made(tmp_path: Path) -> None:
    with pytest.raises(TLSConfigError, match="does not exist"):
        make_engine(TLS_URL, ca_file=tmp_path / "missing.crt")
    with pytest.raises(TLSConfigError, match="is a directory"):
        make_engine(TLS_URL, ca_file=tmp_path)
    for content in ("", "not a certificate\n"):
        (tmp_path / "bad.crt").write_text(content, encoding="utf-8")
        with pytest.raises(TLSConfigError, match="no CA certificate in PEM"):
            make_engine(TLS_URL, ca_file=tmp_path / "bad.crt")


def test_a_ca_file_with_sqlite_is_refused_not_ignored(tmp_path: Path, ca_file: Path) -> None:
    with pytest.raises(TLSConfigError, match="PostgreSQL"):
        make_engine(f"sqlite:///{tmp_path / 'x.db'}", ca_file=ca_file)
    assert not (tmp_path / "x.db").exists()


def test_the_tls_context_trusts_only_the_ca_file_and_checks_names(ca_file: Path) -> None:
    context = tls_context(ca_file)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert [ca["subject"] for ca in context.get_ca_certs()] == [
        ((("commonName", "unit-test-ca"),),)
    ]


class _Captured(Exception):
    """Stops a connection attempt once its arguments are seen (no server needed)."""


@pytest.mark.parametrize("query", ["", "?ssl=disable", "?ssl=prefer"])
async def test_the_context_reaches_the_driver_whatever_the_url_says(
    ca_file: Path, query: str
) -> None:
    """connect_args win over the URL's query: `?ssl=disable` cannot switch TLS off."""
    engine = make_engine(TLS_URL + query, ca_file=ca_file, connect_args={"timeout": 5})
    seen: dict[str, Any] = {}

    def capture(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        seen.update(cparams)
        raise _Captured

    event.listen(engine.sync_engine, "do_connect", capture)
    try:
        with pytest.raises(_Captured):
            await ping(engine)
    finally:
        await engine.dispose()
    assert isinstance(seen["ssl"], ssl.SSLContext)
    assert seen["ssl"].check_hostname
    assert seen["timeout"] == 5  # the caller's own connect_args are kept
