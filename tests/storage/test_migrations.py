"""Alembic migrations on SQLite and PostgreSQL: stairway, head equals the models, state, data."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import desk, schema
from storage.crypto import Cipher
from storage.db import make_engine, make_sessionmaker
from storage.models import AuditEvent, Base, Case, CaseEntry, Person, UTCDateTime, to_minute
from storage.repositories import (
    case_answers,
    case_record,
    create_case,
    find_person,
    person_chat_id,
    person_record,
    upsert_person,
)
from tests.storage.raw import stored_times
from tests.support.servers import PostgresServer


@pytest.fixture
async def bare(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the test's empty database; no schema is created."""
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: sa.inspect(c).get_table_names()))


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_stairway_up_down_up_one_step_at_a_time(database_url: str, bare: AsyncEngine) -> None:
    revisions = schema.revisions()
    assert revisions[0] == schema.BASELINE_REVISION
    assert revisions[-1] == schema.head_revision()
    previous = "base"
    for revision in revisions:
        await schema.upgrade(database_url, revision)
        assert await schema.current_revision(bare) == revision
        await schema.downgrade(database_url, previous)
        expected = None if previous == "base" else previous
        assert await schema.current_revision(bare) == expected
        await schema.upgrade(database_url, revision)
        assert await schema.current_revision(bare) == revision
        previous = revision
    for revision in reversed(["base", *revisions[:-1]]):
        await schema.downgrade(database_url, revision)
    assert await _tables(bare) == {schema.VERSION_TABLE}
    assert await schema.schema_state(bare) == "empty"


async def test_head_schema_equals_the_models(database_url: str, bare: AsyncEngine) -> None:
    await schema.upgrade(database_url)
    async with bare.connect() as connection:
        assert await connection.run_sync(_differences) == []
    assert await _tables(bare) == set(Base.metadata.tables) | {schema.VERSION_TABLE}


async def test_constraints_autogenerate_cannot_see_survive_table_rebuilds(
    database_url: str, bare: AsyncEngine
) -> None:
    """CHECK constraints are not compared by autogenerate; SQLite rebuilds `cases` in 0002."""
    await schema.upgrade(database_url)
    async with bare.connect() as connection:
        checks = await connection.run_sync(
            lambda c: {
                table: {check["name"] for check in sa.inspect(c).get_check_constraints(table)}
                for table in ("cases", "volunteers", "invites", "case_entries")
            }
        )
    assert checks == {
        "cases": {"ck_cases_status", "ck_cases_priority_positive"},
        "volunteers": {"ck_volunteers_role"},
        "invites": {"ck_invites_role"},
        "case_entries": {"ck_case_entries_kind"},
    }


async def test_schema_state(database_url: str, bare: AsyncEngine) -> None:
    assert await schema.schema_state(bare) == "empty"
    assert await schema.current_revision(bare) is None
    await schema.upgrade(database_url, schema.BASELINE_REVISION)
    assert await schema.schema_state(bare) == "outdated"
    await schema.upgrade(database_url)
    assert await schema.schema_state(bare) == "current"
    await schema.upgrade(database_url)  # nothing to do
    assert await schema.current_revision(bare) == schema.head_revision()

    async with bare.begin() as connection:
        await connection.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
    assert await schema.schema_state(bare) == "ahead"
    with pytest.raises(schema.SchemaError, match="does not know"):
        await schema.upgrade(database_url)
    assert await schema.current_revision(bare) == "f00dcafe"


async def test_database_from_before_migrations_is_adopted(
    database_url: str, bare: AsyncEngine
) -> None:
    await schema.upgrade(database_url, schema.BASELINE_REVISION)
    async with bare.begin() as connection:
        await connection.execute(sa.text("DROP TABLE alembic_version"))
    assert await schema.schema_state(bare) == "outdated"
    assert await schema.current_revision(bare) is None
    await schema.upgrade(database_url)
    assert await schema.schema_state(bare) == "current"


