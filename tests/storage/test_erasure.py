"""Crypto-shredding on SQLite and PostgreSQL: an erased case or person leaves nothing to read."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import audit as audit_store
from storage import cases as case_store
from storage import entries as entry_store
from storage import persons, volunteers
from storage.cases import case_answers, cases_of_person, create_case, get_case_by_reference
from storage.crypto import Cipher
from storage.erasure import (
    ErasedCase,
    ErasureReport,
    RelayedCopy,
    checkpoint,
    erase_person,
    shred_case,
)
from storage.models import AuditEvent, Case, CaseEntry, Person, RelayLink, Volunteer, today
from storage.persons import find_person, person_chat_id, upsert_person
from tests.storage.raw import leftovers

Sessions = async_sessionmaker[AsyncSession]

ANSWERS = {"situation": "contract soldier", "needs": ["route"], "story": "x" * 5000}


async def _volunteer(sessions: Sessions, cipher: Cipher, name: str) -> Volunteer:
    async with sessions.begin() as session:
        return await volunteers.ensure_admin(
            session, cipher, pseudonym=f"v-{name}", chat_id=4000 + len(name), language="en"
        )


async def _person(sessions: Sessions, cipher: Cipher) -> tuple[str, Person]:
    pseudonym = secrets.token_hex(32)
    async with sessions.begin() as session:
        person = await upsert_person(
            session, cipher, pseudonym=pseudonym, chat_id=777000111, language="ru"
        )
    return pseudonym, person


async def _case(sessions: Sessions, cipher: Cipher, person: Person) -> Case:
    async with sessions.begin() as session:
        return await create_case(
            session, cipher, person=person, answers=ANSWERS, priority=1, category="c",
            language="ru",
        )  # fmt: skip


async def _secrets_of(sessions: Sessions, cases: list[Case], person: Person | None) -> list[bytes]:
    """Every wrapped key and ciphertext stored for these cases (and the person), as stored."""
    out: list[bytes] = []
    async with sessions() as session:
        for case in cases:
            row = await session.get_one(Case, case.id, populate_existing=True)
            out += [row.key_blob, row.answers_enc]
            if row.close_reason_enc is not None:
                out.append(row.close_reason_enc)
            entries = await session.scalars(select(CaseEntry).where(CaseEntry.case_id == case.id))
            out += [entry.body_enc for entry in entries]
        if person is not None:
            stored = await session.get_one(Person, person.id, populate_existing=True)
            out += [stored.key_blob, stored.chat_enc, stored.pseudonym.encode()]
    return out


async def test_shred_case_leaves_no_key_or_ciphertext_anywhere(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    volunteer = await _volunteer(sessions, cipher, "holder")
    _, person = await _person(sessions, cipher)
    doomed, kept = await _case(sessions, cipher, person), await _case(sessions, cipher, person)
    async with sessions.begin() as session:
        doomed = await case_store.claim(session, volunteer, doomed.reference)
        await entry_store.add_entry(
            session, cipher, doomed, kind="person", body="help " * 900, author=None
        )
        await entry_store.add_entry(
            session, cipher, doomed, kind="note", body="n", author=volunteer
        )
        await entry_store.link_relay(session, volunteer=volunteer, message_id=41, case=doomed)
        await audit_store.record(session, "claim", actor=volunteer, case=doomed)
        await case_store.close(session, cipher, doomed, "moved to a closed channel")
    doomed_secrets = await _secrets_of(sessions, [doomed], None)
    kept_secrets = await _secrets_of(sessions, [kept], person)
    assert len(doomed_secrets) == 5
    # The scan finds what is there (so "not found" below means something).
    assert await leftovers(engine, doomed_secrets + kept_secrets) == list(range(10))

    async with sessions.begin() as session:
        await shred_case(session, doomed)
    async with sessions.begin() as session:
        await shred_case(session, doomed)  # already gone: nothing happens

    assert await leftovers(engine, doomed_secrets) == []
    assert await leftovers(engine, kept_secrets) == list(range(len(kept_secrets)))
    async with sessions() as session:
        assert await session.get(Case, doomed.id) is None
        assert (await session.scalars(select(CaseEntry))).all() == []
        assert (await session.scalars(select(RelayLink))).all() == []
        assert await entry_store.case_for_relay(session, volunteer=volunteer, message_id=41) is None
        assert [e.action for e in await audit_store.trail(session, doomed.reference)] == ["claim"]
        survivor = await session.get_one(Case, kept.id)
        assert case_answers(cipher, survivor) == ANSWERS
        assert (await session.get_one(Person, person.id)).id == person.id


async def test_shred_case_destroys_the_key_before_deleting_the_row(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    _, person = await _person(sessions, cipher)
    case = await _case(sessions, cipher, person)
    statements: list[str] = []

    def remember(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split()).upper())

    event.listen(engine.sync_engine, "before_cursor_execute", remember)
    try:
        async with sessions.begin() as session:
            await shred_case(session, case)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", remember)
    overwrite = next(n for n, s in enumerate(statements) if s.startswith("UPDATE CASES SET"))
    deletion = next(n for n, s in enumerate(statements) if s.startswith("DELETE FROM CASES"))
    assert "KEY_BLOB" in statements[overwrite]
    assert overwrite < deletion


async def test_erase_person_reports_what_volunteers_saw_and_shreds_everything(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    holder = await _volunteer(sessions, cipher, "holder")
    colleague = await _volunteer(sessions, cipher, "colleague")
    pseudonym, person = await _person(sessions, cipher)
    _, other = await _person(sessions, cipher)
    taken, closed, waiting, quiet = [await _case(sessions, cipher, person) for _ in range(4)]
    unrelated = await _case(sessions, cipher, other)
    async with sessions.begin() as session:
        taken = await case_store.claim(session, holder, taken.reference)
        await entry_store.add_entry(
            session, cipher, taken, kind="person", body="where?", author=None
        )
        await entry_store.link_relay(session, volunteer=holder, message_id=11, case=taken)
        await entry_store.link_relay(session, volunteer=colleague, message_id=12, case=taken)
        await entry_store.add_entry(
            session, cipher, taken, kind="volunteer", body="hi", author=holder
        )
        closed = await case_store.claim(session, colleague, closed.reference)
        await entry_store.link_relay(session, volunteer=colleague, message_id=21, case=closed)
        await case_store.close(session, cipher, closed, "done")
        # released back to the queue: the relay link of whoever held it is gone
        waiting = await case_store.claim(session, colleague, waiting.reference)
        await entry_store.link_relay(session, volunteer=colleague, message_id=31, case=waiting)
        await case_store.release(session, waiting)
        await entry_store.link_relay(session, volunteer=holder, message_id=51, case=unrelated)
    secrets_before = await _secrets_of(sessions, [taken, closed, waiting, quiet], person)
    unrelated_secrets = await _secrets_of(sessions, [unrelated], other)

    async with sessions.begin() as session:
        report = await erase_person(session, pseudonym)

    assert isinstance(report, ErasureReport)
    assert (report.found, report.cases) == (True, 4)
    by_reference = {item.reference: item for item in report.affected}
    assert set(by_reference) == {taken.reference, closed.reference}
    told = by_reference[taken.reference]
    assert isinstance(told, ErasedCase)
    assert told.holder is not None
    assert told.holder.id == holder.id
    assert volunteers.volunteer_chat_id(cipher, told.holder) == 4000 + len("holder")
    assert [(copy.volunteer.id, copy.message_id) for copy in told.relayed] == sorted(
        [(holder.id, 11), (colleague.id, 12)]
    )
    assert all(isinstance(copy, RelayedCopy) for copy in told.relayed)
    volunteer, message_id = told.relayed[0]  # unpacks as (volunteer, message_id)
    assert isinstance(volunteer, Volunteer)
    assert isinstance(message_id, int)
    # closed: nobody holds it any more, but the relayed copy can still be deleted
    assert by_reference[closed.reference].holder is None
    assert [(c.volunteer.id, c.message_id) for c in by_reference[closed.reference].relayed] == [
        (colleague.id, 21)
    ]
    # the repr is safe to log: counts, no references, no message ids
    assert taken.reference not in repr(report)
    assert "11" not in repr(report)

    assert await leftovers(engine, secrets_before) == []
    assert await leftovers(engine, unrelated_secrets) == list(range(len(unrelated_secrets)))
    async with sessions() as session:
        assert await find_person(session, pseudonym) is None
        assert await cases_of_person(session, person.id) == []
        for case in (taken, closed, waiting, quiet):
            assert await session.get(Case, case.id) is None
            assert await audit_store.trail(session, case.reference) == []  # the trail is unlinked
        links = (await session.scalars(select(RelayLink))).all()
        assert [(link.message_id, link.case_id) for link in links] == [(51, unrelated.id)]
        survivor = await find_person(session, other.pseudonym)
        assert survivor is not None
        assert person_chat_id(cipher, survivor) == 777000111
        assert case_answers(cipher, await session.get_one(Case, unrelated.id)) == ANSWERS
        audit = (await session.scalars(select(AuditEvent))).all()
    assert not any(person.id in (event.detail or "") for event in audit)


async def test_erasing_someone_unknown_or_twice_is_harmless(
    sessions: Sessions, cipher: Cipher
) -> None:
    pseudonym, person = await _person(sessions, cipher)
    await _case(sessions, cipher, person)
    async with sessions.begin() as session:
        assert await erase_person(session, "never-seen") == ErasureReport(found=False, cases=0)
        first = await erase_person(session, pseudonym)
        second = await erase_person(session, pseudonym)
    assert (first.found, first.cases, first.affected) == (True, 1, ())
    assert (second.found, second.cases) == (False, 0)
    async with sessions.begin() as session:
        assert (await erase_person(session, pseudonym)).cases == 0


async def test_erasure_is_undone_by_a_rollback(sessions: Sessions, cipher: Cipher) -> None:
    """The caller owns the transaction: nothing is committed behind its back."""
    pseudonym, person = await _person(sessions, cipher)
    case = await _case(sessions, cipher, person)
    async with sessions() as session:
        await erase_person(session, pseudonym)
        assert await find_person(session, pseudonym) is None
        await session.rollback()
    async with sessions() as session:
        stored = await find_person(session, pseudonym)
        assert stored is not None
        assert person_chat_id(cipher, stored) == 777000111
        assert case_answers(cipher, await session.get_one(Case, case.id)) == ANSWERS


async def test_a_blocked_person_can_still_be_erased(sessions: Sessions, cipher: Cipher) -> None:
    pseudonym, person = await _person(sessions, cipher)
    case = await _case(sessions, cipher, person)
    async with sessions.begin() as session:
        await persons.block_person_of_case(session, case)
    async with sessions.begin() as session:
        assert (await erase_person(session, pseudonym)).cases == 1
    async with sessions() as session:
        assert await find_person(session, pseudonym) is None


async def test_checkpoint_empties_the_sqlite_log(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    await _person(sessions, cipher)
    assert await checkpoint(engine) is True
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        assert database
        assert _wal_size(database) == 0


def _wal_size(database: str) -> int:
    wal = Path(database + "-wal")
    return wal.stat().st_size if wal.exists() else 0


@pytest.mark.parametrize("closed", [False, True])
async def test_nothing_of_an_erased_case_outlives_it_in_the_audit(
    sessions: Sessions, cipher: Cipher, closed: bool
) -> None:
    pseudonym, person = await _person(sessions, cipher)
    case = await _case(sessions, cipher, person)
    if closed:
        async with sessions.begin() as session:
            await case_store.close(session, cipher, case, None)
    async with sessions.begin() as session:
        assert (await erase_person(session, pseudonym)).cases == 1
    async with sessions() as session:
        assert await get_case_by_reference(session, case.reference) is None
        assert await audit_store.trail(session, case.reference) == []
        events = (await session.scalars(select(AuditEvent))).all()
    # One event says a case was erased that day: not which one, nor when exactly.
    assert [(e.action, e.actor_handle, e.detail, e.case_reference) for e in events] == [
        ("erased", None, None, None)
    ]
    assert events[0].at == today()


async def test_shred_case_also_destroys_the_keys_of_sealed_mode(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    """The answers' and entries' own data keys (sealed mode) are overwritten before the rows
    are deleted, like `key_blob`: a deleted row's old bytes (PostgreSQL's dead tuples, its WAL)
    then hold noise, not a key that the desk's private key would open."""
    from sqlalchemy import update

    _, person = await _person(sessions, cipher)
    case = await _case(sessions, cipher, person)
    async with sessions.begin() as session:
        entry = await entry_store.add_entry(
            session, cipher, case, kind="person", body="sealed follow-up", author=None
        )
        _, answers_blob = cipher.new_record(case_store.answers_record(case.id))
        _, entry_blob = cipher.new_record(entry_store.entry_record(entry.id))
        await session.execute(
            update(Case).where(Case.id == case.id).values(answers_key_blob=answers_blob)
        )
        await session.execute(
            update(CaseEntry).where(CaseEntry.id == entry.id).values(key_blob=entry_blob)
        )
    assert await leftovers(engine, [answers_blob, entry_blob]) == [0, 1]
    statements: list[str] = []

    def remember(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split()).upper())

    event.listen(engine.sync_engine, "before_cursor_execute", remember)
    try:
        async with sessions.begin() as session:
            await shred_case(session, case)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", remember)

    def first(prefix: str) -> int:
        return next(n for n, s in enumerate(statements) if s.startswith(prefix))

    assert "ANSWERS_KEY_BLOB" in statements[first("UPDATE CASES SET")]
    assert "KEY_BLOB" in statements[first("UPDATE CASE_ENTRIES SET")]
    assert first("UPDATE CASES SET") < first("DELETE FROM CASES")
    assert first("UPDATE CASE_ENTRIES SET") < first("DELETE FROM CASE_ENTRIES")
    assert await leftovers(engine, [answers_blob, entry_blob]) == []
