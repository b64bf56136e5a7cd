"""Where case content was shown: message ids in volunteers' chats, to delete them later.

The case view (`/take`, `/case`), messages relayed from the person, and the volunteer's own
commands that carry conversation text (`/reply`, `/note`, `/close` with a reason) leave the
case's content in a volunteer's chat. Each such message is recorded here as (case, volunteer,
message id, minute sent), nothing else, and taken out again (`take_*`) when the case is erased
or purged or the volunteer is revoked, so the bot can delete it.

Telegram lets a bot delete a message of a private chat for 48 hours; `expire` then drops the
message id and the time, and the row stays only to say that a copy may remain (reported to the
admins when the case goes). The rows have no foreign key to the case: after an erasure they are
found as the copies of cases that no longer exist (`take_of_erased_cases`), whichever way the
case went (`/forget`, the retention purge, a crash between the two steps and a later round).

Like the other storage modules these functions never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import rowcount
from storage.models import Case, CaseCopy, utcnow

DELETE_WINDOW = timedelta(hours=48)  # Telegram: a bot deletes private-chat messages for 48 hours
_CHUNK = 500


@dataclass(frozen=True)
class Copy:
    """One recorded copy; `message_id` is None once it is too old to delete."""

    volunteer_id: str
    reference: str
    message_id: int | None
    sent_at: datetime | None

    def deletable(self, now: datetime | None = None) -> bool:
        if self.message_id is None or self.sent_at is None:
            return False
        return (now or utcnow()) - self.sent_at < DELETE_WINDOW


def _minute(moment: datetime) -> datetime:
    # Rounded down: the stored age is never less than the true one, so "younger than 48 hours"
    # by the record is true of the message.
    return moment.replace(second=0, microsecond=0)


async def record(
    session: AsyncSession,
    *,
    case_id: str,
    reference: str,
    volunteer_id: str,
    message_ids: Iterable[int],
    now: datetime | None = None,
) -> int:
    """Remember that these messages in the volunteer's chat show the case; returns how many."""
    sent = _minute(now or utcnow())
    rows = [
        CaseCopy(
            case_id=case_id,
            reference=reference,
            volunteer_id=volunteer_id,
            message_id=int(message_id),
            sent_at=sent,
        )
        for message_id in sorted(set(message_ids))
    ]
    session.add_all(rows)
    await session.flush()
    return len(rows)


async def _take(session: AsyncSession, *where: ColumnElement[bool]) -> list[Copy]:
    """Lock, read and delete the matching rows: each copy is handed out once, to one process.

    PostgreSQL: FOR UPDATE SKIP LOCKED (another process taking the same rows gets none of
    them); SQLite: the writing transaction holds the database's write lock from its start.
    """
    rows = (
        await session.execute(
            select(
                CaseCopy.id,
                CaseCopy.volunteer_id,
                CaseCopy.reference,
                CaseCopy.message_id,
                CaseCopy.sent_at,
            )
            .where(*where)
            .order_by(CaseCopy.id)
            .with_for_update(skip_locked=True)
        )
    ).all()
    ids = [row[0] for row in rows]
    for start in range(0, len(ids), _CHUNK):
        await session.execute(delete(CaseCopy).where(CaseCopy.id.in_(ids[start : start + _CHUNK])))
    await session.flush()
    return [Copy(row[1], row[2], row[3], row[4]) for row in rows]


async def take_of_erased_cases(session: AsyncSession) -> list[Copy]:
    """The copies of every case that no longer exists (erased or purged), removed from here."""
    return await _take(session, ~exists().where(Case.id == CaseCopy.case_id))


async def take_of_volunteer(session: AsyncSession, volunteer_id: str) -> list[Copy]:
    """Every copy in this volunteer's chat (on revocation), removed from here."""
    return await _take(session, CaseCopy.volunteer_id == volunteer_id)


async def expire(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Forget the message id and time of copies Telegram no longer lets the bot delete."""
    cutoff = (now or utcnow()) - DELETE_WINDOW
    result = await session.execute(
        update(CaseCopy)
        .where(CaseCopy.sent_at.is_not(None), CaseCopy.sent_at <= cutoff)
        .values(message_id=None, sent_at=None)
    )
    return rowcount(result)
