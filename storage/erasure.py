"""Crypto-shredding: erase a case or a person so that not even a later copy can read them.

Every case and person has its own data key, stored only wrapped (`key_blob`). Erasing first
overwrites the wrapped key and every ciphertext of the record with random bytes of the same
length, flushes that, and only then deletes the rows. So the live database and any copy taken
afterwards hold neither the key nor the ciphertext, and on SQLite (with `secure_delete`, see
`storage.db`) the file keeps no old bytes either once its write-ahead log has been checkpointed
(`checkpoint`).

On PostgreSQL the old row versions stay in the table files until `VACUUM (FULL)` rewrites them
(`storage.compaction`, run after every erasure, batched). What this cannot reach: copies taken
*before* the erasure, PostgreSQL's WAL (until its segments are recycled and overwritten), its
archives, physical backups and replicas. Those hold the old wrapped key, which only the master
key opens: rotating the master key (`storage.rotation`) and destroying the old one makes them
unreadable too.

Like the other storage modules these functions never commit: the caller owns the transaction, so
an erasure lands completely or not at all.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.coarse import forget_trail
from storage.db import SQLITE_BUSY_TIMEOUT_SECONDS, run_pragma
from storage.models import Case, CaseEntry, Delivery, Person, RelayLink, Volunteer, table_of
from storage.reminders import shred_for_case as shred_reminders

_CHUNK = 500


class RelayedCopy(NamedTuple):
    """A message the bot relayed into a volunteer's chat: (volunteer, message_id)."""

    volunteer: Volunteer
    message_id: int


@dataclass(frozen=True)
class ErasedCase:
    """An erased case that volunteers had seen: whom to tell, which copies to delete.

    `holder` is the volunteer who held it (status "taken"), or None; `relayed` lists the bot's
    messages about it in volunteers' chats (Telegram lets the bot delete them for 48 hours).
    """

    reference: str
    holder: Volunteer | None
    relayed: tuple[RelayedCopy, ...]


@dataclass(frozen=True)
class ErasureReport:
    """What `erase_person` did. The repr carries counts only: it is safe to log."""

    found: bool
    cases: int
    affected: tuple[ErasedCase, ...] = field(default=(), repr=False)


def _noise(length: int | None) -> bytes | None:
    return None if length is None else secrets.token_bytes(length)


async def shred_case(session: AsyncSession, case: Case) -> None:
    """Destroy a case's data key and ciphertexts, then delete it with its entries and links.

    The audit trail is the caller's (`storage.coarse.forget_trail` unlinks it). A case that
    no longer exists is left as it is.
    """
    # FOR UPDATE (PostgreSQL) also holds back new entries (their foreign key needs a share
    # lock on the case) until the caller commits; on SQLite the first write below does that.
    lengths = (
        await session.execute(
            select(
                func.length(Case.key_blob),
                func.length(Case.answers_enc),
                func.length(Case.close_reason_enc),
                func.length(Case.codeword_enc),
                func.length(Case.answers_key_blob),
                func.length(Case.person_key_blob),
            )
            .where(Case.id == case.id)
            .with_for_update()
        )
    ).first()
    if lengths is None:
        return
    key_length, answers_length, reason_length, codeword_length, answers_key_length, person_key = (
        lengths
    )
    cases = table_of(Case)
    await session.execute(
        update(cases)
        .where(cases.c.id == case.id)
        .values(
            key_blob=_noise(key_length),
            answers_enc=_noise(answers_length),
            close_reason_enc=_noise(reason_length),
            codeword_enc=_noise(codeword_length),
            answers_key_blob=_noise(answers_key_length),  # sealed mode's; NULL otherwise
            person_key_blob=_noise(person_key),  # a sealed web case's; NULL otherwise
        )
    )
    entries = table_of(CaseEntry)
    sizes = (
        await session.execute(
            select(
                entries.c.id,
                func.length(entries.c.body_enc),
                func.length(entries.c.key_blob),
                func.length(entries.c.person_blob),
            ).where(entries.c.case_id == case.id)
        )
    ).all()
    if sizes:
        # An entry's own key (sealed mode; NULL otherwise) goes with its body, and so does
        # its copy sealed to the person (a sealed web case; NULL otherwise).
        await session.execute(
            update(entries)
            .where(entries.c.id == bindparam("entry"))
            .values(
                body_enc=bindparam("noise"),
                key_blob=bindparam("key_noise"),
                person_blob=bindparam("person_noise"),
            ),
            [
                {
                    "entry": entry_id,
                    "noise": _noise(length),
                    "key_noise": _noise(own_key),
                    "person_noise": _noise(person),
                }
                for entry_id, length, own_key, person in sizes
            ],
        )
    await session.flush()
    await shred_reminders(session, case.id)
    await session.execute(delete(RelayLink).where(RelayLink.case_id == case.id))
    await session.execute(delete(CaseEntry).where(CaseEntry.case_id == case.id))
    await session.execute(delete(Case).where(Case.id == case.id))


