"""Aggregate figures about the desk (counts only, for admins and public reports)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.cases import _not_held_back, held_back_cases
from storage.models import CASE_STATUSES, Case, Volunteer, utcnow


@dataclass(frozen=True)
class DeskStats:
    waiting: int
    taken: int
    closed: int
    median_first_reply: timedelta | None
    oldest_waiting_age: timedelta | None
    active_volunteers: int


async def category_counts(session: AsyncSession) -> dict[str, int]:
    """How many cases exist per category (aggregate only, for public reports)."""
    rows = await session.execute(select(Case.category, func.count()).group_by(Case.category))
    return {str(category): int(count) for category, count in rows.all()}


async def desk_stats(session: AsyncSession) -> DeskStats:
    """Counts by status, median time to first reply, age of the oldest waiting case, volunteers."""
    counts = dict.fromkeys(CASE_STATUSES, 0)
    rows = await session.execute(select(Case.status, func.count()).group_by(Case.status))
    for status, count in rows.all():
        counts[status] = int(count)
    # Requests held back by a silent block are not waiting for the desk.
    counts["waiting"] -= len(await held_back_cases(session))
    replied = await session.scalars(
        select(Case.first_reply_minutes).where(Case.first_reply_minutes.is_not(None))
    )
    delays = [minutes for minutes in replied.all() if minutes is not None]
    oldest: datetime | None = await session.scalar(
        select(Case.created_at)
        .where(Case.status == "waiting", _not_held_back())
        .order_by(Case.created_at)
        .limit(1)
    )
    volunteers = await session.scalar(
        select(func.count()).select_from(Volunteer).where(Volunteer.revoked_at.is_(None))
    )
    return DeskStats(
        waiting=counts["waiting"],
        taken=counts["taken"],
        closed=counts["closed"],
        median_first_reply=timedelta(minutes=statistics.median(delays)) if delays else None,
        oldest_waiting_age=None if oldest is None else utcnow() - oldest,
        active_volunteers=int(volunteers or 0),
    )
