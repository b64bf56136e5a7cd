"""Persistence of volunteers and the invites that make them.

Volunteers appear to colleagues and in the audit log only by a random handle; their chat ids
are encrypted under their own data keys. Functions never commit: the caller owns the
transaction. Redeeming an invite is a conditional UPDATE whose row count says who won.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.audit import record
from storage.cases import REFERENCE_ALPHABET
from storage.crypto import Cipher, Pseudonymizer, SealedRecord
from storage.db import insert_unless_conflict, rowcount
from storage.errors import AlreadyVolunteer, InviteInvalid, VolunteerNotFound, check_active
from storage.models import (
    VOLUNTEER_ROLES,
    Case,
    Invite,
    RelayLink,
    Reminder,
    Volunteer,
    VolunteerTeam,
    new_id,
    this_hour,
    utcnow,
)

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


# The field sealed under a volunteer's data key.
CHAT_ID = "chat_id"


def volunteer_record(volunteer_id: str) -> str:
    return f"volunteer:{volunteer_id}"


def sealed_volunteer(cipher: Cipher, volunteer: Volunteer) -> SealedRecord:
    """Open a stored volunteer's record."""
    return cipher.record(volunteer_record(volunteer.id), volunteer.key_blob)


def _chat_bytes(chat_id: int) -> bytes:
    if isinstance(chat_id, bool) or not isinstance(chat_id, int):
        raise TypeError("chat_id must be an int")
    return str(chat_id).encode()


def _check_role(role: str) -> None:
    if role not in VOLUNTEER_ROLES:
        raise ValueError(f"role must be one of {', '.join(VOLUNTEER_ROLES)}")


def volunteer_chat_id(cipher: Cipher, volunteer: Volunteer) -> int:
    """Decrypt the chat id the bot needs to write to this volunteer."""
    return int(sealed_volunteer(cipher, volunteer).open(CHAT_ID, volunteer.chat_enc))


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
    sealed, key_blob = cipher.new_record(volunteer_record(volunteer_id))
    now = utcnow()
    values: dict[str, Any] = {
        "id": volunteer_id,
        "pseudonym": pseudonym,
        "role": role,
        "key_blob": key_blob,
        "chat_enc": sealed.seal(CHAT_ID, _chat_bytes(chat_id)),
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


async def teams_of(session: AsyncSession, volunteer: Volunteer) -> set[str]:
    """The teams a volunteer is in (empty: in none)."""
    query = select(VolunteerTeam.team).where(VolunteerTeam.volunteer_id == volunteer.id)
    return set((await session.scalars(query)).all())


async def change_teams(
    session: AsyncSession, volunteer: Volunteer, *, add: Iterable[str], remove: Iterable[str]
) -> set[str]:
    """Put a volunteer in and out of teams; returns the teams they are in now."""
    have = await teams_of(session, volunteer)
    removed = set(remove) & have
    if removed:
        await session.execute(
            delete(VolunteerTeam).where(
                VolunteerTeam.volunteer_id == volunteer.id, VolunteerTeam.team.in_(removed)
            )
        )
    for team in sorted(set(add) - have):
        await insert_unless_conflict(
            session, VolunteerTeam, {"volunteer_id": volunteer.id, "team": team},
            ["volunteer_id", "team"],
        )  # fmt: skip
    return (have - removed) | set(add)


async def memberships(session: AsyncSession) -> dict[str, set[str]]:
    """Every active volunteer's id with the teams they are in (an empty set: in none)."""
    members: dict[str, set[str]] = {v.id: set() for v in await active_volunteers(session)}
    query = select(VolunteerTeam.volunteer_id, VolunteerTeam.team)
    for volunteer_id, team in (await session.execute(query)).all():
        if volunteer_id in members:
            members[volunteer_id].add(team)
    return members


async def set_on_duty(session: AsyncSession, volunteer: Volunteer, on_duty: bool) -> None:
    """/duty on or off, for this volunteer."""
    await session.execute(
        update(Volunteer)
        .where(Volunteer.id == volunteer.id)
        .values(on_duty=on_duty)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(volunteer, "on_duty", on_duty)


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
    await session.execute(delete(Reminder).where(Reminder.volunteer_id == volunteer.id))
    await session.execute(
        update(Invite)
        .where(Invite.created_by == volunteer.id, Invite.used_at.is_(None), Invite.expires_at > now)
        .values(expires_at=now)
        .execution_options(synchronize_session="evaluate")
    )
    await session.flush()
    return volunteer, int(rowcount(released))


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
    check_active(created_by)
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
    if rowcount(claimed) != 1:
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
