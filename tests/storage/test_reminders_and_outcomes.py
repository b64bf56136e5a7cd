"""Reminders and outcomes on SQLite and PostgreSQL: a reminder is sealed under its case's key,
taken once, and goes with its case (erasure, the retention purge), its release and its
volunteer's revocation; outcome counts are aggregates with small counts hidden."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import cases as case_store
from storage import reminders as reminder_store
from storage import retention, rotation
from storage import stats as stats_store
from storage import volunteers as volunteer_store
from storage.crypto import Cipher, MasterKey, MasterKeyWrapper
from storage.erasure import erase_person
from storage.models import Case, Person, Reminder, Volunteer
from tests.storage.test_desk import MARKER, Sessions, _cases, _raw_rows, _volunteers


async def _reminders(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Reminder)) or 0)


async def _held_with_reminder(
    sessions: Sessions, cipher: Cipher, volunteer: Volunteer | None = None
) -> tuple[Volunteer, Case]:
    if volunteer is None:
        (volunteer,) = await _volunteers(sessions, cipher, 1)
    (case,) = await _cases(sessions, cipher, [2])
    async with sessions.begin() as session:
        held = await case_store.claim(session, volunteer, case.reference)
        soon = datetime.now(UTC) + timedelta(days=2)
        await reminder_store.add(session, cipher, held, volunteer, soon, f"call back {MARKER}")
    return volunteer, held


async def test_a_reminder_is_ciphertext_and_taken_once_when_due(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    volunteer, case = await _held_with_reminder(sessions, cipher)
    for value in await _raw_rows(engine, "reminders"):
        assert MARKER.encode() not in value
    async with sessions.begin() as session:
        assert await reminder_store.take_due(session) == []  # not due yet
        (pending,) = await reminder_store.pending_of(session, volunteer)
        assert reminder_store.reminder_text(cipher, pending[1], pending[0]) == (
            f"call back {MARKER}"
        )
    later = datetime.now(UTC) + timedelta(days=3)
    async with sessions.begin() as session:
        (due,) = await reminder_store.take_due(session, later)
        assert due[1].reference == case.reference
        assert reminder_store.reminder_text(cipher, due[1], due[0]) == f"call back {MARKER}"
    async with sessions.begin() as session:
        assert await reminder_store.take_due(session, later) == []  # sent once
    assert await _reminders(sessions) == 0


async def test_a_reminder_goes_with_release_and_revocation(
    sessions: Sessions, cipher: Cipher
) -> None:
    volunteer, case = await _held_with_reminder(sessions, cipher)
    async with sessions.begin() as session:
        await case_store.release(session, await session.get_one(Case, case.id))
    assert await _reminders(sessions) == 0

    async with sessions.begin() as session:
        held = await case_store.claim(session, volunteer, case.reference)
        await reminder_store.add(session, cipher, held, volunteer, datetime.now(UTC), "x")
    assert await _reminders(sessions) == 1
    async with sessions.begin() as session:
        await volunteer_store.revoke(session, volunteer.handle)
    assert await _reminders(sessions) == 0


async def test_a_reminder_whose_case_changed_hands_is_dropped_unsent(
    sessions: Sessions, cipher: Cipher
) -> None:
    _, case = await _held_with_reminder(sessions, cipher)
    async with sessions.begin() as session:
        # Handed to nobody in particular (as a transfer or an assignment would do).
        await session.execute(update(Case).where(Case.id == case.id).values(volunteer_id=None))
    async with sessions.begin() as session:
        assert await reminder_store.take_due(session, datetime.now(UTC) + timedelta(days=3)) == []
    assert await _reminders(sessions) == 0


async def test_a_reminder_goes_with_its_case_on_erasure_and_purge(
    sessions: Sessions, cipher: Cipher
) -> None:
    volunteer, case = await _held_with_reminder(sessions, cipher)
    async with sessions.begin() as session:
        row = await session.get_one(Case, case.id)
        pseudonym = (await session.get_one(Person, row.person_id)).pseudonym
        await erase_person(session, pseudonym)
    assert await _reminders(sessions) == 0

    _, case = await _held_with_reminder(sessions, cipher, volunteer)
    async with sessions.begin() as session:
        await case_store.close(session, cipher, await session.get_one(Case, case.id), None)
    async with sessions.begin() as session:
        report = await retention.purge(
            session, closed_older_than=timedelta(days=1), now=datetime.now(UTC) + timedelta(3)
        )
    assert report.cases == 1
    assert await _reminders(sessions) == 0


async def test_counts_by_month_team_and_outcome_hide_counts_under_five(
    sessions: Sessions, cipher: Cipher
) -> None:
    cases = await _cases(sessions, cipher, [2] * 8)
    september = datetime(2026, 9, 15, 12, 0, tzinfo=UTC)
    async with sessions.begin() as session:
        for number, case in enumerate(cases):
            row = await session.get_one(Case, case.id)
            row.team = "legal" if number < 7 else None
            if number < 6:
                await case_store.close(session, cipher, row, None, "left_russia")
        await session.flush()
        first = await session.get_one(Case, cases[0].id)
        first.created_at = september
    async with sessions() as session:
        by_outcome = await stats_store.counts_by(session, ("team", "outcome"))
        by_month = await stats_store.counts_by(session, ("month", "outcome"))
        recent = await stats_store.counts_by(
            session, ("outcome",), since=datetime.now(UTC) - timedelta(days=30)
        )
    assert by_outcome == {("legal", "left_russia"): 6, ("legal", "open"): 1, ("none", "open"): 1}
    this_month = f"{cases[1].created_at.year:04d}-{cases[1].created_at.month:02d}"
    assert by_month[("2026-09", "left_russia")] == 1
    assert by_month[(this_month, "left_russia")] == 5
    assert recent == {("left_russia",): 5, ("open",): 2}
    assert [stats_store.shown(n) for n in (0, 4, 5, 12)] == ["<5", "<5", "5", "12"]


async def _sealed(sessions: Sessions) -> bytes:
    async with sessions() as session:
        return bytes((await session.scalars(select(Reminder.text_enc))).one())


async def test_a_reminder_still_opens_after_its_case_is_rekeyed(sessions: Sessions) -> None:
    """A full re-key gives the case a new data key: its reminder is sealed anew under it, so
    it still reaches its holder, and the old ciphertext is gone."""
    old, new = MasterKey("A", secrets.token_bytes(32)), MasterKey("B", secrets.token_bytes(32))
    before = Cipher(MasterKeyWrapper([old]))
    volunteer, case = await _held_with_reminder(sessions, before)
    sealed_before = await _sealed(sessions)
    after = Cipher(MasterKeyWrapper([new, old]))
    report = await rotation.rekey(sessions, after)
    assert report.busy == 0
    sealed_after = await _sealed(sessions)
    assert sealed_after != sealed_before
    async with sessions() as session:
        ((reminder, held),) = await reminder_store.pending_of(session, volunteer)
        assert reminder_store.reminder_text(after, held, reminder) == f"call back {MARKER}"
    assert held.reference == case.reference
