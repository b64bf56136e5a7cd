"""Persistence of cases: creation, the queue, claims, closing, announcements.

Functions take the session (and the cipher where plaintext is involved) and never commit: the
caller owns the transaction, so one update's writes land together or not at all. State changes
that two people may attempt at once (claiming a case) are conditional UPDATEs whose row count
says who won, so the loser learns it without an error that would abort the transaction.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import delete, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.coarse import coarsen_closed_case, next_minute_order, next_person_order
from storage.crypto import Cipher, DecryptionError, SealedRecord
from storage.db import insert_unless_conflict, rowcount
from storage.errors import CaseNotAvailable, CaseNotFound, CaseStateError, check_active
from storage.models import (
    Case,
    CaseEntry,
    Person,
    RelayLink,
    Reminder,
    Volunteer,
    new_id,
    this_minute,
    utcnow,
)

REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_REFERENCE_LENGTH = 8
_REFERENCE_ATTEMPTS = 10
# Crockford base32 reads these letters as the digits they resemble.
_REFERENCE_ALIASES = str.maketrans("OIL", "011")


# Fields sealed under a case's data key (its entries too: see `storage.entries`).
ANSWERS = "answers"
CLOSE_REASON = "close_reason"
CODEWORD = "codeword"


def case_record(case_id: str) -> str:
    return f"case:{case_id}"


def answers_record(case_id: str) -> str:
    """The record of a case's answers when they have a key of their own (sealed mode)."""
    return f"case-answers:{case_id}"


def sealed_answers(cipher: Cipher, case: Case) -> SealedRecord:
    """Open the record a case's answers and codeword hash are sealed under: a key of their own
    when the intake side sealed them to the desk (`Case.answers_key_blob`), else the case's."""
    if case.answers_key_blob is not None:
        return cipher.record(answers_record(case.id), case.answers_key_blob)
    return sealed_case(cipher, case)


def sealed_case(cipher: Cipher, case: Case) -> SealedRecord:
    """Open a loaded case's record, to read its fields."""
    return cipher.record(case_record(case.id), case.key_blob)


async def sealed_case_to_write(session: AsyncSession, cipher: Cipher, case: Case) -> SealedRecord:
    """Open a case's record under its key as it is now, read under lock, to seal a field.

    The copy of the key loaded earlier may have been replaced by a concurrent re-key, and a
    field sealed under it would never open again (see `current_key_blob`).
    """
    return cipher.record(case_record(case.id), await current_key_blob(session, case))


