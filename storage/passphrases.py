"""Web cases: their channel, and the passphrase a person comes back with (its hash only).

`web.passphrases` makes the hash and the lookup value; these functions keep and find them.
Like the other storage modules they never commit.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case

TELEGRAM = "telegram"
WEB = "web"
CHANNELS = (TELEGRAM, WEB)


async def make_web_case(session: AsyncSession, case: Case, digest: str, lookup: str) -> None:
    """Mark `case` as come through the web door, with its passphrase's hash and lookup value."""
    await session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(channel=WEB, passphrase_hash=digest, passphrase_lookup=lookup)
    )
    await session.refresh(case)


async def cases_by_lookup(session: AsyncSession, lookup: str) -> list[Case]:
    """The web cases whose passphrase has this lookup value (a few at most)."""
    found = await session.scalars(
        select(Case).where(
            Case.passphrase_lookup == lookup, Case.channel == WEB, Case.passphrase_hash.is_not(None)
        )
    )
    return list(found)
