"""After an erasure the files forget too: VACUUM (FULL), checkpoints, Redis rewrites, batching."""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis.asyncio import Redis
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import compaction, desk
from storage.compaction import ERASED_TABLES, Compactor, redis_warnings
from storage.crypto import Cipher
from storage.erasure import erase_person
from storage.models import Case, CaseEntry, Person
from storage.repositories import create_case, upsert_person
from storage.state import RedisDraftStore
from tests.support.dbfiles import database_files, found
from tests.support.redisfiles import (
    every_string,
    openable_drafts,
    persisted_files,
    start_aof_redis,
    strings_in,
)
from tests.support.servers import PostgresServer

Sessions = async_sessionmaker[AsyncSession]


async def _people(sessions: Sessions, cipher: Cipher, count: int) -> list[tuple[str, Person]]:
    """People with two cases each (one long enough to be stored out of line) and an entry."""
    out = []
    for n in range(count):
        pseudonym = secrets.token_hex(32)
        async with sessions.begin() as session:
            person = await upsert_person(
                session, cipher, pseudonym=pseudonym, chat_id=555000 + n, language="ru"
            )
            for story in ("s" * 300, "l" * 6000):
                case = await create_case(
                    session, cipher, person=person, answers={"story": story}, priority=1,
                    category="c", language="ru",
                )  # fmt: skip
                await desk.add_entry(
                    session, cipher, case, kind="person", body="where now? " * 40, author=None
                )
        out.append((pseudonym, person))
    return out


async def _stored(sessions: Sessions, person: Person) -> list[bytes]:
    """Every wrapped key, ciphertext and the pseudonym stored for this person, as stored."""
    out: list[bytes] = []
    async with sessions() as session:
        cases = (await session.scalars(select(Case).where(Case.person_id == person.id))).all()
        for case in cases:
            out += [case.key_blob, case.answers_enc]
            entries = await session.scalars(select(CaseEntry).where(CaseEntry.case_id == case.id))
            out += [entry.body_enc for entry in entries]
        stored = await session.get_one(Person, person.id, populate_existing=True)
        out += [stored.key_blob, stored.chat_enc, stored.pseudonym.encode()]
    return out


def _server(engine: AsyncEngine, request: pytest.FixtureRequest) -> PostgresServer | None:
    if engine.dialect.name == "sqlite":
        return None
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server


async def test_after_an_erasure_the_table_files_keep_no_key_or_ciphertext(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher, request: pytest.FixtureRequest
) -> None:
    server = _server(engine, request)
    people = await _people(sessions, cipher, 12)
    doomed = [people[3], people[4], people[9]]
    kept = people[5]
    doomed_secrets = [s for _, person in doomed for s in await _stored(sessions, person)]
    kept_secrets = await _stored(sessions, kept[1])
    for pseudonym, _ in doomed:
        async with sessions.begin() as session:
            await erase_person(session, pseudonym)

    # Deleting (after overwriting with noise) is not enough: the old versions are still on disk
    # (SQLite: in the write-ahead log; PostgreSQL: in the pages, even after a plain VACUUM).
    assert found(doomed_secrets, await database_files(engine, server))
    if server is not None:
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            for table in ERASED_TABLES:
                await autocommit.execute(sa.text(f"VACUUM {table}"))
        assert found(doomed_secrets, await database_files(engine, server))

    compactor = Compactor(engine, None, interval=60)
    assert await compactor.run() == set()

    files = await database_files(engine, server)
    assert found(doomed_secrets, files) == []
    assert found(kept_secrets, files) == list(range(len(kept_secrets)))  # we read the right files