async def test_foreign_database_is_refused(database_url: str, bare: AsyncEngine) -> None:
    async with bare.begin() as connection:
        await connection.execute(sa.text("CREATE TABLE something_else (x INTEGER)"))
    with pytest.raises(schema.SchemaError, match="no migration history"):
        await schema.schema_state(bare)
    with pytest.raises(schema.SchemaError, match="no migration history"):
        await schema.upgrade(database_url)
    assert await _tables(bare) == {"something_else"}


async def test_data_written_at_the_baseline_survives_the_upgrade(
    database_url: str, bare: AsyncEngine, cipher: Cipher
) -> None:
    await schema.upgrade(database_url, schema.BASELINE_REVISION)
    # Rows as the bot wrote them before the desk existed (the tables as they were then).
    person_id, case_id = "11111111-1111-4111-8111-111111111111", "case-0001"
    person_key, case_key = cipher.new_data_key(), cipher.new_data_key()
    answers = {"situation": "mobilised", "needs": ["legal"]}
    now = datetime.now(UTC)
    persons = sa.table(
        "persons",
        *(sa.column(name) for name in ("id", "pseudonym", "key_blob", "chat_enc", "language")),
        sa.column("created_at", UTCDateTime),
        sa.column("last_seen_at", UTCDateTime),
    )
    case_columns = "id reference person_id status priority category language key_blob answers_enc"
    cases = sa.table(
        "cases",
        *(sa.column(name) for name in case_columns.split()),
        sa.column("created_at", UTCDateTime),
        sa.column("updated_at", UTCDateTime),
    )
    async with bare.begin() as connection:
        await connection.execute(
            persons.insert().values(
                id=person_id,
                pseudonym="p" * 64,
                key_blob=cipher.wrap_key(person_key, person_record(person_id)),
                chat_enc=cipher.encrypt(person_key, person_record(person_id), "chat_id", b"4242"),
                language="ru",
                created_at=now,
                last_seen_at=now,
            )
        )
        await connection.execute(
            cases.insert().values(
                id=case_id,
                reference="ABCD-1234",
                person_id=person_id,
                status="waiting",
                priority=1,
                category="leave",
                language="ru",
                key_blob=cipher.wrap_key(case_key, case_record(case_id)),
                answers_enc=cipher.encrypt_json(case_key, case_record(case_id), "answers", answers),
                created_at=now,
                updated_at=now,
            )
        )
    await schema.upgrade(database_url)

    sessions = make_sessionmaker(bare)
    async with sessions() as session:
        person = await find_person(session, "p" * 64)
        assert person is not None
        assert person_chat_id(cipher, person) == 4242
        case = await session.get_one(Case, case_id)
        assert case_answers(cipher, case) == answers
        assert (case.status, case.volunteer_id, case.erased_by_person) == ("waiting", None, False)
        assert case.created_at == to_minute(now)  # 0006 keeps times to the minute
    async with sessions.begin() as session:
        admin = await desk.ensure_admin(
            session, cipher, pseudonym="admin", chat_id=1, language="ru"
        )
        claimed = await desk.claim_next(session, admin)
        assert claimed is not None
        assert claimed.id == case_id
        await desk.add_entry(session, cipher, claimed, kind="volunteer", body="hi", author=admin)
    # ... and the baseline's constraints still hold
    async with sessions() as session:
        with pytest.raises(IntegrityError):
            await session.execute(sa.update(Case).where(Case.id == case_id).values(status="lost"))


async def test_people_and_cases_survive_stepping_0003_down_and_up(
    database_url: str, bare: AsyncEngine, cipher: Cipher
) -> None:
    """0003's downgrade rebuilds `persons` on SQLite; rows and the cascade to cases must survive."""
    await schema.upgrade(database_url)
    sessions = make_sessionmaker(bare)
    async with sessions.begin() as session:
        person = await upsert_person(
            session, cipher, pseudonym="q" * 64, chat_id=4242, language="ru"
        )
        case = await create_case(
            session, cipher, person=person, answers={"a": 1}, priority=1, category="c",
            language="ru",
        )  # fmt: skip
        await desk.block_person_of_case(session, case)
    await schema.downgrade(database_url, "0002")
    await schema.upgrade(database_url)
    async with sessions() as session:
        stored = await find_person(session, "q" * 64)
        assert stored is not None
        assert person_chat_id(cipher, stored) == 4242
        assert stored.blocked_at is None  # the block does not survive a downgrade
        assert case_answers(cipher, await session.get_one(Case, case.id)) == {"a": 1}
    async with sessions.begin() as session:
        await session.execute(sa.delete(Person).where(Person.id == person.id))
    async with sessions() as session:
        assert await session.get(Case, case.id) is None


