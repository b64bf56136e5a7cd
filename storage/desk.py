"""Persistence of the volunteer desk: volunteers, invites, the case queue, conversations, audit.

The person who wrote and the volunteer never learn each other's Telegram account: both are
known here by keyed pseudonyms, their chat ids are encrypted under their own data keys, and
volunteers appear to colleagues and in the audit log only by a random handle.

Like `storage.repositories`, functions take the session (and the cipher where plaintext is
involved) and never commit: the caller owns the transaction. State changes that two people may
attempt at once (claiming a case, redeeming an invite) are conditional UPDATEs whose row count
says who won, so the loser learns it without an error that would abort the transaction.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.coarse import coarsen_closed_case, minutes_between, next_entry_seq
from storage.crypto import Cipher, Pseudonymizer
from storage.models import (
    CASE_STATUSES,
    ENTRY_KINDS,
    VOLUNTEER_ROLES,
    AuditEvent,
    Case,
    CaseEntry,
    Invite,
    Person,
    RelayLink,
    Volunteer,
    new_id,
    this_hour,
    this_minute,
    today,
    utcnow,
)
from storage.repositories import (
    REFERENCE_ALPHABET,
    case_record,
    get_case_by_reference,
    insert_unless_conflict,
    normalize_reference,
)

# --- errors ------------------------------------------------------------------------------------


class DeskError(Exception):
    """Base of the desk's refusals; messages never contain ids, handles of others or content."""


class VolunteerNotFound(DeskError):
    """No volunteer has that handle."""


class VolunteerRevoked(DeskError):
    """The volunteer's access was revoked; they may not act on cases."""


class AlreadyVolunteer(DeskError):
    """An active volunteer tried to redeem an invite; the invite was left unused."""


class InviteInvalid(DeskError):
    """The invite code is malformed, unknown, already used or expired (deliberately not said)."""


class CaseNotFound(DeskError):
    """No case has that reference."""


class CaseNotAvailable(DeskError):
    """The case cannot be claimed: another volunteer holds it, or it is closed."""

    def __init__(self, status: str) -> None:
        super().__init__(f"case is {status}")
        self.status = status


class CaseStateError(DeskError):
    """The case is not in a state that allows this (release a case nobody holds, close twice)."""


# --- volunteers --------------------------------------------------------------------------------

# Plain, neutral words: a handle says nothing about who is behind it.
_HANDLE_FIRST = (
    "amber", "brave", "calm", "clear", "quiet", "early", "gentle", "golden", "green", "grey",
    "kind", "late", "light", "lucky", "mellow", "misty", "noble", "patient", "plain", "proud",
    "quick", "rapid", "silent", "silver", "simple", "soft", "steady", "still", "sunny", "swift",
    "tidy", "warm", "wise", "young", "bold", "bright", "cool", "deep", "fair", "fresh",
)  # fmt: skip
_HANDLE_SECOND = (
    "otter", "heron", "badger", "beaver", "crane", "eagle", "falcon", "ferret", "finch", "fox",
    "hare", "hawk", "ibis", "jay", "lark", "lynx", "marten", "mole", "moose", "owl",
    "panda", "pike", "puffin", "raven", "robin", "salmon", "seal", "sparrow", "stork", "swan",
    "swift", "teal", "tern", "thrush", "trout", "vole", "walrus", "wolf", "wren", "yak",
)  # fmt: skip
_HANDLE_ATTEMPTS = 20


def new_handle() -> str:
    """A random pseudonymous handle such as "quiet-otter-42" (about 17 bits: unique by retry)."""
    first = secrets.choice(_HANDLE_FIRST)
    second = secrets.choice(_HANDLE_SECOND)
    return f"{first}-{second}-{secrets.randbelow(100):02d}"


def volunteer_record(volunteer_id: str) -> str:
    return f"volunteer:{volunteer_id}"


def _chat_bytes(chat_id: int) -> bytes:
    if isinstance(chat_id, bool) or not isinstance(chat_id, int):
        raise TypeError("chat_id must be an int")
    return str(chat_id).encode()


