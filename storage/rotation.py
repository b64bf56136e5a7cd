"""Master key rotation: re-wrap every stored data key under the newest master key.

The operator puts a new master key first in the configuration (keeping the old one after it),
restarts the bot, and runs `rotate_keys` while the bot keeps serving. Data keys do not change,
so no field is re-encrypted: only the wrapped keys (`keyring.blob` and the `key_blob` of
persons, cases and volunteers) are rewritten. When `keys_in_use` no longer lists the old key
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Row, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import Cipher, DecryptionError, wrapped_key_id
from storage.desk import volunteer_record
from storage.models import Case, KeyringEntry, Person, Volunteer
from storage.repositories import case_record, keyring_record, person_record

UNREADABLE = "(unreadable)"
_PASSES = 5
_PASS_PAUSE = 0.2
_SCAN_PAGE = 1000


@dataclass(frozen=True)
class _Wrapped:
    """One column of wrapped data keys: its table, primary key and AEAD record name."""

    name: str
    table: Table
    key: Column[Any]
    blob: Column[Any]
    record: Callable[[str], str]


def wrapped_key_columns() -> tuple[_Wrapped, ...]:
    """Every column that holds a data key wrapped by a master key."""
    specs = (
        (KeyringEntry, "name", "blob", keyring_record),
        (Person, "id", "key_blob", person_record),
        (Case, "id", "key_blob", case_record),
        (Volunteer, "id", "key_blob", volunteer_record),
    )
    out = []
    for model, key, blob, record in specs:
        table = model.__table__
        assert isinstance(table, Table)
        out.append(_Wrapped(table.name, table, table.c[key], table.c[blob], record))
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


def _stale(cipher: Cipher, rows: Sequence[Row[Any]], progress: _Progress) -> dict[str, bytes]:
    """The rows (key -> blob) whose wrapped key is not under the newest master key."""
    stale: dict[str, bytes] = {}
    for key, blob in rows:
        try:
            if cipher.key_id_of(bytes(blob)) != cipher.newest_key_id:
                stale[key] = bytes(blob)
        except DecryptionError:
            progress.unreadable.add(key)
    return stale


async def _rotate_batch(
    session: AsyncSession,
    spec: _Wrapped,
    cipher: Cipher,
    after: str | None,
    batch: int,
    progress: _Progress,
) -> str | None:
    """Re-wrap one page of rows in the caller's transaction; returns the page's last key."""
    query = select(spec.key, spec.blob).order_by(spec.key).limit(batch)
    if after is not None:
        query = query.where(spec.key > after)
    page = (await session.execute(query)).all()
    if not page:
        return None
    stale = _stale(cipher, page, progress)
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
        stale = _stale(cipher, locked, progress)
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
        if result.rowcount == 1:
            progress.rewrapped += 1
        else:
            progress.busy += 1  # changed or deleted since it was read
    return str(page[-1][0])


async def _rotate_column(
    sessions: async_sessionmaker[AsyncSession], spec: _Wrapped, cipher: Cipher, batch: int
) -> _Progress:
    total = _Progress()
    for number in range(_PASSES):
        progress = _Progress()
        after: str | None = None
        while True:
            async with sessions.begin() as session:
                after = await _rotate_batch(session, spec, cipher, after, batch, progress)
            if after is None:
                break
        total.rewrapped += progress.rewrapped
        total.unreadable |= progress.unreadable
        if not progress.busy:
            break
        await asyncio.sleep(_PASS_PAUSE * (number + 1))
    return total


async def rotate_keys(
    sessions: async_sessionmaker[AsyncSession], cipher: Cipher, *, batch: int = 200
) -> RotationReport:
    """Re-wrap every wrapped data key not yet under `cipher`'s newest master key.

    `cipher` must hold the newest key first and the old ones after it. Idempotent: a second
    run rewrites nothing. `remaining` counts wrapped keys still under another master key when
    done (rows busy through every pass, or written meanwhile by a process that still has the
    old configuration): run again. `unreadable` counts keys that none of the configured master
    keys opens; they are left as they are.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    rewrapped: dict[str, int] = {}
    unreadable = 0
    for spec in wrapped_key_columns():
        progress = await _rotate_column(sessions, spec, cipher, batch)
        rewrapped[spec.name] = progress.rewrapped
        unreadable += len(progress.unreadable)
    in_use = await keys_in_use(sessions)
    remaining = sum(count for key_id, count in in_use.items() if key_id != cipher.newest_key_id)
    return RotationReport(cipher.newest_key_id, rewrapped, unreadable, remaining)


async def keys_in_use(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Master key id -> how many stored data keys are wrapped under it (no key needed).

    Blobs that are not wrapped keys at all are counted under "(unreadable)".
    """
    counts: dict[str, int] = {}
    async with sessions() as session:
        for spec in wrapped_key_columns():
            after: str | None = None
            while True:
                query = select(spec.key, spec.blob).order_by(spec.key).limit(_SCAN_PAGE)
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