async def test_upgrades_started_together_in_one_process_take_turns(
    database_url: str, bare: AsyncEngine
) -> None:
    await asyncio.gather(*(schema.upgrade(database_url) for _ in range(3)))
    assert await schema.schema_state(bare) == "current"


_UPGRADE_WHEN_TOLD = """
import asyncio, pathlib, sys, time
from storage import schema
go = pathlib.Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
asyncio.run(schema.upgrade(sys.argv[1]))
"""


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    name = postgres_server.create_database()
    try:
        yield postgres_server.url_for(name)
    finally:
        postgres_server.drop_database(name)


async def test_instances_starting_together_on_postgresql_migrate_once(
    postgres_url: str, tmp_path: Path
) -> None:
    """Separate processes (instances of the bot) upgrading one database at the same moment.

    PostgreSQL only: a SQLite file is not shared by several instances of the bot.
    """
    database_url = postgres_url
    go = tmp_path / "go"
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _UPGRADE_WHEN_TOLD,
            database_url,
            str(go),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(4)
    ]
    go.touch()
    outputs = await asyncio.wait_for(
        asyncio.gather(*(process.communicate() for process in processes)), timeout=120
    )
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err.decode(errors="replace")
    engine = make_engine(database_url)
    try:
        assert await schema.schema_state(engine) == "current"
    finally:
        await engine.dispose()


