"""Erasure reaches the files: Redis's append-only file and snapshot, the database's own files.

The real bot over HTTP, a real redis-server with the append-only file on (as docker-compose.yml
runs it, with Redis's default snapshots too), SQLite and PostgreSQL; the files are read the way
someone who copied the server's disk would read them.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.housekeeping import purge
from bot.inprocess import BotThread
from bot.services import Services
from casework.people import Person
from dialogs.events import Completed
from localapi import LocalBotApi
from storage.cases import create_case
from storage.crypto import Cipher, MasterKeyWrapper, generate_master_key, parse_master_keys
from storage.models import Case, CaseEntry
from storage.models import Person as StoredPerson
from storage.persons import upsert_person
from tests.cli.test_cli import run
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import submit_request
from tests.e2e.test_safety import pseudonym_of
from tests.support.dbfiles import database_files, found
from tests.support.people import command, eventually, tap
from tests.support.redisfiles import (
    AofRedis,
    every_string,
    openable_drafts,
    start_aof_redis,
    strings_in,
)
from tests.support.servers import PostgresServer


@pytest.fixture
def aof_redis(tmp_path: Path) -> Iterator[AofRedis]:
    with start_aof_redis(tmp_path / "redis-data") as server:
        yield server


def _server(database_url: str, request: pytest.FixtureRequest) -> PostgresServer | None:
    if database_url.startswith("sqlite"):
        return None
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server


async def _stored_secrets(services: Services) -> list[bytes]:
    """Every wrapped key and ciphertext in the database, with the pseudonyms (one person)."""
    out: list[bytes] = []
    async with services.sessions() as db:
        for case in (await db.scalars(select(Case))).all():
            out += [case.key_blob, case.answers_enc]
        out += [entry.body_enc for entry in (await db.scalars(select(CaseEntry))).all()]
        for person in (await db.scalars(select(StoredPerson))).all():
            out += [person.key_blob, person.chat_enc, person.pseudonym.encode()]
    return out


def test_forget_leaves_nothing_openable_in_redis_or_database_files(
    api: LocalBotApi,
    make_settings: SettingsFactory,
    aof_redis: AofRedis,
    master_keys: str,
    database_url: str,
    request: pytest.FixtureRequest,
) -> None:
    cipher = Cipher(MasterKeyWrapper(parse_master_keys(master_keys)))
    server = _server(database_url, request)
    person = api.user(6670101, language_code="en")
    settings = make_settings(redis_url=aof_redis.url, compact_interval_seconds=1)
    with BotThread(settings) as runner:
        owner = pseudonym_of(runner, person)
        submit_request(person, details="A story that must not outlive /forget.")
        # A second questionnaire, half-way: its draft is saved at every step.
        command(person, "/start", expect="You have an open request")
        tap(person, "Start a new request", expect="Choose your language")
        tap(person, "English", expect="not end-to-end encrypted")
        tap(person, "I understand, continue", expect="Who needs help?")
        tap(person, "I do", expect="What is the situation right now?")
        aof_redis.snapshot_now()  # the draft in an RDB base file and in dump.rdb (compressed)
        tap(person, "Contract soldier", expect="Where are you (or he/she) now?")  # and in the log
        database_secrets = runner.run(_stored_secrets)
        assert len(database_secrets) >= 5

        # What the files hold before: the reader finds it (so "nothing" below means nothing).
        strings = every_string(aof_redis.directory)
        assert openable_drafts(strings, cipher, owner) >= 2
        assert openable_drafts(strings_in(aof_redis.directory / "dump.rdb"), cipher, owner) == 1
        assert any(owner.encode() in value for value in strings)

        command(person, "/forget", expect="Erase everything you sent")
        tap(person, "Yes, erase everything", expect="the bot has erased everything")
        eventually(lambda: runner.run(_compacted), timeout=60, what="compaction after /forget")
        database = runner.run(lambda services: database_files(services.database, server))

    strings = every_string(aof_redis.directory)
    assert openable_drafts(strings, cipher, owner) == 0
    assert [value for value in strings if owner.encode() in value] == []
    raw = b"".join(path.read_bytes() for path in aof_redis.directory.rglob("*") if path.is_file())
    assert owner.encode() not in raw
    assert found(database_secrets, database) == []


async def _compacted(services: Services) -> bool:
    """The compactor has served every request, including /forget's two (the erasure's, and
    the one after the short-lived keys were cleared) and the housekeeping round's at start."""
    compactor = services.compactor
    assert compactor is not None
    return compactor.requests >= 3 and compactor.idle and compactor.covered == compactor.requests


