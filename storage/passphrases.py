"""Web cases: their channel, and the passphrase a person comes back with (its hash only).

`web.passphrases` makes the hash and the lookup value; these functions keep and find them.
Like the other storage modules they never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import person_keys
from storage.models import Case, CaseEntry, today, utcnow

TELEGRAM = "telegram"
WEB = "web"
CHANNELS = (TELEGRAM, WEB)


async def make_web_case(
    session: AsyncSession,
    case: Case,
    digest: str,
    lookup: str,
    person_key: person_keys.PassphraseKey | None = None,
) -> None:
    """Mark `case` as come through the web door, with its passphrase's hash and lookup value;
    `person_key` (sealed mode): the key from the passphrase its own key pair is wrapped under."""
    await session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(channel=WEB, passphrase_hash=digest, passphrase_lookup=lookup)
    )
    await session.refresh(case)
    if person_key is not None:
        await person_keys.bind(session, case, person_key)


async def cases_by_lookup(session: AsyncSession, lookup: str) -> list[Case]:
    """The web cases whose passphrase has this lookup value (a few at most)."""
    found = await session.scalars(
        select(Case).where(
            Case.passphrase_lookup == lookup, Case.channel == WEB, Case.passphrase_hash.is_not(None)
        )
    )
    return list(found)


async def set_web_code(
    session: AsyncSession, case: Case, code_hash: str, expires_at: datetime
) -> None:
    """Keep the keyed hash of a new `/web` code for `case` (a code minted before stops working)."""
    await session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(web_code_hash=code_hash, web_code_expires_at=expires_at)
    )


async def case_by_web_code(session: AsyncSession, code_hash: str) -> Case | None:
    """The open case whose unexpired `/web` code has this hash."""
    return await session.scalar(
        select(Case).where(
            Case.web_code_hash == code_hash,
            Case.web_code_expires_at > utcnow(),
            Case.status != "closed",
        )
    )


async def redeem_web_code(
    session: AsyncSession,
    code_hash: str,
    digest: str,
    lookup: str,
    person_key: person_keys.PassphraseKey | None = None,
) -> Case | None:
    """Use a `/web` code: its open case becomes a web case with this passphrase (hash and lookup
    value) and the code is gone. A conditional UPDATE, so of two people using one code at the
    same moment one wins; None if the code is unknown, used, expired or its case closed.
    `person_key` (sealed mode): a new key pair of the case's is wrapped under it (the entries
    sealed to an earlier one are dropped with it)."""
    claimed = await session.execute(
        update(Case)
        .where(
            Case.web_code_hash == code_hash,
            Case.web_code_expires_at > utcnow(),
            Case.status != "closed",
        )
        .values(
            web_code_hash=None,
            web_code_expires_at=None,
            channel=WEB,
            passphrase_hash=digest,
            passphrase_lookup=lookup,
        )
        .returning(Case.id)
        .execution_options(synchronize_session=False)
    )
    case_id = claimed.scalar_one_or_none()
    if case_id is None:
        return None
    case = await session.get(Case, case_id, populate_existing=True)
    if case is not None and person_key is not None:
        await person_keys.bind(session, case, person_key)
    return case


async def mark_thread_read(session: AsyncSession, case: Case, *, replies_shown: bool) -> int:
    """The person opened the web thread of `case`: the day is kept (`cases.web_read_at`, never
    finer), and if the page showed the volunteer's replies, those not read before are marked
    read (`case_entries.delivered`, unused for replies otherwise). How many were: a
    conditional UPDATE, so two pages opened at once count each reply once."""
    await session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(web_read_at=today())
        .execution_options(synchronize_session=False)
    )
    if not replies_shown:
        return 0
    read = await session.execute(
        update(CaseEntry)
        .where(
            CaseEntry.case_id == case.id,
            CaseEntry.kind == "volunteer",
            CaseEntry.delivered.is_(False),
        )
        .values(delivered=True)
        .returning(CaseEntry.id)
        .execution_options(synchronize_session=False)
    )
    return len(read.all())