def _check_role(role: str) -> None:
    if role not in VOLUNTEER_ROLES:
        raise ValueError(f"role must be one of {', '.join(VOLUNTEER_ROLES)}")


def volunteer_chat_id(cipher: Cipher, volunteer: Volunteer) -> int:
    """Decrypt the chat id the bot needs to write to this volunteer."""
    record = volunteer_record(volunteer.id)
    data_key = cipher.unwrap_key(volunteer.key_blob, record)
    return int(cipher.decrypt(data_key, record, "chat_id", volunteer.chat_enc))


async def _volunteer_by_pseudonym(session: AsyncSession, pseudonym: str) -> Volunteer | None:
    """Active or revoked."""
    return await session.scalar(select(Volunteer).where(Volunteer.pseudonym == pseudonym))


async def _create_volunteer(
    session: AsyncSession,
    cipher: Cipher,
    *,
    pseudonym: str,
    chat_id: int,
    language: str,
    role: str,
) -> tuple[Volunteer, bool]:
    """Insert a volunteer with a fresh data key and handle; (volunteer, True) if created.

    If another process created the same pseudonym first, returns (theirs, False). A handle
    collision is retried with a new handle.
    """
    _check_role(role)
    volunteer_id = new_id()
    record = volunteer_record(volunteer_id)
    data_key = cipher.new_data_key()
    now = utcnow()
    values: dict[str, Any] = {
        "id": volunteer_id,
        "pseudonym": pseudonym,
        "role": role,
        "key_blob": cipher.wrap_key(data_key, record),
        "chat_enc": cipher.encrypt(data_key, record, "chat_id", _chat_bytes(chat_id)),
        "language": language,
        "created_at": now,
        "last_active_at": this_hour(),
        "revoked_at": None,
    }
    for _ in range(_HANDLE_ATTEMPTS):
        values["handle"] = new_handle()
        if await insert_unless_conflict(session, Volunteer, values):
            return await session.get_one(Volunteer, volunteer_id), True
        existing = await _volunteer_by_pseudonym(session, pseudonym)
        if existing is not None:
            return existing, False
    raise RuntimeError("no free volunteer handle found; the handle space may be exhausted")


async def ensure_admin(
    session: AsyncSession, cipher: Cipher, *, pseudonym: str, chat_id: int, language: str
) -> Volunteer:
    """Bootstrap an admin from configuration: create them if this account was never seen.

    An account that was ever a volunteer is returned as it is, revoked or not: configuration
    only bootstraps, it never restores access an admin took away (`/revoke`), nor changes a
    role. Only an invite (`redeem_invite`) brings a revoked account back.
    """
    volunteer = await _volunteer_by_pseudonym(session, pseudonym)
    if volunteer is None:
        volunteer, _ = await _create_volunteer(
            session, cipher, pseudonym=pseudonym, chat_id=chat_id, language=language, role="admin"
        )
    return volunteer


async def find_volunteer(session: AsyncSession, pseudonym: str) -> Volunteer | None:
    """The active volunteer with this pseudonym; None if unknown or revoked."""
    query = select(Volunteer).where(
        Volunteer.pseudonym == pseudonym, Volunteer.revoked_at.is_(None)
    )
    return await session.scalar(query)


async def find_volunteer_by_handle(session: AsyncSession, handle: str) -> Volunteer | None:
    """Any volunteer (active or revoked) by handle; "@Quiet-Otter-42 " is read as typed."""
    cleaned = handle.strip().removeprefix("@").lower()
    return await session.scalar(select(Volunteer).where(Volunteer.handle == cleaned))


