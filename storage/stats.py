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


GROUPINGS = ("month", "team", "outcome")
"""What `counts_by` groups cases by: the month a case was opened (UTC, "2026-12"), its team,
and its outcome ("open" while not closed, "none" if closed without one)."""

SMALL = 5
"""Counts below this are shown as "<5": a small group can point at one person."""


def shown(count: int) -> str:
    """A count as a public report may print it."""
    return f"<{SMALL}" if count < SMALL else str(count)


def _outcome(status: str, outcome: str | None) -> str:
    if status != "closed":
        return "open"
    return outcome or "none"


async def counts_by(
    session: AsyncSession, by: tuple[str, ...], *, since: datetime | None = None
) -> dict[tuple[str, ...], int]:
    """How many cases there are per combination of `by` (a subset of GROUPINGS, in that
    order of the caller's choosing), opened since `since` if given. Counts only: no reference,
    no time finer than the month. Requests of silently blocked people are left out; cases the
    retention purge has shredded are gone, so counts cover what the database still holds."""
    unknown = [part for part in by if part not in GROUPINGS]
    if unknown or not by:
        raise ValueError("group by one or more of " + ", ".join(GROUPINGS))
    query = select(Case.created_at, Case.team, Case.status, Case.outcome).where(_not_held_back())
    if since is not None:
        query = query.where(Case.created_at >= since)
    counts: dict[tuple[str, ...], int] = {}
    for created_at, team, status, outcome in (await session.execute(query)).all():
        values = {
            "month": f"{created_at.year:04d}-{created_at.month:02d}",
            "team": team or "none",
            "outcome": _outcome(status, outcome),
        }
        key = tuple(values[part] for part in by)
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


async def first_reply_by_team(
    session: AsyncSession, *, since: datetime
) -> dict[str, tuple[int, timedelta | None]]:
    """Per team ("none": stored before teams): how many cases opened since `since` had a first
    reply, and the median time to it (None when fewer than SMALL: too few to publish)."""
    rows = await session.execute(
        select(Case.team, Case.first_reply_minutes).where(
            _not_held_back(), Case.created_at >= since, Case.first_reply_minutes.is_not(None)
        )
    )
    delays: dict[str, list[int]] = {}
    for team, minutes in rows.all():
        if minutes is not None:
            delays.setdefault(team or "none", []).append(int(minutes))
    return {
        team: (
            len(values),
            timedelta(minutes=statistics.median(values)) if len(values) >= SMALL else None,
        )
        for team, values in sorted(delays.items())
    }