async def test_upgrade_prints_nothing_and_leaves_logging_alone(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app_logger = logging.getLogger("intake.test.migrations")
    root_handlers = list(logging.getLogger().handlers)
    root_level = logging.getLogger().level
    await schema.upgrade(database_url)
    await schema.downgrade(database_url, "base")
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")
    assert not app_logger.disabled
    assert logging.getLogger().handlers == root_handlers
    assert logging.getLogger().level == root_level


def test_migrations_ship_inside_the_package() -> None:
    from importlib.resources import files

    location = files("storage").joinpath("migrations")
    assert location.joinpath("env.py").is_file()
    names = {item.name for item in location.joinpath("versions").iterdir()}
    assert {"0001_initial.py", "0002_volunteer_desk.py", "0003_blocking_and_retention.py"} <= names


async def test_0006_coarsens_the_times_already_stored(database_url: str, bare: AsyncEngine) -> None:
    """Rows written to the second by earlier versions: cut to the minute, a closed case to the
    day, an erased case's trail unlinked; the order and the first-reply delay are kept."""
    await schema.upgrade(database_url, "0003")
    exact = sa.DateTime(timezone=True)
    t0 = datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)
    sqlite = bare.dialect.name == "sqlite"

    def at(seconds: float) -> datetime:
        moment = t0 + timedelta(seconds=seconds)
        return moment.replace(tzinfo=None) if sqlite else moment

    persons = sa.table("persons", *(sa.column(n) for n in ("id", "pseudonym", "key_blob",
                       "chat_enc", "language")), sa.column("created_at", exact),
                       sa.column("last_seen_at", exact))  # fmt: skip
    cases = sa.table(
        "cases",
        *(sa.column(n) for n in ("id", "reference", "person_id", "status", "priority",
                                 "category", "language", "key_blob", "answers_enc")),
        *(sa.column(n, exact) for n in ("created_at", "updated_at", "first_reply_at",
                                        "closed_at")),
    )  # fmt: skip
    entries = sa.table("case_entries", *(sa.column(n) for n in ("id", "case_id", "kind",
                       "body_enc")), sa.column("created_at", exact))  # fmt: skip
    audit = sa.table("audit_events", sa.column("action"), sa.column("case_reference"),
                     sa.column("at", exact))  # fmt: skip
    blob = b"\x00" * 16
    async with bare.begin() as connection:
        await connection.execute(
            persons.insert(),
            [{"id": p, "pseudonym": p * 8, "key_blob": blob, "chat_enc": blob, "language": "ru",
              "created_at": at(0), "last_seen_at": at(0)} for p in ("p1", "p2")],
        )  # fmt: skip
        # Three waiting cases in one minute, written second case first; one closed case.
        rows = [("c2", "BBBB-0002", "p1", "waiting", 20),
                ("c1", "AAAA-0001", "p2", "waiting", 10),
                ("c3", "CCCC-0003", "p1", "waiting", 30),
                ("c0", "ZZZZ-0000", "p1", "closed", -90)]  # fmt: skip
        await connection.execute(
            cases.insert(),
            [{"id": i, "reference": r, "person_id": p, "status": s, "priority": 2,
              "category": "c", "language": "ru", "key_blob": blob, "answers_enc": blob,
              "created_at": at(sec), "updated_at": at(sec + 1),
              "first_reply_at": at(sec + 37 * 60 + 50) if s == "closed" else None,
              "closed_at": at(sec + 3600) if s == "closed" else None}
             for i, r, p, s, sec in rows],
        )  # fmt: skip
        await connection.execute(
            entries.insert(),
            [{"id": f"e{n}", "case_id": "c1" if n < 3 else "c0", "kind": "person",
              "body_enc": blob, "created_at": at(11 + sec)}
             for n, sec in ((2, 2.5), (1, 1.5), (0, 0.5), (3, 0))],
        )  # fmt: skip
        await connection.execute(
            audit.insert(),
            [{"action": a, "case_reference": r, "at": at(sec)} for a, r, sec in (
                ("claim", "AAAA-0001", 40), ("claim", "GONE-0009", 41),
                ("erased", "GONE-0009", 42), ("close", "ZZZZ-0000", 43),
                ("invite", None, 44))],
        )  # fmt: skip
    await schema.upgrade(database_url)

    moments = [moment for _, _, moment in await stored_times(bare)]
    assert moments
    assert all(m.second == 0 and m.microsecond == 0 for m in moments)
    day = t0.replace(hour=0, minute=0, second=0, microsecond=0)
    minute = t0.replace(second=0, microsecond=0)
    sessions = make_sessionmaker(bare)
    async with sessions() as session:
        queue = await desk.waiting_cases(session)
        assert [c.reference for c in queue] == ["AAAA-0001", "BBBB-0002", "CCCC-0003"]
        assert {c.created_at for c in queue} == {minute}
        closed = await session.get_one(Case, "c0")
        assert (closed.created_at, closed.closed_at, closed.first_reply_at) == (day, day, day)
        assert closed.first_reply_minutes == 38  # 15:07:56 to 15:45:46, to the minute
        latest = await desk.latest_case_of_person(session, "p1")
        assert latest is not None
        assert latest.id == "c3"
        c1 = await session.get_one(Case, "c1")
        order = (
            await session.scalars(
                sa.select(CaseEntry.id).where(CaseEntry.case_id == "c1").order_by(CaseEntry.seq)
            )
        ).all()
        assert list(order) == ["e0", "e1", "e2"]
        assert c1.minute_order == 1
        events = (
            await session.execute(
                sa.select(AuditEvent.action, AuditEvent.case_reference, AuditEvent.at).order_by(
                    AuditEvent.id
                )
            )
        ).all()
    assert [tuple(e) for e in events] == [
        ("claim", "AAAA-0001", minute + timedelta(minutes=1)),  # 15:10:06
        ("claim", None, day),
        ("erased", None, day),
        ("close", "ZZZZ-0000", day),
        ("invite", None, minute + timedelta(minutes=1)),
    ]
