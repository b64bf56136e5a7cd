"""Stored times on SQLite and PostgreSQL, read raw: to the minute; a closed case's to the day;
an erased or purged case's trail unlinked and to the day. Order and durations still hold."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import audit as audit_store
from storage import cases as case_store
from storage import entries as entry_store
from storage import erasure, retention, stats
from storage import persons as person_store
from storage import volunteers as volunteer_store
from storage.cases import create_case
from storage.crypto import Cipher
from storage.keyring import load_pseudonymizer
from storage.models import AuditEvent, Case, Person, Volunteer
from storage.persons import upsert_person
from tests.storage.raw import stored_times

Sessions = async_sessionmaker[AsyncSession]


async def _admin(sessions: Sessions, cipher: Cipher) -> Volunteer:
    async with sessions.begin() as session:
        return await volunteer_store.ensure_admin(
            session, cipher, pseudonym="admin", chat_id=4242, language="en"
        )


async def _person(sessions: Sessions, cipher: Cipher) -> tuple[str, Person]:
    pseudonym = secrets.token_hex(32)
    async with sessions.begin() as session:
        person = await upsert_person(
            session, cipher, pseudonym=pseudonym, chat_id=31337, language="ru"
        )
    return pseudonym, person


async def _case(sessions: Sessions, cipher: Cipher, person: Person, priority: int = 2) -> Case:
    async with sessions.begin() as session:
        return await create_case(
            session, cipher, person=person, answers={"a": "secret"}, priority=priority,
            category="c", language="ru",
        )  # fmt: skip


async def _everything_a_desk_does(sessions: Sessions, cipher: Cipher) -> tuple[Volunteer, Case]:
    """Every kind of row with a time in it: keyring, people, volunteers, invites, cases,
    entries, relay links, audit events, announcements, revocations."""
    admin = await _admin(sessions, cipher)
    async with sessions.begin() as session:
        await load_pseudonymizer(session, cipher)
        await volunteer_store.create_invite(
            session, code_hash="h1", role="volunteer", created_by=admin, ttl=timedelta(hours=1)
        )
        await volunteer_store.create_invite(
            session, code_hash="h2", role="volunteer", created_by=admin, ttl=timedelta(hours=1)
        )
    async with sessions.begin() as session:
        helper = await volunteer_store.redeem_invite(
            session, cipher, code_hash="h1", pseudonym="helper", chat_id=5, language="en"
        )
    _, person = await _person(sessions, cipher)
    case = await _case(sessions, cipher, person, priority=1)
    async with sessions.begin() as session:
        case = await case_store.claim(session, helper, case.reference)
        await audit_store.record(session, "claim", actor=helper, case=case)
        await entry_store.add_entry(session, cipher, case, kind="person", body="hello", author=None)
        await entry_store.add_entry(
            session, cipher, case, kind="volunteer", body="hi", author=helper
        )
        await entry_store.add_entry(session, cipher, case, kind="note", body="n", author=helper)
        await entry_store.link_relay(session, volunteer=helper, message_id=7, case=case)
    held = await _case(sessions, cipher, person)
    async with sessions.begin() as session:
        await case_store.mark_announced(session, held)
        held = await case_store.claim(session, admin, held.reference)  # stays taken: keeps taken_at
        await entry_store.link_relay(session, volunteer=admin, message_id=8, case=held)
        await person_store.block_person_of_case(session, case)
        await volunteer_store.revoke(session, helper.handle)
    return admin, case


async def test_no_stored_time_is_finer_than_a_minute(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    await _everything_a_desk_does(sessions, cipher)
    times = await stored_times(engine)
    columns = {(table, column) for table, column, _ in times}
    for expected in [("cases", "created_at"), ("cases", "taken_at"), ("cases", "first_reply_at"),
                     ("cases", "announced_at"), ("case_entries", "created_at"),
                     ("audit_events", "at"), ("relay_links", "created_at"),
                     ("invites", "used_at"), ("volunteers", "revoked_at"),
                     ("keyring", "updated_at"), ("persons", "blocked_at")]:  # fmt: skip
        assert expected in columns, f"the test wrote no {expected}"
    finer = [(t, c, v) for t, c, v in times if v.second or v.microsecond]
    assert finer == []


async def test_closing_a_case_keeps_only_the_day_of_its_times(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    admin = await _admin(sessions, cipher)
    _, person = await _person(sessions, cipher)
    case = await _case(sessions, cipher, person)
    other = await _case(sessions, cipher, person)  # stays open: keeps its minute
    async with sessions.begin() as session:
        case = await case_store.claim(session, admin, case.reference)
        await audit_store.record(session, "claim", actor=admin, case=case)
        await entry_store.add_entry(session, cipher, case, kind="person", body="one", author=None)
        await entry_store.add_entry(
            session, cipher, case, kind="volunteer", body="two", author=admin
        )
        await audit_store.record(session, "reply", actor=admin, case=case)
    async with sessions.begin() as session:
        closed = await case_store.close(session, cipher, case, "r")
        await audit_store.record(session, "close", actor=admin, case=closed)
        await entry_store.add_entry(
            session, cipher, closed, kind="note", body="three", author=admin
        )
    async with sessions() as session:
        assert [body for _, body in await entry_store.case_entries(session, cipher, closed)] == [
            "one", "two", "three",
        ]  # fmt: skip
        assert [e.action for e in await audit_store.trail(session, closed.reference)] == [
            "claim", "reply", "close",
        ]  # fmt: skip
    # Raw, as a copy of the database shows them: the closed case's rows hold midnight only.
    entries = await _raw(
        engine, "SELECT created_at FROM case_entries WHERE case_id = :k", closed.id
    )
    times = "created_at, taken_at, first_reply_at, closed_at, updated_at"
    row = await _raw(engine, f"SELECT {times} FROM cases WHERE id = :k", closed.id)  # noqa: S608
    audit = await _raw(engine, "SELECT at FROM audit_events WHERE case_reference = :k",
                       closed.reference)  # fmt: skip
    assert (len(entries), len(row), len(audit)) == (3, 5, 3)
    assert all(_midnight(moment) for moment in entries + row + audit)
    # the open case keeps its minute
    [still_open] = await _raw(engine, "SELECT created_at FROM cases WHERE id = :k", other.id)
    assert not _midnight(still_open) or other.created_at.hour == other.created_at.minute == 0


async def _raw(engine: AsyncEngine, sql: str, key: str) -> list[datetime]:
    """The times one plain SQL query returns, every column of every row, as stored."""
    async with engine.connect() as connection:
        rows = (await connection.execute(text(sql), {"k": key})).all()
    return [datetime.fromisoformat(v) if isinstance(v, str) else v for row in rows for v in row]


def _midnight(moment: datetime) -> bool:
    return (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)


async def test_an_erased_case_leaves_no_reference_and_no_times_in_the_audit(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    admin = await _admin(sessions, cipher)
    pseudonym, person = await _person(sessions, cipher)
    case = await _case(sessions, cipher, person)
    async with sessions.begin() as session:
        case = await case_store.claim(session, admin, case.reference)
        await audit_store.record(session, "claim", actor=admin, case=case)
        await audit_store.record(session, "reply", actor=admin, case=case)
        await audit_store.record(session, "invite", actor=admin, detail="volunteer")
    async with sessions.begin() as session:
        assert (await erasure.erase_person(session, pseudonym)).cases == 1
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(AuditEvent.action, AuditEvent.case_reference, AuditEvent.at).order_by(
                    AuditEvent.id
                )
            )
        ).all()
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert [(action, reference) for action, reference, _ in rows] == [
        ("claim", None),
        ("reply", None),
        ("invite", None),
        ("erased", None),
    ]
    assert [at == day for _, _, at in rows] == [True, True, False, True]
    assert case.reference.encode() not in b"".join(
        str(v).encode() for _, _, v in await stored_times(engine)
    )


async def test_a_purged_case_leaves_no_reference_and_no_times_in_the_audit(
    sessions: Sessions, cipher: Cipher
) -> None:
    admin = await _admin(sessions, cipher)
    _, person = await _person(sessions, cipher)
    case = await _case(sessions, cipher, person)
    async with sessions.begin() as session:
        case = await case_store.claim(session, admin, case.reference)
        await audit_store.record(session, "claim", actor=admin, case=case)
        closed = await case_store.close(session, cipher, case, None)
        await audit_store.record(session, "close", actor=admin, case=closed)
    async with sessions.begin() as session:
        await session.execute(
            update(Case)
            .where(Case.id == case.id)
            .values(closed_at=datetime.now(UTC) - timedelta(days=100))
        )
    async with sessions.begin() as session:
        report = await retention.purge(session, closed_older_than=timedelta(days=90))
    assert report.cases == 1
    async with sessions() as session:
        events = (await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all()
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert [(e.action, e.case_reference, e.at) for e in events] == [
        ("claim", None, day),
        ("close", None, day),
        ("purged", None, day),
    ]


async def test_a_closed_case_is_kept_its_whole_retention(
    sessions: Sessions, cipher: Cipher
) -> None:
    """closed_at holds only the day, so the purge waits for the whole day to pass the cutoff."""
    _, person = await _person(sessions, cipher)
    case = await _case(sessions, cipher, person)
    async with sessions.begin() as session:
        await case_store.close(session, cipher, case, None)
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    async with sessions.begin() as session:  # exactly 90 days after that day's midnight
        report = await retention.purge(
            session, closed_older_than=timedelta(days=90), now=midnight + timedelta(days=90)
        )
    assert report.cases == 0  # closed perhaps at 23:59 that day: not yet 90 days
    async with sessions.begin() as session:
        report = await retention.purge(
            session, closed_older_than=timedelta(days=90), now=midnight + timedelta(days=91)
        )
    assert report.cases == 1


async def test_the_queue_keeps_its_order_within_a_minute(
    sessions: Sessions, cipher: Cipher
) -> None:
    _, person = await _person(sessions, cipher)
    made = [await _case(sessions, cipher, person) for _ in range(6)]
    minute = datetime.now(UTC).replace(second=0, microsecond=0)
    async with sessions.begin() as session:  # all in one minute, as in a surge
        await session.execute(update(Case).values(created_at=minute))
    async with sessions() as session:
        queue = await case_store.waiting_cases(session)
        assert [c.reference for c in queue] == [c.reference for c in made]
        latest = await case_store.latest_case_of_person(session, person.id)
        assert latest is not None
        assert latest.id == made[-1].id


async def test_a_person_s_newest_case_is_still_the_newest_after_closing(
    sessions: Sessions, cipher: Cipher
) -> None:
    """A closed case keeps only its day, which sorts before an open case's minute."""
    _, person = await _person(sessions, cipher)
    older = await _case(sessions, cipher, person)
    newer = await _case(sessions, cipher, person)
    async with sessions.begin() as session:
        await case_store.close(session, cipher, newer, None)
    async with sessions() as session:
        latest = await case_store.latest_case_of_person(session, person.id)
        assert latest is not None
        assert latest.id == newer.id
        open_ = await case_store.latest_open_case_of_person(session, person.id)
        assert open_ is not None
        assert open_.id == older.id


async def test_time_to_first_reply_outlives_closing(sessions: Sessions, cipher: Cipher) -> None:
    admin = await _admin(sessions, cipher)
    _, person = await _person(sessions, cipher)
    case = await _case(sessions, cipher, person)
    async with sessions.begin() as session:
        await session.execute(
            update(Case)
            .where(Case.id == case.id)
            .values(created_at=datetime.now(UTC) - timedelta(minutes=37))
        )
    async with sessions.begin() as session:
        case = await case_store.claim(session, admin, case.reference)
        await entry_store.add_entry(
            session, cipher, case, kind="volunteer", body="hi", author=admin
        )
    async with sessions() as session:
        before = (await stats.desk_stats(session)).median_first_reply
    assert before is not None
    # 37 minutes, or 38 if a minute turned between the two statements above
    assert timedelta(minutes=37) <= before <= timedelta(minutes=38)
    async with sessions.begin() as session:
        await case_store.close(session, cipher, case, None)
    async with sessions() as session:
        assert (await stats.desk_stats(session)).median_first_reply == before
