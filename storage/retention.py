"""Retention: what the database forgets by itself, and what admins should be told about.

Closed cases are crypto-shredded (see `storage.erasure`) once they have been closed for the
retention period; people left with nothing but a pseudonym and an encrypted chat id go with
them; spent invites (who invited whom) and relay links older than Telegram's 48 hours (which
tie volunteers to cases) go too. Blocked people are kept: the block must outlive their cases.

Like the other storage modules these functions never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.coarse import forget_trail
from storage.db import rowcount
from storage.erasure import shred_case, shred_persons
from storage.models import Base, Case, Invite, Person, RelayLink, utcnow

# Telegram lets a bot delete its messages for 48 hours; after that a relay link only tells
# who handled which case.
RELAY_LINK_LIFETIME = timedelta(hours=48)
OPEN_STATUSES = ("waiting", "taken")
_CLOSED_DAY = timedelta(days=1)


@dataclass(frozen=True)
class PurgeReport:
    """How many rows each part of `purge` removed (counts only: safe to log)."""

    cases: int
    persons: int
    invites: int
    relay_links: int


def _now(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise ValueError("now must be an aware UTC datetime")
    return now


def _check_positive(value: timedelta, what: str) -> None:
    if value <= timedelta(0):
        raise ValueError(f"{what} must be a positive duration")


def _nothing_refers_to_person() -> list[ColumnElement[bool]]:
    """A NOT EXISTS for every foreign key that points at a person (today: cases.person_id)."""
    persons = Person.__table__
    conditions: list[ColumnElement[bool]] = []
    for table in Base.metadata.sorted_tables:
        for foreign_key in table.foreign_keys:
            if foreign_key.column.table is persons:
                conditions.append(~exists().where(foreign_key.parent == foreign_key.column))
    return conditions


async def purge(
    session: AsyncSession, *, closed_older_than: timedelta, now: datetime | None = None
) -> PurgeReport:
    """Shred closed cases closed before `now - closed_older_than`, and clean up around them.

    Also deletes (shredding their keys) people who have no case left, are not blocked, and were
    last seen before the same cutoff; invites used or expired before the cutoff; and relay
    links older than 48 hours. A closed case's `closed_at` is kept to the day, so a case is
    shredded once the whole day it was closed on is past the cutoff: it is kept at least
    `closed_older_than`, and at most a day longer. Each shredded case leaves an audit event
    "purged" (no actor, no reference, to the day) and its trail loses its reference
    (`storage.coarse.forget_trail`).
    Open cases are never touched, however old. Safe to repeat.
    """
    _check_positive(closed_older_than, "closed_older_than")
    now = _now(now)
    cutoff = now - closed_older_than

    expired = (
        await session.scalars(
            select(Case)
            # closed_at is kept to the day: the whole day must be past the cutoff.
            .where(Case.status == "closed", Case.closed_at <= cutoff - _CLOSED_DAY)
            .order_by(Case.id)
            .with_for_update()
        )
    ).all()
    for case in expired:
        await forget_trail(session, case, "purged")
        await shred_case(session, case)

    forgotten = (
        await session.scalars(
            select(Person.id)
            .where(
                Person.blocked_at.is_(None),
                Person.last_seen_at < cutoff,
                *_nothing_refers_to_person(),
            )
            # PostgreSQL: someone writing again right now holds their row; they stay.
            .with_for_update(skip_locked=True)
        )
    ).all()
    await shred_persons(session, forgotten)

    invites = await session.execute(
        delete(Invite).where(
            or_(
                and_(Invite.used_at.is_not(None), Invite.used_at < cutoff),
                and_(Invite.used_at.is_(None), Invite.expires_at < cutoff),
            )
        )
    )
    links = await session.execute(
        delete(RelayLink).where(RelayLink.created_at < now - RELAY_LINK_LIFETIME)
    )
    await session.flush()
    return PurgeReport(
        cases=len(expired),
        persons=len(forgotten),
        invites=rowcount(invites),
        relay_links=rowcount(links),
    )


async def stale_open_cases(
    session: AsyncSession, *, untouched_for: timedelta, now: datetime | None = None
) -> Sequence[Case]:
    """Waiting or taken cases nothing has changed for `untouched_for` (least recent first).

    "Changed" is `updated_at`: claims, releases, closing and every new entry bump it; the
    desk's automatic re-announcements do not.
    """
    _check_positive(untouched_for, "untouched_for")
    cutoff = _now(now) - untouched_for
    query = (
        select(Case)
        .where(Case.status.in_(OPEN_STATUSES), Case.updated_at < cutoff)
        .order_by(Case.updated_at, Case.id)
    )
    return (await session.scalars(query)).all()
