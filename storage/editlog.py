"""What a person's message became, for applying a later edit of it: short-lived, no content.

Keyed on the owner's pseudonym; each entry maps a Telegram message id to a target ("answer:"
and a questionnaire step id, or "entry:" and the id of the case entry the message was added
as). Nothing is kept longer than Telegram lets a message be found again for deletion (48
hours), and at most `MAX_PER_OWNER` entries per owner. The functions at the end find and
re-encrypt a person's entry of an open case.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import entries as entry_store
from storage import person_keys
from storage.cases import sealed_case
from storage.crypto import Cipher
from storage.drafts import RedisKeys
from storage.models import Case, CaseEntry
from storage.unavailable import redis_errors

MAX_AGE = 48 * 3600
MAX_PER_OWNER = 200


class EditLog(Protocol):
    async def remember(self, owner: str, message_id: int, target: str) -> None: ...

    async def target(self, owner: str, message_id: int) -> str | None: ...

    async def forget(self, owner: str) -> None: ...


class MemoryEditLog:
    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._entries: dict[str, dict[int, tuple[str, float]]] = {}

    async def remember(self, owner: str, message_id: int, target: str) -> None:
        now = self._clock()
        entries = self._entries.setdefault(owner, {})
        for old in [m for m, (_, at) in entries.items() if now - at >= MAX_AGE]:
            del entries[old]
        if len(entries) >= MAX_PER_OWNER:
            del entries[min(entries, key=lambda m: entries[m][1])]
        entries[message_id] = (target, now)

    async def forget(self, owner: str) -> None:
        self._entries.pop(owner, None)

    async def target(self, owner: str, message_id: int) -> str | None:
        found = self._entries.get(owner, {}).get(message_id)
        if found is None or self._clock() - found[1] >= MAX_AGE:
            return None
        return found[0]


_REMEMBER = """
if redis.call('hlen', KEYS[1]) >= tonumber(ARGV[3]) then
  redis.call('del', KEYS[1])
end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
redis.call('expire', KEYS[1], ARGV[4])
"""
"""One round trip: a full hash is dropped (a bound, not a queue: the oldest edits stop
applying), the message's target is added, and the hash lives 48 hours from now."""


class RedisEditLog:
    """One hash per owner that expires 48 hours after its last entry."""

    def __init__(self, redis: Redis, prefix: str = "intake") -> None:
        self._redis = redis
        self._keys = RedisKeys(prefix)
        self._remember = redis.register_script(_REMEMBER)

    async def remember(self, owner: str, message_id: int, target: str) -> None:
        key = self._keys.build("edits", owner)
        with redis_errors("edit log", "remember"):
            await self._remember(keys=[key], args=[str(message_id), target, MAX_PER_OWNER, MAX_AGE])

    async def forget(self, owner: str) -> None:
        with redis_errors("edit log", "forget"):
            await self._redis.delete(self._keys.build("edits", owner))

    async def target(self, owner: str, message_id: int) -> str | None:
        with redis_errors("edit log", "lookup"):
            found = await self._redis.hget(self._keys.build("edits", owner), str(message_id))
        return found.decode() if isinstance(found, bytes) else found


# --- follow-ups: what the person added to an open case --------------------------------------


async def newest_person_entry(session: AsyncSession, case: Case) -> str | None:
    """The id of the case's newest person entry (sealed mode, where texts cannot be compared:
    asked right after the person's message was stored, it is that message's)."""
    return await session.scalar(
        select(CaseEntry.id)
        .where(CaseEntry.case_id == case.id, CaseEntry.kind == "person")
        .order_by(CaseEntry.seq.desc(), CaseEntry.created_at.desc(), CaseEntry.id.desc())
        .limit(1)
    )


async def find_person_entry(
    session: AsyncSession, cipher: Cipher, case: Case, body: str, *, among: int = 5
) -> str | None:
    """The id of one of the case's newest person entries whose text is `body`, if any."""
    query = (
        select(CaseEntry)
        .where(CaseEntry.case_id == case.id, CaseEntry.kind == "person")
        .order_by(CaseEntry.created_at.desc(), CaseEntry.id.desc())
        .limit(among)
    )
    for entry, text in entry_store.decrypt_entries(
        cipher, case, (await session.scalars(query)).all()
    ):
        if text == body:
            return entry.id
    return None


async def replace_person_entry(
    session: AsyncSession, cipher: Cipher, entry_id: str, body: str
) -> tuple[Case, CaseEntry] | None:
    """Re-encrypt a person entry of an open case with new text; None when that is gone."""
    entry = await session.get(CaseEntry, entry_id)
    if entry is None or entry.kind != "person":
        return None
    case = await session.get(Case, entry.case_id)
    if case is None or case.status == "closed":
        return None
    if entry.key_blob is not None or not cipher.can_open:  # sealed mode: a key of its own
        sealed, entry.key_blob = entry_store.sealed_own_entry(cipher, entry.id)
    else:
        sealed = sealed_case(cipher, case)
    entry.body_enc = entry_store.seal_entry(sealed, entry.id, body)
    entry.person_blob = person_keys.person_blob(case, entry.kind, entry.id, body)  # sealed web
    return case, entry