async def test_a_surge_of_erasures_compacts_once_per_interval(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """50 requests at once: one run; more while it waits for its interval: one more."""
    statements: list[str] = []

    def remember(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "VACUUM" in statement.upper():
            statements.append(statement)

    real_checkpoint = compaction.checkpoint

    async def counted_checkpoint(engine: AsyncEngine) -> bool:  # the driver's cursor, unseen
        statements.append("PRAGMA wal_checkpoint(TRUNCATE)")
        return await real_checkpoint(engine)

    monkeypatch.setattr(compaction, "checkpoint", counted_checkpoint)

    now = [1000.0]
    waited: list[float] = []
    gate = asyncio.Event()

    async def sleep(seconds: float) -> None:
        waited.append(seconds)
        await gate.wait()
        now[0] += seconds

    compactor = Compactor(engine, None, interval=300, clock=lambda: now[0], sleep=sleep)
    event.listen(engine.sync_engine, "before_cursor_execute", remember)
    try:
        for _ in range(50):
            compactor.request()
        await _settle(lambda: compactor.idle)
        assert compactor.runs == 1
        now[0] += 10  # ten seconds later, another surge
        for _ in range(30):
            compactor.request()
        await _settle(lambda: bool(waited))
        assert compactor.runs == 1  # waiting for the interval, not running per person
        assert waited == [290]
        gate.set()
        await _settle(lambda: compactor.idle)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", remember)
    assert compactor.runs == 2
    per_run = len(ERASED_TABLES) if engine.dialect.name == "postgresql" else 1
    assert len(statements) == 2 * per_run


async def _settle(condition: object, rounds: int = 2000) -> None:
    for _ in range(rounds):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the compactor did not get there")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_busy_log_is_checkpointed_again_until_it_succeeds(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher, caplog: pytest.LogCaptureFixture
) -> None:
    [(pseudonym, person)] = await _people(sessions, cipher, 1)
    doomed = await _stored(sessions, person)
    database = engine.url.database
    assert database
    reader = sqlite3.connect(database, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM cases").fetchone()  # holds a snapshot of the log
    async with sessions.begin() as session:
        await erase_person(session, pseudonym)

    waits: list[float] = []
    gate = asyncio.Event()

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await gate.wait()

    compactor = Compactor(engine, None, interval=30, sleep=sleep)
    with caplog.at_level(logging.WARNING, logger="storage.compaction"):
        compactor.request()
        await _settle(lambda: bool(waits))
    assert compactor.pending == {"database"}  # failed, and kept for another try
    assert found(doomed, await database_files(engine, None))
    [line] = [r.getMessage() for r in caplog.records if r.name == "storage.compaction"]
    assert line == (
        "database files not compacted after an erasure: readers keep the log busy; retrying in 30 s"
    )
    reader.execute("COMMIT")
    reader.close()
    gate.set()
    await _settle(lambda: compactor.idle)
    assert compactor.runs == 2
    assert found(doomed, await database_files(engine, None)) == []
    await compactor.aclose()


async def test_an_expired_draft_leaves_the_append_only_file_at_the_next_rewrite(
    tmp_path: Path, cipher: Cipher
) -> None:
    """Redis keeps an expired key (and writes it into a rewrite) until something touches it."""
    with start_aof_redis(tmp_path / "redis", "--enable-debug-command", "local") as server:
        client = Redis.from_url(server.url)
        try:
            await client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
            short = RedisDraftStore(client, cipher, ttl_seconds=1)
            long = RedisDraftStore(client, cipher, ttl_seconds=3600)
            for step in range(3):
                await short.save("gone-owner", {"answers": {"story": f"version {step}"}})
            await long.save("kept-owner", {"answers": {"story": "still filling in"}})
            strings = every_string(server.directory)
            assert openable_drafts(strings, cipher, "gone-owner") == 3
            await asyncio.sleep(1.2)  # the short drafts' TTL passes

            compactor = Compactor(None, client, interval=60)
            assert await compactor.run() == set()
        finally:
            await client.aclose()
        strings = every_string(server.directory)
        per_file = {
            path.name: openable_drafts(strings_in(path), cipher, "kept-owner")
            for path in persisted_files(server.directory)
        }
    assert openable_drafts(strings, cipher, "gone-owner") == 0
    assert not any(b"gone-owner" in value for value in strings)
    # The live draft, once in the new base file and once in the new dump.rdb; nothing older.
    assert sorted(per_file.values()) == [0, 1, 1], per_file


async def test_redis_warnings_name_what_erasure_does_not_reach(tmp_path: Path) -> None:
    with start_aof_redis(tmp_path / "primary") as primary:
        client = Redis.from_url(primary.url)
        try:
            assert await redis_warnings(client) == []
            await client.execute_command(
                "ACL", "SETUSER", "limited", "on", ">limited-password", "~*", "&*", "+@all",
                "-config",
            )  # fmt: skip
            limited = Redis(port=primary.port, username="limited", password="limited-password")
            try:
                [refused] = await redis_warnings(limited)
                assert refused.startswith("Redis refuses CONFIG GET")
                assert await Compactor(None, limited, interval=60).run() == set()  # not retried
            finally:
                await limited.aclose()
            replica_of = ("--replicaof", "127.0.0.1", str(primary.port))
            with start_aof_redis(tmp_path / "replica", *replica_of):
                for _ in range(600):
                    if int((await client.info("replication"))["connected_slaves"]):
                        break
                    await asyncio.sleep(0.05)
                assert await redis_warnings(client) == [
                    "Redis has 1 replica(s): their files keep erased drafts until they rewrite"
                    " them themselves"
                ]
        finally:
            await client.aclose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_table_in_use_is_vacuumed_later_instead_of_stalling_the_bot(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher, caplog: pytest.LogCaptureFixture
) -> None:
    """VACUUM (FULL) gives up after a second of waiting for a lock, and is tried again."""
    [(pseudonym, _)] = await _people(sessions, cipher, 1)
    async with sessions.begin() as session:
        await erase_person(session, pseudonym)
    compactor = Compactor(engine, None, interval=30)
    async with sessions() as busy:
        await busy.execute(sa.text("SELECT count(*) FROM cases"))  # holds a lock until it ends
        with caplog.at_level(logging.WARNING, logger="storage.compaction"):
            assert await compactor.run() == {"database"}
    assert [r.getMessage() for r in caplog.records] == [
        "database files not compacted after an erasure: LockNotAvailableError; retrying in 30 s"
    ]
    assert await compactor.run() == set()
    async with engine.connect() as connection:  # the pool never got the shortened lock wait
        assert await connection.scalar(sa.text("SHOW lock_timeout")) == "0"
