"""Persistence of a case's thread (the person's messages, replies, notes) and relay links.

Every entry is encrypted under its case's data key, or (added by the intake side in sealed
mode) under a data key of its own, wrapped to the desk. Functions never commit: the caller owns
the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.cases import sealed_case, sealed_case_to_write
from storage.coarse import minutes_between, next_entry_seq
from storage.crypto import Cipher, SealedRecord
from storage.db import rowcount
from storage.models import (
    ENTRY_KINDS,
    Case,
    CaseEntry,
    RelayLink,
    Volunteer,
    new_id,
    this_minute,
    today,
    utcnow,
)
from storage.person_keys import person_blob


def entry_record(entry_id: str) -> str:
    """The record of an entry with a data key of its own (one the intake side added in sealed
    mode: it cannot open the case's key)."""
    return f"entry:{entry_id}"


def entry_field(entry_id: str) -> str:
    """The field an entry's body is sealed as, under its case's record (one field per entry)."""
    return f"entry:{entry_id}"


def seal_entry(sealed: SealedRecord, entry_id: str, body: str) -> bytes:
    """An entry's body sealed under its case's opened record (see `storage.cases`)."""
    return sealed.seal_text(entry_field(entry_id), body)


def open_entry(sealed: SealedRecord, entry: CaseEntry) -> str:
    """The body of an entry of the case whose record `sealed` is."""
    return sealed.open_text(entry_field(entry.id), entry.body_enc)


def sealed_own_entry(cipher: Cipher, entry_id: str) -> tuple[SealedRecord, bytes]:
    """A fresh data key for an entry of its own (sealed mode): the record and its blob."""
    return cipher.new_record(entry_record(entry_id))


def _open_own_entry(cipher: Cipher, entry: CaseEntry) -> str:
    assert entry.key_blob is not None
    sealed = cipher.record(entry_record(entry.id), entry.key_blob)
    return open_entry(sealed, entry)


async def add_entry(
    session: AsyncSession,
    cipher: Cipher,
    case: Case,
    *,
    kind: str,
    body: str,
    author: Volunteer | None,
    delivered: bool = False,
    held: bool = False,
) -> CaseEntry:
    """Append a message to a case, encrypted under the case's data key.

    kind "person" (what the person wrote; no author), "volunteer" (a reply relayed to the
    person) or "note" (internal, between volunteers); the last two need an author. The first
    "volunteer" entry sets the case's first_reply_at. A web case in sealed mode has its
    person's own key: a message of its thread is sealed to it too (`storage.person_keys`).
    """
    if kind not in ENTRY_KINDS:
        raise ValueError(f"kind must be one of {', '.join(ENTRY_KINDS)}")
    if (kind == "person") != (author is None):
        raise ValueError("person entries have no author; volunteer entries and notes need one")
    entry_id = new_id()
    key_blob = None
    if cipher.can_open:
        sealed = await sealed_case_to_write(session, cipher, case)
    else:
        sealed, key_blob = sealed_own_entry(cipher, entry_id)
    now = today() if case.status == "closed" else this_minute()  # see storage.coarse
    entry = CaseEntry(
        id=entry_id,
        case_id=case.id,
        kind=kind,
        author_id=None if author is None else author.id,
        body_enc=seal_entry(sealed, entry_id, body),
        key_blob=key_blob,
        person_blob=person_blob(case, kind, entry_id, body),
        created_at=now,
        delivered=delivered,
        held=held,
        seq=await next_entry_seq(session, case.id),
    )
    session.add(entry)
    if kind == "volunteer" and case.first_reply_at is None:
        result = await session.execute(
            update(Case)
            .where(Case.id == case.id, Case.first_reply_at.is_(None))
            .values(first_reply_at=now, first_reply_minutes=minutes_between(case.created_at, now))
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) == 1:
            set_committed_value(case, "first_reply_at", now)
    # A new message is a change to the case (see `storage.retention.stale_open_cases`).
    await session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(case, "updated_at", now)
    await session.flush()
    return entry


def entry_text(cipher: Cipher, case: Case, entry: CaseEntry) -> str:
    """Decrypt one entry of `case`."""
    return decrypt_entries(cipher, case, [entry])[0][1]


def decrypt_entries(
    cipher: Cipher, case: Case, entries: Iterable[CaseEntry]
) -> list[tuple[CaseEntry, str]]:
    """Decrypt entries of one case, unwrapping its key once (and the key of each entry that
    has one of its own); keeps the given order."""
    sealed: SealedRecord | None = None
    out = []
    for entry in entries:
        if entry.case_id != case.id:
            raise ValueError("entry belongs to another case")
        if entry.key_blob is not None:
            out.append((entry, _open_own_entry(cipher, entry)))
            continue
        sealed = sealed or sealed_case(cipher, case)
        out.append((entry, open_entry(sealed, entry)))
    return out


async def case_entries(
    session: AsyncSession, cipher: Cipher, case: Case
) -> list[tuple[CaseEntry, str]]:
    """The whole conversation of a case, decrypted, oldest first."""
    query = (
        select(CaseEntry)
        .where(CaseEntry.case_id == case.id)
        .order_by(CaseEntry.seq, CaseEntry.created_at, CaseEntry.id)
    )
    return decrypt_entries(cipher, case, (await session.scalars(query)).all())


async def mark_delivered(session: AsyncSession, entries: Iterable[CaseEntry]) -> None:
    entries = list(entries)
    if not entries:
        return
    await session.execute(
        update(CaseEntry)
        .where(CaseEntry.id.in_([entry.id for entry in entries]))
        .values(delivered=True)
        .execution_options(synchronize_session=False)
    )
    for entry in entries:
        set_committed_value(entry, "delivered", True)


async def held_entries(
    session: AsyncSession, cipher: Cipher, case: Case
) -> list[tuple[CaseEntry, str]]:
    """Volunteers' replies kept for the person until they next write, decrypted, oldest first."""
    query = (
        select(CaseEntry)
        .where(CaseEntry.case_id == case.id, CaseEntry.held.is_(True))
        .order_by(CaseEntry.seq, CaseEntry.created_at, CaseEntry.id)
        .with_for_update()
    )
    return decrypt_entries(cipher, case, (await session.scalars(query)).all())


async def has_held(session: AsyncSession, case: Case) -> bool:
    """Whether any reply waits for this case's person (without opening anything)."""
    found = await session.scalar(
        select(CaseEntry.id).where(CaseEntry.case_id == case.id, CaseEntry.held.is_(True)).limit(1)
    )
    return found is not None


async def release_held(session: AsyncSession, entries: Iterable[CaseEntry]) -> None:
    """These replies are on their way to the person now: no longer held."""
    ids = [entry.id for entry in entries]
    if ids:
        await session.execute(
            update(CaseEntry)
            .where(CaseEntry.id.in_(ids))
            .values(held=False)
            .execution_options(synchronize_session=False)
        )


# --- relayed messages --------------------------------------------------------------------------


async def link_relay(
    session: AsyncSession, *, volunteer: Volunteer, message_id: int, case: Case
) -> None:
    """Remember that the bot's message `message_id` in this volunteer's chat is about `case`."""
    values = {
        "volunteer_id": volunteer.id,
        "message_id": message_id,
        "case_id": case.id,
        "created_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(RelayLink)
    elif dialect == "sqlite":
        statement = sqlite.insert(RelayLink)
    else:  # pragma: no cover - normalize_url admits only these two
        raise RuntimeError(f"unsupported database dialect {dialect!r}")
    statement = statement.values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[RelayLink.volunteer_id, RelayLink.message_id],
        set_={"case_id": statement.excluded.case_id, "created_at": statement.excluded.created_at},
    )
    await session.execute(statement)


async def case_for_relay(
    session: AsyncSession, *, volunteer: Volunteer, message_id: int
) -> Case | None:
    """The case a relayed message belongs to; the caller checks the volunteer still holds it."""
    query = (
        select(Case)
        .join(RelayLink, RelayLink.case_id == Case.id)
        .where(RelayLink.volunteer_id == volunteer.id, RelayLink.message_id == message_id)
    )
    return await session.scalar(query)