async def touch(session: AsyncSession, volunteer: Volunteer) -> None:
    """Record activity, to the hour (finer times would only help someone correlate)."""
    hour = this_hour()
    if volunteer.last_active_at == hour:
        return
    await session.execute(
        update(Volunteer)
        .where(Volunteer.id == volunteer.id)
        .values(last_active_at=hour)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(volunteer, "last_active_at", hour)


async def active_volunteers(session: AsyncSession) -> Sequence[Volunteer]:
    """Volunteers who are not revoked, oldest first."""
    query = (
        select(Volunteer)
        .where(Volunteer.revoked_at.is_(None))
        .order_by(Volunteer.created_at, Volunteer.handle)
    )
    return (await session.scalars(query)).all()


async def list_volunteers(session: AsyncSession) -> Sequence[Volunteer]:
    """All volunteers including revoked ones, oldest first (for admins)."""
    query = select(Volunteer).order_by(Volunteer.created_at, Volunteer.handle)
    return (await session.scalars(query)).all()


async def revoke(session: AsyncSession, handle: str) -> tuple[Volunteer, int]:
    """Revoke a volunteer; returns them and how many cases they held went back to the queue.

    Also forgets where their relayed messages pointed and expires the invites they created and
    nobody used yet (an infiltrated account must not leave open doors behind). Revoking twice
    keeps the first revocation time.
    """
    volunteer = await find_volunteer_by_handle(session, handle)
    if volunteer is None:
        raise VolunteerNotFound("no volunteer has that handle")
    now = utcnow()
    if volunteer.revoked_at is None:
        volunteer.revoked_at = now
    released = await session.execute(
        update(Case)
        .where(Case.volunteer_id == volunteer.id, Case.status == "taken")
        .values(status="waiting", volunteer_id=None, taken_at=None, announced_at=None)
        .execution_options(synchronize_session="evaluate")
    )
    await session.execute(delete(RelayLink).where(RelayLink.volunteer_id == volunteer.id))
    await session.execute(
        update(Invite)
        .where(Invite.created_by == volunteer.id, Invite.used_at.is_(None), Invite.expires_at > now)
        .values(expires_at=now)
        .execution_options(synchronize_session="evaluate")
    )
    await session.flush()
    return volunteer, int(released.rowcount)


def _check_active(volunteer: Volunteer) -> None:
    if volunteer.revoked_at is not None:
        raise VolunteerRevoked("this volunteer's access was revoked")


# --- invites -----------------------------------------------------------------------------------

_INVITE_LENGTH = 12  # 60 bits of Crockford base32
_INVITE_GROUP = 4
_CROCKFORD_ALIASES = str.maketrans("OIL", "011")


def new_invite_code() -> str:
    """A one-time invite code, 60 random bits, typed as XXXX-XXXX-XXXX (Crockford base32)."""
    raw = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(_INVITE_LENGTH))
    return "-".join(raw[i : i + _INVITE_GROUP] for i in range(0, _INVITE_LENGTH, _INVITE_GROUP))


def normalize_invite_code(text: str) -> str | None:
    """Canonical form of what someone typed (case, spaces, dashes, O/I/L forgiven), or None."""
    cleaned = "".join(text.split()).replace("-", "").upper().translate(_CROCKFORD_ALIASES)
    if len(cleaned) != _INVITE_LENGTH or any(c not in REFERENCE_ALPHABET for c in cleaned):
        return None
    return "-".join(cleaned[i : i + _INVITE_GROUP] for i in range(0, _INVITE_LENGTH, _INVITE_GROUP))


def hash_invite_code(hasher: Pseudonymizer, code: str) -> str:
    """The keyed hash (HMAC-SHA256) stored for an invite code; raises InviteInvalid if malformed.

    Only the hash is stored, so a copy of the database does not hold usable invites.
    """
    canonical = normalize_invite_code(code)
    if canonical is None:
        raise InviteInvalid("that is not an invite code")
    return hasher("invite", canonical)


