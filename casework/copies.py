"""Which copies of a case to delete from which volunteer's chat, and which stay behind.

See `storage.copies` for what is recorded. A copy younger than 48 hours (by the record) is to
be deleted; one that is older, or that Telegram refuses to delete, is reported to the admins by
count, case reference and volunteer handle, never by content, so someone can ask the volunteer
to delete it by hand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import copies as store
from storage.crypto import Cipher
from storage.desk import volunteer_chat_id
from storage.models import Case, Volunteer


@dataclass(frozen=True)
class Left:
    """Copies of one case that stayed in one volunteer's chat."""

    reference: str
    handle: str
    count: int


@dataclass
class Removal:
    """The copies of one volunteer's chat: which ids to delete; what stays is counted."""

    chat_id: int
    handle: str
    deletable: list[store.Copy]
    kept: list[store.Copy] = field(default_factory=list)
    """Too old to delete (by the record), or refused by Telegram (added by the transport)."""


async def plan(
    sessions: async_sessionmaker[AsyncSession], cipher: Cipher, copies: Sequence[store.Copy]
) -> list[Removal]:
    """Group copies by the chat they are in; a volunteer whose row is gone has no chat id left,
    and nothing can be done for theirs."""
    async with sessions() as db:
        volunteers = {
            v.id: v
            for v in [await db.get(Volunteer, vid) for vid in {c.volunteer_id for c in copies}]
            if v is not None
        }
    by_volunteer: dict[str, list[store.Copy]] = {}
    for copy in copies:
        by_volunteer.setdefault(copy.volunteer_id, []).append(copy)
    removals = []
    for volunteer_id, theirs in by_volunteer.items():
        volunteer = volunteers.get(volunteer_id)
        if volunteer is None:
            continue
        removals.append(
            Removal(
                chat_id=volunteer_chat_id(cipher, volunteer),
                handle=volunteer.handle,
                deletable=[c for c in theirs if c.deletable()],
                kept=[c for c in theirs if not c.deletable()],
            )
        )
    return removals


def left_behind(removals: Iterable[Removal]) -> list[Left]:
    """What stayed, by case and volunteer: the admins' report."""
    left: Counter[tuple[str, str]] = Counter()
    for removal in removals:
        for copy in removal.kept:
            left[(copy.reference, removal.handle)] += 1
    return [Left(ref, handle, n) for (ref, handle), n in sorted(left.items())]


async def record_sent(
    sessions: async_sessionmaker[AsyncSession],
    *,
    volunteer_id: str,
    case_id: str,
    reference: str,
    message_ids: list[int],
) -> list[store.Copy]:
    """Record messages that showed a case in a volunteer's chat; if the volunteer was revoked
    meanwhile, their copies come back at once, to be deleted.

    Recorded even if the case was erased meanwhile: the next sweep then deletes it at once.
    """
    async with sessions() as db, db.begin():
        # The volunteer's row is locked first: a /revoke running at this moment either waits
        # for this record (and takes it) or has finished, and then the copies go at once.
        holder = await db.scalar(
            select(Volunteer).where(Volunteer.id == volunteer_id).with_for_update()
        )
        case = await db.get(Case, case_id)
        await store.record(
            db,
            case_id=case_id,
            reference=case.reference if case is not None else reference,
            volunteer_id=volunteer_id,
            message_ids=message_ids,
        )
        revoked = holder is None or holder.revoked_at is not None
        return list(await store.take_of_volunteer(db, volunteer_id)) if revoked else []


async def of_erased_cases(sessions: async_sessionmaker[AsyncSession]) -> list[store.Copy]:
    """After an erasure or a purge: the copies of every case that no longer exists."""
    async with sessions() as db, db.begin():
        return list(await store.take_of_erased_cases(db))


async def expire(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Drop message ids Telegram no longer lets the bot delete (the rows stay, to be reported)."""
    async with sessions() as db, db.begin():
        return await store.expire(db)
