"""How precisely the database remembers when things happened.

Times matched against Telegram's or a provider's traffic logs could tie a stored request to
an account, so no stored time is finer than a minute (`storage.models.UTCDateTime` cuts every
value on the way in). Once a case is closed nobody needs its times to the minute any more: the
case row and its entries, and its audit events, are cut to the day. When a case is erased or
purged, its audit events lose its reference as well, and keep only the day: the trail then
says what volunteers did on that day, not to which request or when exactly.

The order the minute no longer gives is kept as numbers: `Case.minute_order` (the queue,
among cases created in the same minute), `Case.person_order` (a person's newest case) and
`CaseEntry.seq` (a conversation's order).
Like the other storage modules these functions never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent, Case, CaseEntry, table_of, to_day, to_minute, today

_CASE_TIMES = (
    "created_at",
    "updated_at",
    "taken_at",
    "first_reply_at",
    "closed_at",
    "announced_at",
    "codeword_checked_at",
    "realerted_at",
)


async def next_minute_order(session: AsyncSession, created_at: datetime) -> int:
    """The queue position of a new case among the cases created in the same minute."""
    highest = await session.scalar(
        select(func.max(Case.minute_order)).where(Case.created_at == to_minute(created_at))
    )
    return int(highest or 0) + 1


async def next_person_order(session: AsyncSession, person_id: str) -> int:
    """The place of a new case among the person's cases (closed ones keep only their day)."""
    highest = await session.scalar(
        select(func.max(Case.person_order)).where(Case.person_id == person_id)
    )
    return int(highest or 0) + 1


async def next_entry_seq(session: AsyncSession, case_id: str) -> int:
    """The place of a new entry in its case's conversation."""
    highest = await session.scalar(
        select(func.max(CaseEntry.seq)).where(CaseEntry.case_id == case_id)
    )
    return int(highest or 0) + 1


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from `start` to `end`, both taken to the minute (never negative)."""
    return max(0, int((to_minute(end) - to_minute(start)).total_seconds()) // 60)


async def coarsen_closed_case(session: AsyncSession, case_id: str) -> None:
    """Cut a closed case's times, its entries' and its audit events' to the day."""
    columns = [getattr(Case, name) for name in _CASE_TIMES]
    row = (
        await session.execute(select(Case.reference, *columns).where(Case.id == case_id))
    ).first()
    if row is None:
        return
    reference, *times = row
    values: dict[str, object] = {
        name: None if moment is None else to_day(moment)
        for name, moment in zip(_CASE_TIMES, times, strict=True)
    }
    await session.execute(
        update(Case)
        .where(Case.id == case_id)
        .values(**values, minute_order=0)
        .execution_options(synchronize_session=False)
    )
    entries = (
        await session.execute(
            select(CaseEntry.id, CaseEntry.created_at).where(CaseEntry.case_id == case_id)
        )
    ).all()
    await _set_days(session, table_of(CaseEntry), "created_at", entries)
    events = (
        await session.execute(
            select(AuditEvent.id, AuditEvent.at).where(AuditEvent.case_reference == reference)
        )
    ).all()
    await _set_days(session, table_of(AuditEvent), "at", events)


async def forget_trail(session: AsyncSession, case: Case, action: str) -> None:
    """Before `case` is shredded: its audit events lose the reference and keep only the day,
    and one event `action` ("erased", "purged") is added the same way, with no actor."""
    events = (
        await session.execute(
            select(AuditEvent.id, AuditEvent.at).where(AuditEvent.case_reference == case.reference)
        )
    ).all()
    if events:
        table = table_of(AuditEvent)
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("event"))
            .values(at=bindparam("day"), case_reference=None),
            [{"event": event_id, "day": to_day(at)} for event_id, at in events],
        )
    session.add(AuditEvent(at=today(), action=action, actor_handle=None, case_reference=None))
    await session.flush()


async def _set_days(
    session: AsyncSession, table: Table, column: str, rows: Sequence[Row[Any, Any]]
) -> None:
    if not rows:
        return
    await session.execute(
        update(table).where(table.c.id == bindparam("row_id")).values({column: bindparam("day")}),
        [{"row_id": row_id, "day": to_day(moment)} for row_id, moment in rows],
    )