async def create_invite(
    session: AsyncSession, *, code_hash: str, role: str, created_by: Volunteer, ttl: timedelta
) -> Invite:
    """Store a new invite (by the hash of its code) that expires after `ttl`."""
    _check_role(role)
    _check_active(created_by)
    if ttl <= timedelta(0):
        raise ValueError("an invite must live for a positive time")
    now = utcnow()
    invite = Invite(
        id=new_id(),
        code_hash=code_hash,
        role=role,
        created_by=created_by.id,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(invite)
    await session.flush()
    return invite


async def redeem_invite(
    session: AsyncSession,
    cipher: Cipher,
    *,
    code_hash: str,
    pseudonym: str,
    chat_id: int,
    language: str,
) -> Volunteer:
    """Use an invite: create the volunteer; a revoked account gets a fresh identity.

    A fresh identity is a new id and handle: the revoked one stays (revoked) in the audit trail,
    with every case it held, and the "rejoin" event names it, for admins only.

    Atomic: of several people redeeming one code at the same moment exactly one succeeds.
    Raises InviteInvalid (unknown, used or expired: not told apart) or AlreadyVolunteer (the
    invite is then left unused).
    """
    existing = await _volunteer_by_pseudonym(session, pseudonym)
    if existing is not None and existing.revoked_at is None:
        raise AlreadyVolunteer("already an active volunteer")
    now = utcnow()
    claimed = await session.execute(
        update(Invite)
        .where(Invite.code_hash == code_hash, Invite.used_at.is_(None), Invite.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise InviteInvalid("the invite is unknown, used or expired")
    invite = await session.scalar(
        select(Invite)
        .where(Invite.code_hash == code_hash)
        .execution_options(populate_existing=True)
    )
    if invite is None:  # pragma: no cover - only if the row vanished between two statements
        raise InviteInvalid("the invite is unknown, used or expired")
    if existing is not None:
        # Re-joining after a revocation starts a fresh identity: the old row keeps its handle
        # (for the audit trail) and the cases it held, but no longer answers to this account,
        # so nothing held before (a closed case, a relayed message) is reachable again.
        await session.execute(
            update(Volunteer)
            .where(Volunteer.id == existing.id)
            .values(pseudonym=retired_pseudonym(existing.id))
            .execution_options(synchronize_session=False)
        )
        set_committed_value(existing, "pseudonym", retired_pseudonym(existing.id))
    volunteer, created = await _create_volunteer(
        session, cipher, pseudonym=pseudonym, chat_id=chat_id, language=language,
        role=invite.role,
    )  # fmt: skip
    if not created:
        # The same person redeemed another invite at the same moment and won.
        raise AlreadyVolunteer("already an active volunteer")
    invite.used_by = volunteer.id
    await session.flush()
    if existing is not None:
        await record(session, "rejoin", actor=volunteer, detail=f"was {existing.handle}")
    return volunteer


def retired_pseudonym(volunteer_id: str) -> str:
    """What a revoked identity is known by once its account re-joined: no account's pseudonym."""
    return f"retired:{volunteer_id}"


# --- the queue ---------------------------------------------------------------------------------

_QUEUE_ORDER = (Case.priority, Case.created_at, Case.minute_order, Case.id)
_CLAIM_BATCH = 16
_CLAIM_ROUNDS = 64
_LOCKED_PAUSE = 0.05  # seconds
_CASE_STATE = (
    "status",
    "volunteer_id",
    "taken_at",
    "first_reply_at",
    "closed_at",
    "close_reason_enc",
    "announced_at",
    "updated_at",
    "created_at",
    "minute_order",
)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def _reload(session: AsyncSession, case: Case | str) -> Case:
    """Re-read a case after a bulk UPDATE; a detached object passed in is brought up to date."""
    case_id = case if isinstance(case, str) else case.id
    fresh = await session.get(Case, case_id, populate_existing=True)
    if fresh is None:
        raise CaseNotFound("the case no longer exists")
    if isinstance(case, Case) and fresh is not case:
        for name in _CASE_STATE:
            set_committed_value(case, name, getattr(fresh, name))
    return fresh


async def _take(session: AsyncSession, case_id: str, volunteer: Volunteer) -> bool:
    """Conditional UPDATE: True if this volunteer turned the waiting case into theirs."""
    now = utcnow()
    result = await session.execute(
        update(Case)
        .where(Case.id == case_id, Case.status == "waiting", _not_held_back())
        .values(status="taken", volunteer_id=volunteer.id, taken_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def waiting_cases(session: AsyncSession, limit: int = 50) -> Sequence[Case]:
    """The queue: most urgent first (priority 1), then oldest first."""
    query = (
        select(Case)
        .where(Case.status == "waiting", _not_held_back())
        .order_by(*_QUEUE_ORDER)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def claim_next(session: AsyncSession, volunteer: Volunteer) -> Case | None:
    """Take the first case of the queue; None only when no case is waiting.

    PostgreSQL: the candidate row is locked with SKIP LOCKED, so volunteers claiming at once
    each get a different case without waiting on each other; the lock lasts until the caller
    commits. SQLite (one writer at a time): a conditional UPDATE, and on losing a race the next
    candidate.
    """
    _check_active(volunteer)
    postgres = _dialect(session) == "postgresql"
    for _ in range(_CLAIM_ROUNDS):
        query = (
            select(Case.id)
            .where(Case.status == "waiting", _not_held_back())
            .order_by(*_QUEUE_ORDER)
        )
        if postgres:
            query = query.limit(1).with_for_update(skip_locked=True)
        else:
            query = query.limit(_CLAIM_BATCH)
        candidates = (await session.scalars(query)).all()
        if not candidates:
            if postgres and await _any_waiting(session):
                # Every waiting row is locked for a moment (another claim, or a notice being
                # marked as sent): wait briefly rather than say the queue is empty.
                await asyncio.sleep(_LOCKED_PAUSE)
                continue
            return None
        for case_id in candidates:
            if await _take(session, case_id, volunteer):
                return await _reload(session, case_id)
    raise RuntimeError("could not claim a case: the queue kept changing")  # pragma: no cover


async def _any_waiting(session: AsyncSession) -> bool:
    found = await session.scalar(
        select(Case.id).where(Case.status == "waiting", _not_held_back()).limit(1)
    )
    return found is not None


async def claim(session: AsyncSession, volunteer: Volunteer, reference: str) -> Case:
    """Take a particular case by its reference (as typed).

    Raises CaseNotFound, or CaseNotAvailable if someone else holds it or it is closed; claiming
    a case one already holds returns it.
    """
    _check_active(volunteer)
    case = await get_case_by_reference(session, reference)
    if case is None:
        raise CaseNotFound("no case has that reference")
    if await _take(session, case.id, volunteer):
        return await _reload(session, case)
    case = await _reload(session, case)
    if case.status == "taken" and case.volunteer_id == volunteer.id:
        return case
    raise CaseNotAvailable(case.status)


async def cases_held_by(session: AsyncSession, volunteer: Volunteer) -> Sequence[Case]:
    """The open cases a volunteer holds, in the order they took them."""
    query = (
        select(Case)
        .where(Case.volunteer_id == volunteer.id, Case.status == "taken")
        .order_by(Case.taken_at, Case.id)
    )
    return (await session.scalars(query)).all()


async def release(session: AsyncSession, case: Case) -> Case:
    """Put a taken case back into the queue (it will be announced again).

    The releasing volunteer's relay links to it are dropped: replying to an old relayed
    message must not reach a case they no longer hold. Raises CaseStateError unless the case
    is still held by the volunteer recorded on `case`.
    """
    holder = case.volunteer_id
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.status == "taken", Case.volunteer_id == holder)
        .values(status="waiting", volunteer_id=None, taken_at=None, announced_at=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise CaseStateError("the case is not held by that volunteer")
    if holder is not None:
        await session.execute(
            delete(RelayLink).where(RelayLink.case_id == case.id, RelayLink.volunteer_id == holder)
        )
    return await _reload(session, case)


async def current_key_blob(session: AsyncSession, case: Case) -> bytes:
    """The case's wrapped data key as it is now, locked until the caller commits.

    Whatever is encrypted under the case's key must use this, not the copy loaded earlier: a
    full re-key (`storage.rotation.rekey`) may have replaced the key meanwhile, and on
    PostgreSQL this lock (FOR NO KEY UPDATE) makes the re-key wait, or this wait for it.
    """
    blob = await session.scalar(
        select(Case.key_blob).where(Case.id == case.id).with_for_update(key_share=True)
    )
    if blob is None:
        return case.key_blob  # gone: the caller's write fails on its own
    if blob != case.key_blob:
        set_committed_value(case, "key_blob", blob)
    return bytes(blob)


async def close(session: AsyncSession, cipher: Cipher, case: Case, reason: str | None) -> Case:
    """Close a waiting or taken case; the optional reason is encrypted under the case's key.

    The holder stays recorded (for statistics). Raises CaseStateError if already closed.
    """
    reason_enc = None
    if reason is not None:
        record = case_record(case.id)
        data_key = cipher.unwrap_key(await current_key_blob(session, case), record)
        reason_enc = cipher.encrypt(data_key, record, "close_reason", reason.encode())
    now = utcnow()
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.status != "closed")
        .values(status="closed", closed_at=now, close_reason_enc=reason_enc, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise CaseStateError("the case is already closed")
    await coarsen_closed_case(session, case.id)
    return await _reload(session, case)


async def reopen(session: AsyncSession, case: Case) -> str | None:
    """Put a closed case back into the queue (its person asked to); returns its last holder's id.

    It is announced again like a new case; nobody holds it until someone takes it. The internal
    close reason is kept (a later close without a reason clears it). Raises CaseStateError
    unless the case is closed.
    """
    holder = case.volunteer_id
    now = utcnow()
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.status == "closed")
        .values(
            status="waiting",
            volunteer_id=None,
            taken_at=None,
            closed_at=None,
            announced_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise CaseStateError("the case is not closed")
    await _reload(session, case)
    return holder


def close_reason(cipher: Cipher, case: Case) -> str | None:
    """The decrypted reason a case was closed with, if one was given."""
    if case.close_reason_enc is None:
        return None
    record = case_record(case.id)
    data_key = cipher.unwrap_key(case.key_blob, record)
    return cipher.decrypt(data_key, record, "close_reason", case.close_reason_enc).decode()


async def latest_open_case_of_person(session: AsyncSession, person_id: str) -> Case | None:
    """The person's newest case that is waiting or taken."""
    query = (
        select(Case)
        .where(Case.person_id == person_id, Case.status != "closed")
        .order_by(Case.person_order.desc(), Case.created_at.desc(), Case.id.desc())
        .limit(1)
    )
    return await session.scalar(query)


async def latest_case_of_person(session: AsyncSession, person_id: str) -> Case | None:
    """The person's newest case, whatever its status."""
    query = (
        select(Case)
        .where(Case.person_id == person_id)
        .order_by(Case.person_order.desc(), Case.created_at.desc(), Case.id.desc())
        .limit(1)
    )
    return await session.scalar(query)


async def due_for_announcement(
    session: AsyncSession, *, older_than: timedelta, max_priority: int
) -> Sequence[Case]:
    """Waiting cases of priority <= max_priority never announced or last announced long ago."""
    cutoff = utcnow() - older_than
    query = (
        select(Case)
        .where(
            Case.status == "waiting",
            _not_held_back(),
            Case.priority <= max_priority,
            # Kept to the minute: due once the announcing minute is `older_than` past.
            Case.announced_at.is_(None) | (Case.announced_at <= cutoff),
        )
        .order_by(*_QUEUE_ORDER)
    )
    return (await session.scalars(query)).all()


async def mark_announced(session: AsyncSession, case: Case) -> None:
    """Record that the desk was told about the case.

    Not a change to the case: `updated_at` is kept, or an urgent case re-announced every few
    hours would never look untouched (`storage.retention.stale_open_cases`).
    """
    now = utcnow()
    await session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(announced_at=now, updated_at=Case.updated_at)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(case, "announced_at", now)


# --- blocking ----------------------------------------------------------------------------------


async def block_person_of_case(
    session: AsyncSession, case: Case, *, silent: bool = False
) -> Person:
    """Block the person who wrote `case` (a provocateur, a flood); returns them.

    A plain block refuses their new requests and tells them so. A silent block lets them go
    on as before (questionnaire, confirmation, /status, messages to their open request), but
    holds their requests back: none reaches the queue, a notice or /take, and the one they
    have waiting leaves the queue too. Blocking again keeps the first date and sets the kind
    of block. The date is kept to the day, like every other time stored about a person.
    Blocked people are never removed by retention.
    """
    await session.execute(
        update(Person)
        .where(Person.id == case.person_id, Person.blocked_at.is_(None))
        .values(blocked_at=today())
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Person)
        .where(Person.id == case.person_id)
        .values(blocked_silently=silent)
        .execution_options(synchronize_session=False)
    )
    person = await session.get(Person, case.person_id, populate_existing=True)
    if person is None:
        raise CaseNotFound("the person of that case no longer exists")
    return person


async def unblock_person_of_case(session: AsyncSession, case: Case) -> tuple[Person, int]:
    """Lift a block; returns the person and how many of their requests are now in the queue."""
    person = await session.get(Person, case.person_id, populate_existing=True)
    if person is None:
        raise CaseNotFound("the person of that case no longer exists")
    back = 0
    if person.blocked_silently:
        back = int(
            await session.scalar(
                select(func.count())
                .select_from(Case)
                .where(Case.person_id == person.id, Case.status == "waiting")
            )
            or 0
        )
    await session.execute(
        update(Person)
        .where(Person.id == person.id)
        .values(blocked_at=None, blocked_silently=False)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(person)
    return person, back


def is_blocked(person: Person) -> bool:
    return person.blocked_at is not None


def _not_held_back() -> Any:
    """Cases that may reach the desk: not written by someone who is blocked silently."""
    held = select(Person.id).where(Person.blocked_silently.is_(True))
    return Case.person_id.not_in(held)


async def held_back_cases(session: AsyncSession) -> Sequence[Case]:
    """Waiting requests of silently blocked people (for admins; never announced)."""
    query = select(Case).where(Case.status == "waiting", ~_not_held_back()).order_by(*_QUEUE_ORDER)
    return (await session.scalars(query)).all()


async def is_held_back(session: AsyncSession, case: Case) -> bool:
    person = await session.get(Person, case.person_id)
    return person is not None and person.blocked_silently


# --- conversation entries ----------------------------------------------------------------------


def _entry_field(entry_id: str) -> str:
    return f"entry:{entry_id}"


async def add_entry(
    session: AsyncSession,
    cipher: Cipher,
    case: Case,
    *,
    kind: str,
    body: str,
    author: Volunteer | None,
    delivered: bool = False,
) -> CaseEntry:
    """Append a message to a case, encrypted under the case's data key.

    kind "person" (what the person wrote; no author), "volunteer" (a reply relayed to the
    person) or "note" (internal, between volunteers); the last two need an author. The first
    "volunteer" entry sets the case's first_reply_at.
    """
    if kind not in ENTRY_KINDS:
        raise ValueError(f"kind must be one of {', '.join(ENTRY_KINDS)}")
    if (kind == "person") != (author is None):
        raise ValueError("person entries have no author; volunteer entries and notes need one")
    record = case_record(case.id)
    data_key = cipher.unwrap_key(await current_key_blob(session, case), record)
    entry_id = new_id()
    now = today() if case.status == "closed" else this_minute()  # see storage.coarse
    entry = CaseEntry(
        id=entry_id,
        case_id=case.id,
        kind=kind,
        author_id=None if author is None else author.id,
        body_enc=cipher.encrypt(data_key, record, _entry_field(entry_id), body.encode()),
        created_at=now,
        delivered=delivered,
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
        if result.rowcount == 1:
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
    """Decrypt entries of one case, unwrapping its key once; keeps the given order."""
    record = case_record(case.id)
    data_key = cipher.unwrap_key(case.key_blob, record)
    out = []
    for entry in entries:
        if entry.case_id != case.id:
            raise ValueError("entry belongs to another case")
        text = cipher.decrypt(data_key, record, _entry_field(entry.id), entry.body_enc).decode()
        out.append((entry, text))
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


async def undelivered_person_entries(session: AsyncSession, case: Case) -> Sequence[CaseEntry]:
    """What the person wrote that no volunteer has been shown yet, oldest first."""
    query = (
        select(CaseEntry)
        .where(
            CaseEntry.case_id == case.id,
            CaseEntry.kind == "person",
            CaseEntry.delivered.is_(False),
        )
        .order_by(CaseEntry.seq, CaseEntry.created_at, CaseEntry.id)
    )
    return (await session.scalars(query)).all()


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
    dialect = _dialect(session)
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


# --- audit -------------------------------------------------------------------------------------

_ACTION_MAX = 32
_DETAIL_MAX = 100


async def record(
    session: AsyncSession,
    action: str,
    *,
    actor: Volunteer | None,
    case: Case | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Append to the audit log: action, the actor's handle, the case reference, a short detail.

    Only handles and references are stored, never ids or content, so the trail survives (and
    says nothing more once) a case is erased. `detail` must be non-personal (a handle, a canned
    reply key).
    """
    if not action or len(action) > _ACTION_MAX:
        raise ValueError(f"action must be 1-{_ACTION_MAX} characters")
    if detail is not None and len(detail) > _DETAIL_MAX:
        raise ValueError(f"detail must be at most {_DETAIL_MAX} characters")
    event = AuditEvent(
        at=today() if case is not None and case.status == "closed" else this_minute(),
        action=action,
        actor_handle=None if actor is None else actor.handle,
        case_reference=None if case is None else case.reference,
        detail=detail,
    )
    session.add(event)
    await session.flush()
    return event


async def trail(session: AsyncSession, reference: str) -> Sequence[AuditEvent]:
    """Everything recorded about a case reference (as typed), oldest first."""
    canonical = normalize_reference(reference)
    if canonical is None:
        return []
    query = (
        select(AuditEvent)
        .where(AuditEvent.case_reference == canonical)
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return (await session.scalars(query)).all()


# --- statistics --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeskStats:
    waiting: int
    taken: int
    closed: int
    median_first_reply: timedelta | None
    oldest_waiting_age: timedelta | None
    active_volunteers: int


async def category_counts(session: AsyncSession) -> dict[str, int]:
    """How many cases exist per category (aggregate only, for public reports)."""
    rows = await session.execute(select(Case.category, func.count()).group_by(Case.category))
    return {str(category): int(count) for category, count in rows.all()}


async def desk_stats(session: AsyncSession) -> DeskStats:
    """Counts by status, median time to first reply, age of the oldest waiting case, volunteers."""
    counts = dict.fromkeys(CASE_STATUSES, 0)
    rows = await session.execute(select(Case.status, func.count()).group_by(Case.status))
    for status, count in rows.all():
        counts[status] = int(count)
    # Requests held back by a silent block are not waiting for the desk.
    counts["waiting"] -= len(await held_back_cases(session))
    replied = await session.scalars(
        select(Case.first_reply_minutes).where(Case.first_reply_minutes.is_not(None))
    )
    delays = [timedelta(minutes=minutes) for minutes in replied.all()]
    oldest: datetime | None = await session.scalar(
        select(Case.created_at)
        .where(Case.status == "waiting", _not_held_back())
        .order_by(Case.created_at)
        .limit(1)
    )
    volunteers = await session.scalar(
        select(func.count()).select_from(Volunteer).where(Volunteer.revoked_at.is_(None))
    )
    return DeskStats(
        waiting=counts["waiting"],
        taken=counts["taken"],
        closed=counts["closed"],
        median_first_reply=statistics.median(delays) if delays else None,
        oldest_waiting_age=None if oldest is None else utcnow() - oldest,
        active_volunteers=int(volunteers or 0),
    )