async def shred_persons(session: AsyncSession, person_ids: Sequence[str]) -> None:
    """Destroy these persons' data keys and encrypted chat ids, then delete the rows.

    Their cases must be gone already (see `erase_person`); a case left behind would be
    deleted by the foreign key's cascade without being shredded first.
    """
    person_ids = list(person_ids)
    for start in range(0, len(person_ids), _CHUNK):  # stay far below bind-parameter limits
        await _shred_persons(session, person_ids[start : start + _CHUNK])


async def _shred_persons(session: AsyncSession, person_ids: list[str]) -> None:
    persons = table_of(Person)
    sizes = (
        await session.execute(
            select(persons.c.id, func.length(persons.c.key_blob), func.length(persons.c.chat_enc))
            .where(persons.c.id.in_(person_ids))
            .with_for_update()
        )
    ).all()
    if not sizes:
        return
    await session.execute(
        update(persons)
        .where(persons.c.id == bindparam("person"))
        .values(key_blob=bindparam("key_noise"), chat_enc=bindparam("chat_noise")),
        [
            {"person": person_id, "key_noise": _noise(key), "chat_noise": _noise(chat)}
            for person_id, key, chat in sizes
        ],
    )
    await session.flush()
    await session.execute(delete(Person).where(Person.id.in_([row[0] for row in sizes])))


async def _seen_by_volunteers(session: AsyncSession, case: Case) -> ErasedCase | None:
    holder = None
    if case.status == "taken" and case.volunteer_id is not None:
        holder = await session.get(Volunteer, case.volunteer_id)
    links = (
        await session.execute(
            select(RelayLink.volunteer_id, RelayLink.message_id)
            .where(RelayLink.case_id == case.id)
            .order_by(RelayLink.volunteer_id, RelayLink.message_id)
        )
    ).all()
    relayed = []
    for volunteer_id, message_id in links:
        volunteer = await session.get(Volunteer, volunteer_id)
        if volunteer is not None:
            relayed.append(RelayedCopy(volunteer, int(message_id)))
    if holder is None and not relayed:
        return None
    return ErasedCase(case.reference, holder, tuple(relayed))


async def erase_person(session: AsyncSession, pseudonym: str) -> ErasureReport:
    """Crypto-shred a person and every case of theirs (what /forget does).

    Each erased case's audit events lose its reference and keep only the day, and an event
    "erased" (no actor, no reference, to the day) is added for it. The report
    says which erased cases volunteers had seen, so the bot can tell the holder and delete the
    relayed copies while Telegram allows. An unknown pseudonym erases nothing (found=False).
    The caller commits; on SQLite, `checkpoint` afterwards clears the write-ahead log.
    """
    # Locking the person first (PostgreSQL) makes a case being submitted at this moment
    # either visible below or refused by its foreign key once this transaction commits.
    person_id = await session.scalar(
        select(Person.id).where(Person.pseudonym == pseudonym).with_for_update()
    )
    if person_id is None:
        return ErasureReport(found=False, cases=0)
    cases = (
        await session.scalars(
            select(Case)
            .where(Case.person_id == person_id)
            .order_by(Case.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()
    affected = []
    for case in cases:
        seen = await _seen_by_volunteers(session, case)
        if seen is not None:
            affected.append(seen)
        await forget_trail(session, case, "erased")
        # Sealed mode: messages to them not sent yet hold their chat id (`storage.deliveries`).
        await session.execute(delete(Delivery).where(Delivery.reference == case.reference))
        await shred_case(session, case)
    await shred_persons(session, [person_id])
    await session.flush()
    return ErasureReport(found=True, cases=len(cases), affected=tuple(affected))


async def checkpoint(engine: AsyncEngine) -> bool:
    """SQLite: copy the write-ahead log into the database file and truncate it.

    Call after committing an erasure or a purge: until then the `-wal` file may still hold
    page images from before it. True when the log was emptied (False if readers kept it busy;
    try again later). PostgreSQL: nothing to do here (see the module docstring); True.
    """
    if engine.dialect.name != "sqlite":
        return True
    async with engine.connect() as connection:
        return await connection.run_sync(_checkpoint)


# A checkpoint waits for readers with the writers held back: wait briefly, and try again later
# (`storage.compaction`) rather than stall every writer for the whole busy timeout.
CHECKPOINT_BUSY_TIMEOUT_MS = 1000


def _checkpoint(connection: Connection) -> bool:
    run_pragma(connection, f"PRAGMA busy_timeout = {CHECKPOINT_BUSY_TIMEOUT_MS}")
    try:
        row = run_pragma(connection, "PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        run_pragma(connection, f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")
    return row is not None and row[0] == 0
