"""The record of case copies in volunteers' chats, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import copies
from storage import volunteers as volunteer_store
from storage.cases import create_case
from storage.crypto import Cipher
from storage.erasure import erase_person
from storage.models import CaseCopy, utcnow
from storage.persons import upsert_person

Sessions = async_sessionmaker[AsyncSession]


async def _setup(sessions: Sessions, cipher: Cipher) -> tuple[str, str, str, str]:
    """A volunteer and two cases of one person; returns (volunteer, pseudonym, case, other)."""
    pseudonym = secrets.token_hex(32)
    async with sessions.begin() as db:
        volunteer = await volunteer_store.ensure_admin(
            db, cipher, pseudonym="v-copies", chat_id=4242, language="en"
        )
        person = await upsert_person(db, cipher, pseudonym=pseudonym, chat_id=1, language="en")
        cases = []
        for _ in range(2):
            cases.append(await create_case(db, cipher, person=person, answers={"a": "b"},
                                           priority=2, category="c", language="en"))  # fmt: skip
        other = await upsert_person(db, cipher, pseudonym="someone-else", chat_id=2, language="en")
        kept = await create_case(db, cipher, person=other, answers={"a": "b"}, priority=2,
                                 category="c", language="en")  # fmt: skip
        for case in [*cases, kept]:
            await copies.record(db, case_id=case.id, reference=case.reference,
                                volunteer_id=volunteer.id, message_ids=[10, 11])  # fmt: skip
    return volunteer.id, pseudonym, cases[0].reference, kept.reference


async def test_erased_cases_hand_out_their_copies_once(sessions: Sessions, cipher: Cipher) -> None:
    volunteer, pseudonym, _, kept = await _setup(sessions, cipher)
    async with sessions.begin() as db:
        assert await copies.take_of_erased_cases(db) == []
        await erase_person(db, pseudonym)
    async with sessions.begin() as db:
        taken = await copies.take_of_erased_cases(db)
    assert len(taken) == 4
    assert {c.volunteer_id for c in taken} == {volunteer}
    assert all(c.deletable() for c in taken)
    assert kept not in {c.reference for c in taken}
    async with sessions.begin() as db:
        assert await copies.take_of_erased_cases(db) == []
        left = (await db.scalars(select(CaseCopy.reference))).all()
    assert left == [kept, kept]


async def test_copies_past_48_hours_keep_no_message_id_or_time(
    sessions: Sessions, cipher: Cipher
) -> None:
    volunteer, _, _, _ = await _setup(sessions, cipher)
    async with sessions.begin() as db:
        assert await copies.expire(db, now=utcnow() + timedelta(hours=47)) == 0
        assert await copies.expire(db, now=utcnow() + timedelta(hours=48, minutes=1)) == 6
    async with sessions.begin() as db:
        rows = (await db.execute(select(CaseCopy.message_id, CaseCopy.sent_at))).all()
        assert rows == [(None, None)] * 6
        taken = await copies.take_of_volunteer(db, volunteer)
    assert len(taken) == 6
    assert not any(c.deletable() for c in taken)


async def test_times_are_kept_to_the_minute(sessions: Sessions, cipher: Cipher) -> None:
    await _setup(sessions, cipher)
    async with sessions() as db:
        times = (await db.scalars(select(CaseCopy.sent_at))).all()
    assert times
    assert all(t is not None and t.second == 0 and t.microsecond == 0 for t in times)
