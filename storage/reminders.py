"""Reminders a volunteer sets on a case they hold (`/remind`): the text sealed under the case's
key, the row deleted when it is sent (at most once), or with its case, or its volunteer.

Functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.cases import sealed_case, sealed_case_to_write
from storage.crypto import Cipher
from storage.db import rowcount
from storage.models import Case, Reminder, Volunteer, new_id, table_of, utcnow


def reminder_field(reminder_id: str) -> str:
    """The field a reminder's text is sealed as, under its case's record."""
    return f"reminder:{reminder_id}"


async def add(
    session: AsyncSession, cipher: Cipher, case: Case, volunteer: Volunteer, due: datetime,
    text: str,
) -> Reminder:  # fmt: skip
    sealed = await sealed_case_to_write(session, cipher, case)
    reminder_id = new_id()
    reminder = Reminder(
        id=reminder_id,
        case_id=case.id,
        volunteer_id=volunteer.id,
        due_at=due,
        text_enc=sealed.seal_text(reminder_field(reminder_id), text),
    )
    session.add(reminder)
    await session.flush()
    return reminder


def reminder_text(cipher: Cipher, case: Case, reminder: Reminder) -> str:
    return sealed_case(cipher, case).open_text(reminder_field(reminder.id), reminder.text_enc)


async def pending_of(
    session: AsyncSession, volunteer: Volunteer
) -> Sequence[tuple[Reminder, Case]]:
    """A volunteer's reminders not sent yet, soonest first, with their cases."""
    rows = await session.execute(
        select(Reminder, Case)
        .join(Case, Case.id == Reminder.case_id)
        .where(Reminder.volunteer_id == volunteer.id)
        .order_by(Reminder.due_at, Case.reference)
    )
    return [(reminder, case) for reminder, case in rows.all()]


async def take_due(
    session: AsyncSession, now: datetime | None = None
) -> list[tuple[Reminder, Case, Volunteer]]:
    """Every reminder due by `now`, deleted here: sent at most once, even by two processes
    (PostgreSQL: rows another round holds are skipped). Returned only while its volunteer is
    active and still holds (or last held, once closed) the case; the others are just dropped."""
    due = (
        await session.scalars(
            select(Reminder)
            .where(Reminder.due_at <= (now or utcnow()))
            .order_by(Reminder.due_at, Reminder.id)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not due:
        return []
    out: list[tuple[Reminder, Case, Volunteer]] = []
    for reminder in due:
        case = await session.get(Case, reminder.case_id)
        volunteer = await session.get(Volunteer, reminder.volunteer_id)
        if case is None or volunteer is None or volunteer.revoked_at is not None:
            continue
        if case.volunteer_id == volunteer.id:
            out.append((reminder, case, volunteer))
    await session.execute(delete(Reminder).where(Reminder.id.in_([r.id for r in due])))
    return out


async def drop_for_case(session: AsyncSession, case: Case) -> int:
    """A released case's reminders go: they were its holder's, and nobody holds it now."""
    result = await session.execute(delete(Reminder).where(Reminder.case_id == case.id))
    return int(rowcount(result))


async def drop_for_volunteer(session: AsyncSession, volunteer: Volunteer) -> None:
    """A revoked volunteer's reminders go with their access."""
    await session.execute(delete(Reminder).where(Reminder.volunteer_id == volunteer.id))


async def shred_for_case(session: AsyncSession, case_id: str) -> None:
    """Overwrite the sealed texts with noise, then delete the rows (see `storage.erasure`)."""
    reminders = table_of(Reminder)
    sizes = (
        await session.execute(
            select(reminders.c.id, func.length(reminders.c.text_enc)).where(
                reminders.c.case_id == case_id
            )
        )
    ).all()
    if sizes:
        await session.execute(
            update(reminders)
            .where(reminders.c.id == bindparam("reminder"))
            .values(text_enc=bindparam("noise")),
            [{"reminder": rid, "noise": secrets.token_bytes(length)} for rid, length in sizes],
        )
        await session.flush()
    await session.execute(delete(Reminder).where(Reminder.case_id == case_id))