def new_reference() -> str:
    """A short public case reference: 40 random bits, shown as XXXX-XXXX."""
    raw = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(_REFERENCE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_reference(text: str) -> str | None:
    """Canonical XXXX-XXXX form of what someone typed, or None if it cannot be a reference."""
    cleaned = "".join(text.split()).replace("-", "").upper().translate(_REFERENCE_ALIASES)
    if len(cleaned) != _REFERENCE_LENGTH or any(c not in REFERENCE_ALPHABET for c in cleaned):
        return None
    return f"{cleaned[:4]}-{cleaned[4:]}"


async def create_case(
    session: AsyncSession,
    cipher: Cipher,
    *,
    person: Person,
    answers: dict[str, Any],
    priority: int,
    category: str,
    language: str,
    team: str | None = None,
    tags: Sequence[str] = (),
    codeword: str = "",
) -> Case:
    """Store a new waiting case under its own data key (deleting the row shreds its content),
    in the queue of `team` with `tags` (dialogs/routing.yaml), with the hash of the person's
    codeword if they set one.

    A side that can only seal (the intake in sealed mode) gives the answers a key of their
    own as well, so that it can replace them later without opening the case's key."""
    if priority < 1:
        raise ValueError("priority starts at 1 (most urgent)")
    case_id = new_id()
    sealed, key_blob = cipher.new_record(case_record(case_id))
    answers_key_blob = None
    if not cipher.can_open:
        sealed, answers_key_blob = cipher.new_record(answers_record(case_id))
    now = this_minute()  # no stored time is finer (see storage.coarse)
    values: dict[str, Any] = {
        "id": case_id,
        "person_id": person.id,
        "status": "waiting",
        "priority": priority,
        "category": category,
        "language": language,
        "team": team,
        "tags": join_tags(tags),
        "key_blob": key_blob,
        "answers_key_blob": answers_key_blob,
        "answers_enc": sealed.seal_json(ANSWERS, answers),
        "codeword_enc": sealed.seal_text(CODEWORD, codeword) if codeword else None,
        "created_at": now,
        "updated_at": now,
        "minute_order": await next_minute_order(session, now),
        "person_order": await next_person_order(session, person.id),
    }
    for _ in range(_REFERENCE_ATTEMPTS):
        values["reference"] = new_reference()
        if await insert_unless_conflict(session, Case, values, ["reference"]):
            return await session.get_one(Case, case_id)
    raise RuntimeError("no free case reference found; the reference space may be exhausted")


def join_tags(tags: Sequence[str]) -> str:
    """Tags as stored: ids separated by spaces, in the order routing gave them."""
    return " ".join(dict.fromkeys(tags))


def case_tags(case: Case) -> list[str]:
    return case.tags.split() if case.tags else []


async def set_route(session: AsyncSession, case: Case, team: str, tags: Sequence[str]) -> Case:
    """Give a case its team and tags anew (a request sent early, now answered in full)."""
    await session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(team=team, tags=join_tags(tags), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    fresh = await _reload(session, case)
    set_committed_value(case, "team", fresh.team)
    set_committed_value(case, "tags", fresh.tags)
    return fresh


def case_answers(cipher: Cipher, case: Case) -> dict[str, Any]:
    answers = sealed_answers(cipher, case).open_json(ANSWERS, case.answers_enc)
    if not isinstance(answers, dict):
        raise DecryptionError("case answers are not a mapping")
    return answers


async def get_case_by_reference(session: AsyncSession, reference: str) -> Case | None:
    """Look a case up by what a volunteer typed: any case, dash optional, O/I/L read as 0/1/1."""
    canonical = normalize_reference(reference)
    if canonical is None:
        return None
    return await session.scalar(select(Case).where(Case.reference == canonical))


async def cases_of_person(session: AsyncSession, person_id: str) -> Sequence[Case]:
    """A person's cases, oldest first."""
    query = (
        select(Case)
        .where(Case.person_id == person_id)
        .order_by(Case.person_order, Case.created_at, Case.id)
    )
    return (await session.scalars(query)).all()


async def open_cases_of_person(session: AsyncSession, person_id: str) -> Sequence[Case]:
    """The person's waiting or taken cases, newest first."""
    query = (
        select(Case)
        .where(Case.person_id == person_id, Case.status != "closed")
        .order_by(Case.person_order.desc(), Case.created_at.desc(), Case.id.desc())
    )
    return (await session.scalars(query)).all()


async def cases_of_person_since(session: AsyncSession, person_id: str, since: datetime) -> int:
    """How many cases the person opened since `since` (still stored: erased ones are gone)."""
    query = (
        select(func.count())
        .select_from(Case)
        .where(Case.person_id == person_id, Case.created_at >= since)
    )
    return int(await session.scalar(query) or 0)


async def senders_since(session: AsyncSession, since: datetime) -> int:
    """How many people opened a case since `since`: each counted once, however many cases."""
    query = select(func.count(func.distinct(Case.person_id))).where(Case.created_at >= since)
    return int(await session.scalar(query) or 0)


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
    return rowcount(result) == 1


def in_teams(teams: Collection[str] | None) -> Any:
    """Cases in the queue of one of `teams` (None: of every team); a case with no team (stored
    before teams existed) is in every team's queue."""
    if teams is None:
        return true()
    return Case.team.in_(sorted(teams)) | Case.team.is_(None)


async def waiting_cases(
    session: AsyncSession, limit: int = 50, *, teams: Collection[str] | None = None
) -> Sequence[Case]:
    """The queue of `teams` (None: every team's): most urgent first (priority 1), then oldest."""
    query = (
        select(Case)
        .where(Case.status == "waiting", _not_held_back(), in_teams(teams))
        .order_by(*_QUEUE_ORDER)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def claim_next(
    session: AsyncSession, volunteer: Volunteer, *, teams: Collection[str] | None = None
) -> Case | None:
    """Take the first case of the queue of `teams` (None: every team's); None only when no
    such case is waiting.

    PostgreSQL: the candidate row is locked with SKIP LOCKED, so volunteers claiming at once
    each get a different case without waiting on each other; the lock lasts until the caller
    commits. SQLite (one writer at a time): a conditional UPDATE, and on losing a race the next
    candidate.
    """
    check_active(volunteer)
    postgres = _dialect(session) == "postgresql"
    for _ in range(_CLAIM_ROUNDS):
        query = (
            select(Case.id)
            .where(Case.status == "waiting", _not_held_back(), in_teams(teams))
            .order_by(*_QUEUE_ORDER)
        )
        if postgres:
            query = query.limit(1).with_for_update(skip_locked=True)
        else:
            query = query.limit(_CLAIM_BATCH)
        candidates = (await session.scalars(query)).all()
        if not candidates:
            if postgres and await _any_waiting(session, teams):
                # Every waiting row is locked for a moment (another claim, or a notice being
                # marked as sent): wait briefly rather than say the queue is empty.
                await asyncio.sleep(_LOCKED_PAUSE)
                continue
            return None
        for case_id in candidates:
            if await _take(session, case_id, volunteer):
                return await _reload(session, case_id)
    raise RuntimeError("could not claim a case: the queue kept changing")  # pragma: no cover


async def _any_waiting(session: AsyncSession, teams: Collection[str] | None) -> bool:
    found = await session.scalar(
        select(Case.id).where(Case.status == "waiting", _not_held_back(), in_teams(teams)).limit(1)
    )
    return found is not None


async def claim(session: AsyncSession, volunteer: Volunteer, reference: str) -> Case:
    """Take a particular case by its reference (as typed).

    Raises CaseNotFound, or CaseNotAvailable if someone else holds it or it is closed; claiming
    a case one already holds returns it.
    """
    check_active(volunteer)
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
    if rowcount(result) != 1:
        raise CaseStateError("the case is not held by that volunteer")
    if holder is not None:
        await session.execute(
            delete(RelayLink).where(RelayLink.case_id == case.id, RelayLink.volunteer_id == holder)
        )
    # Reminders were the holder's follow-ups; nobody holds the case now (`storage.reminders`).
    await session.execute(delete(Reminder).where(Reminder.case_id == case.id))
    return await _reload(session, case)


async def current_key_blob(session: AsyncSession, case: Case) -> bytes:
    """The case's wrapped data key as it is now, locked until the caller commits.

    Whatever is encrypted under the case's key must use this (`sealed_case_to_write` does),
    not the copy loaded earlier: a full re-key (`storage.rotation.rekey`) may have replaced the
    key meanwhile, and on PostgreSQL this lock (FOR NO KEY UPDATE) makes the re-key wait, or
    this wait for it.
    """
    blob = await session.scalar(
        select(Case.key_blob).where(Case.id == case.id).with_for_update(key_share=True)
    )
    if blob is None:
        return case.key_blob  # gone: the caller's write fails on its own
    if blob != case.key_blob:
        set_committed_value(case, "key_blob", blob)
    return bytes(blob)


async def close(
    session: AsyncSession, cipher: Cipher, case: Case, reason: str | None,
    outcome: str | None = None,
) -> Case:  # fmt: skip
    """Close a waiting or taken case; the optional reason is encrypted under the case's key,
    the optional outcome (an id of dialogs/routing.yaml) stored plainly, like the category.

    The holder stays recorded (for statistics). Raises CaseStateError if already closed.
    """
    reason_enc = None
    if reason is not None:
        sealed = await sealed_case_to_write(session, cipher, case)
        reason_enc = sealed.seal_text(CLOSE_REASON, reason)
    now = utcnow()
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.status != "closed")
        .values(
            status="closed",
            closed_at=now,
            close_reason_enc=reason_enc,
            updated_at=now,
            outcome=outcome,
            web_code_hash=None,  # a `/web` code dies with it (and its minute is not kept)
            web_code_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
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
    if rowcount(result) != 1:
        raise CaseStateError("the case is not closed")
    await _reload(session, case)
    return holder


def close_reason(cipher: Cipher, case: Case) -> str | None:
    """The decrypted reason a case was closed with, if one was given."""
    if case.close_reason_enc is None:
        return None
    return sealed_case(cipher, case).open_text(CLOSE_REASON, case.close_reason_enc)


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


async def replace_answers(
    session: AsyncSession, cipher: Cipher, case: Case, answers: dict[str, Any], codeword: str = ""
) -> Case:
    """Replace a case's stored answers (a request sent early, now answered in full), and the
    codeword's hash if one is given.

    Sealed under the case's key as it is now, read under the row lock (`current_key_blob`),
    so a concurrent re-key cannot leave the new answers under a key that is gone. A side that
    can only seal (sealed mode) seals them, with the hash, under a new key of their own.
    """
    values: dict[str, Any] = {"updated_at": utcnow()}
    if cipher.can_open:
        sealed = await sealed_case_to_write(session, cipher, case)
    else:
        sealed, values["answers_key_blob"] = cipher.new_record(answers_record(case.id))
        values["codeword_enc"] = None
    values["answers_enc"] = sealed.seal_json(ANSWERS, answers)
    if codeword:
        values["codeword_enc"] = sealed.seal_text(CODEWORD, codeword)
    await session.execute(update(Case).where(Case.id == case.id).values(**values))
    return await _reload(session, case)


async def open_counts_by_team(session: AsyncSession) -> dict[str, tuple[int, int]]:
    """Per team: its open cases (waiting or taken) and how many of them wait (/teams).

    Held-back requests (a silent block) are not counted: they never reach a queue.
    """
    waiting = func.sum(sql_case((Case.status == "waiting", 1), else_=0))
    query = (
        select(Case.team, func.count(), waiting)
        .where(Case.status != "closed", Case.team.is_not(None), _not_held_back())
        .group_by(Case.team)
    )
    return {
        str(team): (int(count), int(waited or 0))
        for team, count, waited in (await session.execute(query)).all()
    }


# --- handover: another team, another holder, tags and priority set by hand (/transfer, /assign,
# /tag, /priority) ------------------------------------------------------------------------------


async def _set(session: AsyncSession, case: Case, **values: Any) -> Case:
    """Set plain columns of a case (not its state: see `move_to_team`, `hand_over`)."""
    await session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    fresh = await _reload(session, case)
    for name in values:
        set_committed_value(case, name, getattr(fresh, name))
    return fresh


async def set_tags(session: AsyncSession, case: Case, tags: Sequence[str]) -> Case:
    return await _set(session, case, tags=join_tags(tags))


async def set_priority(session: AsyncSession, case: Case, priority: int) -> Case:
    if priority < 1:
        raise ValueError("priority starts at 1 (most urgent)")
    return await _set(session, case, priority=priority)


async def move_to_team(session: AsyncSession, case: Case, team: str) -> Case:
    """Put an open case into the queue of `team`, waiting: a holder releases it (as `release`,
    their relay links dropped), and it is announced again there. Raises CaseStateError if the
    case is closed or its holder changed since `case` was read."""
    holder = case.volunteer_id if case.status == "taken" else None
    same_holder = Case.volunteer_id == holder if holder is not None else Case.status == "waiting"
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.status == case.status, Case.status != "closed")
        .where(same_holder)
        .values(
            team=team,
            status="waiting",
            volunteer_id=None,
            taken_at=None,
            announced_at=None,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise CaseStateError("the case changed meanwhile or is closed")
    if holder is not None:
        await session.execute(
            delete(RelayLink).where(RelayLink.case_id == case.id, RelayLink.volunteer_id == holder)
        )
    fresh = await _reload(session, case)
    set_committed_value(case, "team", fresh.team)
    return fresh


async def hand_over(session: AsyncSession, case: Case, volunteer: Volunteer) -> Case:
    """Make an open case (waiting, or held by the holder recorded on `case`) `volunteer`'s, as
    if they had taken it now; the previous holder's relay links are dropped. Raises
    CaseStateError if the case is closed or changed hands since `case` was read."""
    check_active(volunteer)
    holder = case.volunteer_id if case.status == "taken" else None
    same_holder = Case.volunteer_id == holder if holder is not None else Case.status == "waiting"
    now = utcnow()
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.status == case.status, Case.status != "closed")
        .where(same_holder)
        .values(status="taken", volunteer_id=volunteer.id, taken_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise CaseStateError("the case changed meanwhile or is closed")
    if holder is not None:
        await session.execute(
            delete(RelayLink).where(RelayLink.case_id == case.id, RelayLink.volunteer_id == holder)
        )
    return await _reload(session, case)


# --- duty and escalation (`casework.notices`) ---------------------------------------------------


async def mark_admins_alerted(session: AsyncSession, case: Case) -> None:
    """Admins were told nobody took this urgent case: never again for it. Not a change to the
    case (`updated_at` kept, as in `mark_announced`)."""
    await session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(admins_alerted=True, updated_at=Case.updated_at)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(case, "admins_alerted", True)


async def unanswered_taken(
    session: AsyncSession, *, taken_before: datetime, max_priority: int, step: int
) -> Sequence[Case]:
    """Taken cases of priority <= max_priority, taken at or before `taken_before`, whose
    escalation for no reply is at `step - 1`, and with no volunteer reply since they were taken
    (to the minute: a reply in the minute of taking counts)."""
    replied = select(CaseEntry.id).where(
        CaseEntry.case_id == Case.id,
        CaseEntry.kind == "volunteer",
        CaseEntry.created_at >= Case.taken_at,
    )
    query = (
        select(Case)
        .where(
            Case.status == "taken",
            Case.priority <= max_priority,
            Case.taken_at.is_not(None),
            Case.taken_at <= taken_before,
            Case.reply_escalation == step - 1,
            ~replied.exists(),
        )
        .order_by(*_QUEUE_ORDER)
    )
    return (await session.scalars(query)).all()


async def mark_reply_escalation(session: AsyncSession, case: Case, step: int) -> bool:
    """Record that escalation `step` for no reply happened; False if another process did it
    first (the step was no longer the one before)."""
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.reply_escalation == step - 1)
        .values(reply_escalation=step, updated_at=Case.updated_at)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        return False
    set_committed_value(case, "reply_escalation", step)
    return True


async def claim_realert(session: AsyncSession, case: Case, *, every: timedelta) -> bool:
    """Whether the team may be alerted now that the person wrote on this waiting case: not if
    it was within `every` (kept to the minute). A conditional UPDATE: of two messages at once,
    one alerts."""
    now = utcnow()
    result = await session.execute(
        update(Case)
        .where(
            Case.id == case.id,
            Case.status == "waiting",
            Case.realerted_at.is_(None) | (Case.realerted_at <= now - every),
        )
        .values(realerted_at=now, updated_at=Case.updated_at)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        return False
    set_committed_value(case, "realerted_at", now)
    return True