def test_the_retention_purge_leaves_no_case_in_the_database_files(
    make_settings: SettingsFactory, database_url: str, request: pytest.FixtureRequest
) -> None:
    server = _server(database_url, request)
    settings = make_settings(retention_days=1)

    async def scenario() -> tuple[list[int], list[int]]:
        services = await Services.start(settings)
        try:
            cipher, sessions = services.cipher, services.sessions
            async with sessions.begin() as db:
                person = await upsert_person(
                    db, cipher, pseudonym="p" * 64, chat_id=4242, language="en"
                )
                old = await create_case(
                    db, cipher, person=person, answers={"story": "o" * 4000}, priority=1,
                    category="c", language="en",
                )  # fmt: skip
                kept = await create_case(
                    db, cipher, person=person, answers={"story": "k" * 4000}, priority=1,
                    category="c", language="en",
                )  # fmt: skip
            async with sessions.begin() as db:
                await db.execute(
                    update(Case)
                    .where(Case.id == old.id)
                    .values(status="closed", closed_at=datetime.now(UTC) - timedelta(days=3))
                )
            async with sessions() as db:
                rows = {c.id: c for c in (await db.scalars(select(Case))).all()}
            doomed = [rows[old.id].key_blob, rows[old.id].answers_enc]
            survivor = [rows[kept.id].key_blob, rows[kept.id].answers_enc]
            report = await purge(services)
            assert report.cases == 1
            files = await database_files(services.database, server)
            return found(doomed, files), found(survivor, files)
        finally:
            await services.aclose()

    doomed, survivor = asyncio.run(scenario())
    assert doomed == []
    assert survivor == [0, 1]


def test_check_and_start_warn_when_redis_files_cannot_be_rewritten(
    tmp_path: Path, make_settings: SettingsFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A Redis that refuses CONFIG (as managed services do) cannot be made to forget."""
    with start_aof_redis(tmp_path / "redis") as server:
        client = server.client()
        client.execute_command(
            "ACL", "SETUSER", "limited", "on", ">limited-password", "~*", "&*", "+@all", "-config"
        )
        client.close()
        url = f"redis://limited:limited-password@127.0.0.1:{server.port}/0"
        env = {"INTAKE_BOT_TOKEN": "1:abc", "INTAKE_MASTER_KEYS": generate_master_key(),
               "INTAKE_DATABASE_URL": f"sqlite:///{tmp_path / 'intake.db'}",
               "INTAKE_REDIS_URL": url}  # fmt: skip
        checked = run("check", env=env, cwd=tmp_path)
        assert checked.returncode == 0, checked.stdout + checked.stderr  # a warning, not a failure
        assert "redis          ok\n" in checked.stdout
        assert (
            "redis          warning: Redis refuses CONFIG GET: the bot cannot rewrite its files"
            " after an erasure, so they may keep erased drafts (use a Redis the bot may"
            " configure, or no persistence)"
        ) in checked.stdout
        assert "limited-password" not in checked.stdout + checked.stderr

        async def start() -> None:
            services = await Services.start(make_settings(redis_url=url))
            await services.aclose()

        with caplog.at_level(logging.WARNING, logger="bot.services"):
            asyncio.run(start())
        assert [r.getMessage() for r in caplog.records if r.name == "bot.services"] == [
            "Redis refuses CONFIG GET: the bot cannot rewrite its files after an erasure, so"
            " they may keep erased drafts (use a Redis the bot may configure, or no persistence)"
        ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_forget_with_a_busy_log_says_so_and_checkpoints_it_later(
    make_settings: SettingsFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A reader holding SQLite's log open must not leave an erased case in it for good."""
    settings = make_settings(compact_interval_seconds=0.2)

    async def scenario() -> tuple[list[int], list[int]]:
        services = await Services.start(settings)
        try:
            someone = Person(user_id=6670201, chat_id=6670201)
            completed = Completed(
                answers={"story": "b" * 3000}, priority=1, category="c", language="en"
            )
            await services.submission.submit(someone, completed)
            doomed = await _stored_secrets(services)
            database = services.database.url.database
            assert database
            reader = sqlite3.connect(database, isolation_level=None)
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM cases").fetchone()  # holds the log
            try:
                assert (await services.erasure.forget(someone)).cases == 1
                before = found(doomed, await database_files(services.database, None))
            finally:
                reader.execute("COMMIT")
                reader.close()
            compactor = services.compactor
            assert compactor is not None
            for _ in range(2000):
                if compactor.idle and compactor.covered == compactor.requests:
                    break
                await asyncio.sleep(0.01)
            return before, found(doomed, await database_files(services.database, None))
        finally:
            await services.aclose()

    with caplog.at_level(logging.WARNING):
        before, after = asyncio.run(scenario())
    assert before  # the log still held them while the reader kept it busy
    assert after == []
    said = [r.getMessage() for r in caplog.records if r.name == "casework.erasure"]
    assert said == ["the database log is busy after an erasure; checkpoint retried later"]
