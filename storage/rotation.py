"""Master key rotation: re-wrap every stored data key under the newest master key.

The operator puts a new master key first in the configuration (keeping the old one after it),
restarts the bot, and runs `rotate_keys` while the bot keeps serving. Data keys do not change,
so no field is re-encrypted: only the wrapped keys (`keyring.blob` and the `key_blob` of
persons, cases and volunteers; in sealed mode also `cases.answers_key_blob` and
`case_entries.key_blob`) are rewritten. When `keys_in_use` no longer lists the old key
id, the old master key can be removed from the configuration and destroyed; copies of the
database taken before (backups, and on PostgreSQL the server's own files) become unreadable
with it.

Drafts are not in the database: they are sealed under the master key in the draft store and
expire by themselves within their TTL; one that no longer opens is discarded.

Rows are processed in small batches, each in its own short transaction. A row is rewritten
only if its wrapped key is still the one that was read (a conditional UPDATE), so a row
changed or deleted meanwhile is never overwritten with a stale value; on PostgreSQL rows that
another transaction holds are skipped rather than waited for, and retried in a later pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Row, Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import persons, volunteers
from storage.cases import ANSWERS, CLOSE_REASON, CODEWORD, answers_record, case_record
from storage.crypto import Cipher, DecryptionError, SealedRecord, wrapped_key_id
from storage.db import rowcount
from storage.entries import entry_field, entry_record
from storage.keyring import keyring_record
from storage.models import (
    Case,
    CaseEntry,
    KeyringEntry,
    Person,
    Reminder,
    Volunteer,
    table_of,
)
from storage.persons import person_record
from storage.reminders import reminder_field
from storage.volunteers import volunteer_record

UNREADABLE = "(unreadable)"
_PASSES = 5
_PASS_PAUSE = 0.2
_SCAN_PAGE = 1000


@dataclass(frozen=True)
class _Wrapped:
    """One column of wrapped data keys: its name in reports, table, primary key and AEAD
    record name. Rows where the column is NULL (nullable columns) have no key to rotate."""

    name: str
    table: Table
    key: Column[Any]
    blob: Column[Any]
    record: Callable[[str], str]


def wrapped_key_columns() -> tuple[_Wrapped, ...]:
    """Every column that holds a wrapped data key (under a master key, or a desk key)."""
    specs = (
        (None, KeyringEntry, "name", "blob", keyring_record),
        (None, Person, "id", "key_blob", person_record),
        (None, Case, "id", "key_blob", case_record),
        (None, Volunteer, "id", "key_blob", volunteer_record),
        # Sealed mode: what the intake seals to the desk under data keys of their own.
        ("case_answers", Case, "id", "answers_key_blob", answers_record),
        ("case_entries", CaseEntry, "id", "key_blob", entry_record),
    )
    out = []
    for name, model, key, blob, record in specs:
        table = model.__table__
        assert isinstance(table, Table)
        out.append(_Wrapped(name or table.name, table, table.c[key], table.c[blob], record))
    return tuple(out)


@dataclass(frozen=True)
class RotationReport:
    """What `rotate_keys` did; holds key ids and counts only."""

    newest_key_id: str
    rewrapped: dict[str, int] = field(default_factory=dict)
    unreadable: int = 0
    remaining: int = 0

    def __str__(self) -> str:
        counts = ", ".join(f"{name} {count}" for name, count in self.rewrapped.items())
        return (
            f"re-wrapped under {self.newest_key_id}: {counts}; "
            f"unreadable: {self.unreadable}; still under older keys: {self.remaining}"
        )


@dataclass
class _Progress:
    rewrapped: int = 0
    busy: int = 0
    unreadable: set[str] = field(default_factory=set)


def _stale(
    cipher: Cipher,
    rows: Sequence[Row[Any, Any]],
    progress: _Progress,
    key_ids: Collection[str] | None = None,
) -> dict[str, bytes]:
    """The rows (key -> blob) whose wrapped key is not under the newest master key.

    `key_ids`: only blobs under one of these keys count; the others belong to another side
    (the intake's master key, on the desk) and are left alone without being counted.
    """
    stale: dict[str, bytes] = {}
    for key, blob in rows:
        if blob is None:
            continue
        try:
            key_id = cipher.key_id_of(bytes(blob))
        except DecryptionError:
            progress.unreadable.add(key)
            continue
        if key_id != cipher.newest_key_id and (key_ids is None or key_id in key_ids):
            stale[key] = bytes(blob)
    return stale


async def _rotate_batch(
    session: AsyncSession,
    spec: _Wrapped,
    cipher: Cipher,
    after: str | None,
    batch: int,
    progress: _Progress,
    key_ids: Collection[str] | None = None,
) -> str | None:
    """Re-wrap one page of rows in the caller's transaction; returns the page's last key."""
    query = select(spec.key, spec.blob).order_by(spec.key).limit(batch)
    if spec.blob.nullable:
        query = query.where(spec.blob.is_not(None))
    if after is not None:
        query = query.where(spec.key > after)
    page = (await session.execute(query)).all()
    if not page:
        return None
    stale = _stale(cipher, page, progress, key_ids)
    if stale and session.get_bind().dialect.name == "postgresql":
        # Re-read under a row lock, skipping rows another transaction holds (retried later).
        # FOR NO KEY UPDATE still lets entries be added to a case meanwhile.
        locked = (
            await session.execute(
                select(spec.key, spec.blob)
                .where(spec.key.in_(list(stale)))
                .with_for_update(skip_locked=True, key_share=True)
            )
        ).all()
        progress.busy += len(stale) - len(locked)
        stale = _stale(cipher, locked, progress, key_ids)
    # Rotation is not a change to the record: keep columns that would bump themselves.
    keep = {column.name: column for column in spec.table.c if column.onupdate is not None}
    for key, blob in stale.items():
        try:
            fresh = cipher.rewrap_key(blob, spec.record(key))
        except DecryptionError:
            progress.unreadable.add(key)
            continue
        result = await session.execute(
            update(spec.table)
            .where(spec.key == key, spec.blob == blob)
            .values({spec.blob.name: fresh, **keep})
        )
        if rowcount(result) == 1:
            progress.rewrapped += 1
        else:
            progress.busy += 1  # changed or deleted since it was read
    return str(page[-1][0])


async def _rotate_column(
    sessions: async_sessionmaker[AsyncSession],
    spec: _Wrapped,
    cipher: Cipher,
    batch: int,
    key_ids: Collection[str] | None = None,
) -> _Progress:
    total = _Progress()
    for number in range(_PASSES):
        progress = _Progress()
        after: str | None = None
        while True:
            async with sessions.begin() as session:
                after = await _rotate_batch(session, spec, cipher, after, batch, progress, key_ids)
            if after is None:
                break
        total.rewrapped += progress.rewrapped
        total.unreadable |= progress.unreadable
        if not progress.busy:
            break
        await asyncio.sleep(_PASS_PAUSE * (number + 1))
    return total


async def rotate_keys(
    sessions: async_sessionmaker[AsyncSession],
    cipher: Cipher,
    *,
    batch: int = 200,
    key_ids: Collection[str] | None = None,
) -> RotationReport:
    """Re-wrap every wrapped data key not yet under `cipher`'s newest master key.

    `cipher` must hold the newest key first and the old ones after it. Idempotent: a second
    run rewrites nothing. `remaining` counts wrapped keys still under another master key when
    done (rows busy through every pass, or written meanwhile by a process that still has the
    old configuration): run again. `unreadable` counts keys that none of the configured master
    keys opens; they are left as they are.

    `key_ids` (the desk's rotation, `keys rotate-desk`): only keys wrapped under one of these
    ids are re-wrapped and counted in `remaining`; keys under any other id (the intake's
    master key) are neither touched nor counted as unreadable.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    wanted = frozenset(key_ids) if key_ids is not None else None
    rewrapped: dict[str, int] = {}
    unreadable = 0
    for spec in wrapped_key_columns():
        progress = await _rotate_column(sessions, spec, cipher, batch, wanted)
        rewrapped[spec.name] = progress.rewrapped
        unreadable += len(progress.unreadable)
    in_use = await keys_in_use(sessions)
    remaining = sum(
        count
        for key_id, count in in_use.items()
        if key_id != cipher.newest_key_id and (wanted is None or key_id in wanted)
    )
    return RotationReport(cipher.newest_key_id, rewrapped, unreadable, remaining)


async def keys_in_use(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Master (or desk) key id -> how many stored data keys are wrapped under it (no key
    needed). NULL columns count nothing.

    Blobs that are not wrapped keys at all are counted under "(unreadable)".
    """
    counts: dict[str, int] = {}
    async with sessions() as session:
        for spec in wrapped_key_columns():
            after: str | None = None
            while True:
                query = select(spec.key, spec.blob).order_by(spec.key).limit(_SCAN_PAGE)
                if spec.blob.nullable:
                    query = query.where(spec.blob.is_not(None))
                if after is not None:
                    query = query.where(spec.key > after)
                page = (await session.execute(query)).all()
                if not page:
                    break
                for _key, blob in page:
                    try:
                        key_id = wrapped_key_id(bytes(blob))
                    except DecryptionError:
                        key_id = UNREADABLE
                    counts[key_id] = counts.get(key_id, 0) + 1
                after = str(page[-1][0])
    return dict(sorted(counts.items()))


# --- full re-key ---------------------------------------------------------------------------------
#
# `rotate_keys` keeps the data keys: an old copy of the database (a backup, PostgreSQL's WAL and
# dead rows) plus a leaked master key still opens every record, also after rotation, because the
# live database still uses the same data keys. `rekey` gives every case, person and volunteer a
# new data key and re-encrypts every field under it, so the live database shares no key with any
# earlier copy: once the old master key is destroyed, old copies are unreadable, and a leak of
# the old master key opens only old copies, never what is written afterwards.
#
# The keyring's pseudonym key cannot be replaced this way: it is not a data key but the HMAC key
# every pseudonym (persons, volunteers, invite codes, Redis keys) was computed with. It is only
# re-wrapped. See docs: whoever holds it and a copy of the database can test whether a given
# Telegram id wrote to the bot.


@dataclass(frozen=True)
class _Record:
    """A table whose rows have their own data key, and the encrypted columns under it."""

    name: str
    table: Table
    fields: tuple[tuple[str, str], ...]  # (column name, the field it is sealed as)
    record: Callable[[str], str]


def _records() -> tuple[_Record, ...]:
    specs = (
        (Person, (("chat_enc", persons.CHAT_ID),), person_record),
        (
            Case,
            (
                ("answers_enc", ANSWERS),
                ("close_reason_enc", CLOSE_REASON),
                ("codeword_enc", CODEWORD),
            ),
            case_record,
        ),
        (Volunteer, (("chat_enc", volunteers.CHAT_ID),), volunteer_record),
    )
    out = []
    for model, fields, record in specs:
        table = model.__table__
        assert isinstance(table, Table)
        out.append(_Record(table.name, table, fields, record))
    return tuple(out)


@dataclass(frozen=True)
class RekeyReport:
    """What `rekey` did; counts only."""

    newest_key_id: str
    rekeyed: dict[str, int] = field(default_factory=dict)
    entries: int = 0
    unreadable: int = 0
    busy: int = 0
    rewrap: RotationReport | None = None

    def __str__(self) -> str:
        counts = ", ".join(f"{name} {count}" for name, count in self.rekeyed.items())
        return (
            f"new data keys under {self.newest_key_id}: {counts}; case entries re-encrypted: "
            f"{self.entries}; unreadable: {self.unreadable}; busy, not re-keyed: {self.busy}"
        )


@dataclass
class _RekeyProgress:
    done: set[str] = field(default_factory=set)
    entries: int = 0
    busy: int = 0
    unreadable: set[str] = field(default_factory=set)


def _reseal(old: SealedRecord, new: SealedRecord, name: str, blob: bytes) -> bytes:
    """A field of `old` sealed anew, unchanged, as the same field of `new`."""
    return new.seal(name, old.open(name, blob))


@dataclass
class _Resealed:
    """A case's child rows sealed under its key (entries, reminders), sealed again."""

    table: Table
    column: str
    rows: list[dict[str, Any]]


async def _resealed_children(
    session: AsyncSession, case_id: str, old: SealedRecord, new: SealedRecord
) -> list[_Resealed] | None:
    """The case's entries and reminders sealed under `new`; None when another transaction
    holds one of them (a reminder being sent, an entry being changed): the case is busy and
    retried later. No child can be added meanwhile: the case row is locked."""
    found = []
    children = (
        (table_of(CaseEntry), "body_enc", entry_field),
        (table_of(Reminder), "text_enc", reminder_field),
    )
    for table, column, field_of in children:
        rows = (
            await session.execute(
                select(table.c.id, table.c[column])
                .where(table.c.case_id == case_id)
                .with_for_update(skip_locked=True)
            )
        ).all()
        total = await session.scalar(
            select(func.count()).select_from(table).where(table.c.case_id == case_id)
        )
        if len(rows) != total:
            return None
        sealed = [
            {"row_id": row_id, "sealed": _reseal(old, new, field_of(row_id), bytes(blob))}
            for row_id, blob in rows
        ]
        found.append(_Resealed(table, column, sealed))
    return found


async def _rekey_batch(
    session: AsyncSession,
    spec: _Record,
    cipher: Cipher,
    after: str | None,
    batch: int,
    progress: _RekeyProgress,
) -> str | None:
    """New data keys for one page of rows, in the caller's transaction; returns the last key.

    Each row is read again under FOR UPDATE (PostgreSQL; SQLite's writing transaction holds the
    write lock from its start), which also holds back a new entry of a case (its foreign key
    needs a share lock) and every writer that reads the key under lock (`add_entry`, `close`):
    they see the new key once this commits. Rows another transaction holds are skipped and
    retried in a later pass.
    """
    key = spec.table.c.id
    query = select(key).order_by(key).limit(batch)
    if after is not None:
        query = query.where(key > after)
    page = [str(row[0]) for row in (await session.execute(query)).all()]
    if not page:
        return None
    wanted = [row_id for row_id in page if row_id not in progress.done]
    if not wanted:
        return page[-1]
    columns = [key, spec.table.c.key_blob, *(spec.table.c[name] for name, _ in spec.fields)]
    locked = (
        await session.execute(
            select(*columns).where(key.in_(wanted)).order_by(key).with_for_update(skip_locked=True)
        )
    ).all()
    progress.busy += len(wanted) - len(locked)
    keep = {column.name: column for column in spec.table.c if column.onupdate is not None}
    for row in locked:
        row_id, blob = str(row[0]), bytes(row[1])
        record = spec.record(row_id)
        try:
            old = cipher.record(record, blob)
            new, new_blob = cipher.new_record(record)
            values: dict[str, Any] = {"key_blob": new_blob}
            for (name, sealed_as), value in zip(spec.fields, row[2:], strict=True):
                values[name] = None if value is None else _reseal(old, new, sealed_as, bytes(value))
            children: list[_Resealed] = []
            if spec.table is Case.__table__:
                found = await _resealed_children(session, row_id, old, new)
                if found is None:
                    progress.busy += 1
                    continue
                children = found
        except DecryptionError:
            progress.unreadable.add(row_id)
            continue
        result = await session.execute(
            update(spec.table)
            .where(key == row_id, spec.table.c.key_blob == blob)
            .values({**values, **keep})
        )
        if rowcount(result) != 1:  # changed or deleted since it was read
            progress.busy += 1
            continue
        for child in children:
            if child.rows:
                await session.execute(
                    update(child.table)
                    .where(child.table.c.id == bindparam("row_id"))
                    .values({child.column: bindparam("sealed")}),
                    child.rows,
                )
        progress.entries += sum(len(c.rows) for c in children if c.table is table_of(CaseEntry))
        progress.done.add(row_id)
    return page[-1]


async def _rekey_table(
    sessions: async_sessionmaker[AsyncSession], spec: _Record, cipher: Cipher, batch: int
) -> _RekeyProgress:
    total = _RekeyProgress()
    for number in range(_PASSES):
        total.busy = 0
        after: str | None = None
        while True:
            async with sessions.begin() as session:
                after = await _rekey_batch(session, spec, cipher, after, batch, total)
            if after is None:
                break
        if not total.busy:
            break
        await asyncio.sleep(_PASS_PAUSE * (number + 1))
    return total


async def rekey(
    sessions: async_sessionmaker[AsyncSession], cipher: Cipher, *, batch: int = 100
) -> RekeyReport:
    """Give every person, case and volunteer a new data key, re-encrypting every field.

    Then re-wraps whatever is left (the keyring) under the newest master key, as `rotate_keys`.
    Safe while the bot runs: batches of `batch` rows, each in its own transaction, rows locked
    while they change. Rows written meanwhile get fresh data keys of their own anyway. `busy`
    counts rows that stayed locked through every pass (run again); `unreadable` rows that no
    configured master key opens (left as they are).
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    rekeyed: dict[str, int] = {}
    entries = busy = 0
    unreadable: set[str] = set()
    for spec in _records():
        progress = await _rekey_table(sessions, spec, cipher, batch)
        rekeyed[spec.name] = len(progress.done)
        entries += progress.entries
        busy += progress.busy
        unreadable |= progress.unreadable
    rewrap = await rotate_keys(sessions, cipher, batch=batch)
    return RekeyReport(cipher.newest_key_id, rekeyed, entries, len(unreadable), busy, rewrap)
