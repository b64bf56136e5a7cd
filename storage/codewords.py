"""A case's codeword check: the hash sealed under the case's key, and the check in progress.

The codeword itself is never stored: `casework.codewords` hashes it (slow, salted) before it
reaches here, and the hash is sealed like the answers, so a copy of the database alone gives
nothing to guess against. A check is one row's state: who asked (`asker`), whether the person
has been shown the question yet, the wrong answers so far; three flag the case. Like the other
storage modules these functions never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.cases import CODEWORD, sealed_answers, sealed_case_to_write
from storage.crypto import Cipher
from storage.db import rowcount
from storage.models import Case, CaseEntry, Person, Volunteer, this_minute

CHECK_ORIGINS = ("volunteer", "silence")
"""Why a check was started: a volunteer's /verify, or a reply after a long silence."""


async def set_codeword(session: AsyncSession, cipher: Cipher, case: Case, digest: str) -> None:
    """Keep the hash of the person's codeword with their case (an empty one clears it)."""
    sealed = await sealed_case_to_write(session, cipher, case)
    value = sealed.seal_text(CODEWORD, digest) if digest else None
    await session.execute(update(Case).where(Case.id == case.id).values(codeword_enc=value))
    await session.refresh(case)


def codeword_digest(cipher: Cipher, case: Case) -> str | None:
    if case.codeword_enc is None:
        return None
    return sealed_answers(cipher, case).open_text(CODEWORD, case.codeword_enc)


async def start_check(
    session: AsyncSession, case: Case, *, origin: str, asker: Volunteer | None, asked: bool
) -> bool:
    """Start a check unless one is already waiting; False if one was (nothing changes)."""
    if origin not in CHECK_ORIGINS:
        raise ValueError(f"unknown check origin {origin!r}")
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.codeword_check.is_(None))
        .values(
            codeword_check=origin,
            codeword_asked=asked,
            codeword_asker_id=asker.id if asker is not None else None,
            codeword_misses=0,
        )
    )
    await session.refresh(case)
    return rowcount(result) == 1


async def mark_asked(session: AsyncSession, case: Case, *, asked: bool = True) -> None:
    """The person has been shown the question (their next message is the answer); `asked`
    False: their answer is on its way to the desk (sealed mode), which asks again if wrong."""
    await session.execute(update(Case).where(Case.id == case.id).values(codeword_asked=asked))
    await session.refresh(case)


async def record_match(session: AsyncSession, case: Case) -> None:
    """The check matched: it ends, a flag from earlier checks is lifted, and the silence that
    asks for a codeword counts from now."""
    await session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(
            codeword_check=None,
            codeword_asked=False,
            codeword_misses=0,
            codeword_failed=False,
            codeword_checked_at=this_minute(),
        )
    )
    await session.refresh(case)


async def record_miss(session: AsyncSession, case: Case, *, tries: int) -> int:
    """One wrong answer: how many this check has had. At `tries` the check ends, flagged."""
    misses = case.codeword_misses + 1
    values: dict[str, object] = {"codeword_misses": misses}
    if misses >= tries:
        values.update(codeword_check=None, codeword_asked=False, codeword_failed=True)
    await session.execute(update(Case).where(Case.id == case.id).values(**values))
    await session.refresh(case)
    return misses


async def waiting_check_of(session: AsyncSession, pseudonym: str) -> Case | None:
    """The open case of this person whose check waits for their answer, if any."""
    return await session.scalar(
        select(Case)
        .join(Person, Person.id == Case.person_id)
        .where(
            Person.pseudonym == pseudonym,
            Case.codeword_check.is_not(None),
            Case.codeword_asked.is_(True),
            Case.status != "closed",
        )
        .order_by(Case.person_order.desc())
        .limit(1)
        .with_for_update()
    )


async def last_heard(session: AsyncSession, case: Case) -> datetime:
    """When the person was last known to have the phone in hand: their latest message in the
    case, a check that matched, or the request itself (to the minute, or the day once closed)."""
    latest = await session.scalar(
        select(func.max(CaseEntry.created_at)).where(
            CaseEntry.case_id == case.id, CaseEntry.kind == "person"
        )
    )
    moments = [m for m in (case.created_at, case.codeword_checked_at, latest) if m is not None]
    return max(moments)
