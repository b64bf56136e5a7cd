"""Sealed mode: the intake side's signals to the desk (`DeskSignal` rows), and taking them.

A signal says only what happened and to which case (ids, a reference): the desk reads the rest
with its own key. The desk takes them oldest first and deletes each once it has acted on it and
sent what it asked for. Functions never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import wakeups
from storage.crypto import Cipher, DecryptionError
from storage.models import DeskSignal, this_minute

NEW_CASE = "new-case"
"""A case was submitted (or reopened by its person): announce it to its team."""
ANSWERED_MORE = "answered-more"
"""The rest of the answers to a case sent early: its holder hears of it."""
PERSON_WROTE = "person-wrote"
"""A message in the person's open case (`entry_id`): to its holder, or its team is alerted."""
PERSON_BACK = "person-back"
"""The person wrote: replies held until then (or a codeword question) go to them now."""
REOPENED = "reopened"
"""The person reopened a closed case: its last holder (`volunteer_id`) hears of it."""
ERASED = "erased"
"""The person erased a case (/forget): its holder hears, its copies in chats are deleted."""
CAP_REACHED = "cap-reached"
"""The hourly cap of new cases was reached (`detail`: the cap): the admins hear of it."""
PERSON_EDITED = "person-edited"
"""The person edited a message (`entry_id`) of their open case: its holder sees the new text."""
CODEWORD_ANSWER = "codeword-answer"
"""The person answered a codeword check (`sealed`: the answer, sealed to the desk)."""

WEB_READ = "web-read"
"""The person read new replies in their web thread: its holder (`volunteer_id`) hears of it."""

KINDS = (NEW_CASE, ANSWERED_MORE, PERSON_WROTE, PERSON_BACK, REOPENED, ERASED, CAP_REACHED,
         PERSON_EDITED, CODEWORD_ANSWER, WEB_READ)  # fmt: skip


@dataclass(frozen=True)
class Signal:
    id: int
    kind: str
    case_id: str | None
    entry_id: str | None
    reference: str | None
    volunteer_id: str | None
    detail: str | None
    sealed: bytes | None


async def add(
    session: AsyncSession,
    kind: str,
    *,
    case_id: str | None = None,
    entry_id: str | None = None,
    reference: str | None = None,
    volunteer_id: str | None = None,
    detail: str | None = None,
    sealed: bytes | None = None,
) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown signal {kind!r}")
    session.add(
        DeskSignal(
            kind=kind,
            case_id=case_id,
            entry_id=entry_id,
            reference=reference,
            volunteer_id=volunteer_id,
            detail=detail,
            sealed=sealed,
            created_at=this_minute(),
        )
    )
    await session.flush()
    await wakeups.notify(session, wakeups.SIGNALS)


async def oldest(session: AsyncSession, limit: int = 50) -> list[Signal]:
    """The oldest signals, in the order they were made."""
    rows = (await session.scalars(select(DeskSignal).order_by(DeskSignal.id).limit(limit))).all()
    return [
        Signal(r.id, r.kind, r.case_id, r.entry_id, r.reference, r.volunteer_id, r.detail, r.sealed)
        for r in rows
    ]


async def done(session: AsyncSession, signal_ids: Sequence[int]) -> None:
    if signal_ids:
        await session.execute(delete(DeskSignal).where(DeskSignal.id.in_(signal_ids)))


async def waiting(session: AsyncSession) -> int:
    """How many signals the desk has not acted on (for /health and the tests)."""
    return int(await session.scalar(select(func.count()).select_from(DeskSignal)) or 0)


_SEALED_FIELD = "text"


def seal_for_desk(cipher: Cipher, record: str, text: str) -> bytes:
    """A text only the desk can open (a fresh data key wrapped to it, then the text), for a
    signal's `sealed`."""
    sealed, key_blob = cipher.new_record(record)
    body = sealed.seal_text(_SEALED_FIELD, text)
    return len(key_blob).to_bytes(2, "big") + key_blob + body


def open_for_desk(cipher: Cipher, record: str, blob: bytes) -> str:
    """The text of `seal_for_desk`; DecryptionError on this side without the desk's key."""
    size = int.from_bytes(blob[:2], "big")
    if len(blob) < 2 + size:
        raise DecryptionError("sealed text is truncated")
    sealed = cipher.record(record, blob[2 : 2 + size])
    return sealed.open_text(_SEALED_FIELD, blob[2 + size :])
