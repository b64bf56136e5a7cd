"""Who is on the desk (admins' commands): invitations, joining, the list, revoking, the audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from casework.desk.access import Desk, Work
from casework.outgoing import Message
from casework.people import Person
from storage import copies as copies_store
from storage import desk as store
from storage import repositories as repo
from storage.models import Volunteer


async def invite(work: Work, *, admin: bool) -> None:
    """A one-time code that makes whoever redeems it a volunteer (or an admin)."""
    work.require_admin()
    role = "admin" if admin else "volunteer"
    code = store.new_invite_code()
    hours = work.desk.invite_ttl_hours
    await store.create_invite(
        work.db,
        code_hash=store.hash_invite_code(work.desk.pseudonyms, code),
        role=role,
        created_by=work.me,
        ttl=timedelta(hours=hours),
    )
    await store.record(work.db, "invite", actor=work.me, detail=role)
    work.tell_me(work.text("desk-invite", role=role, hours=hours, code=code))


@dataclass(frozen=True)
class Joined:
    handle: str
    language: str


class AlreadyMember(Exception):
    """The code was good, but this account is a volunteer already."""


async def join(desk: Desk, person: Person, code: str) -> Joined | None:
    """Redeem an invite code; None if the code is wrong, used or expired (which the transport
    answers exactly as an unknown command)."""
    try:
        async with desk.sessions() as db, db.begin():
            volunteer = await store.redeem_invite(
                db,
                desk.cipher,
                code_hash=store.hash_invite_code(desk.pseudonyms, code),
                pseudonym=desk.volunteer_pseudonym(person),
                chat_id=person.chat_id,
                language=desk.suggest_language(person.client_language),
            )
            await store.record(db, "join", actor=volunteer)
            return Joined(volunteer.handle, volunteer.language)
    except store.InviteInvalid:
        return None
    except store.AlreadyVolunteer:
        raise AlreadyMember from None


async def volunteers(work: Work) -> None:
    work.require_admin()
    lines = [work.text("desk-volunteers-title")]
    for v in await store.list_volunteers(work.db):
        lines.append(
            work.text(
                "desk-volunteer-line",
                handle=v.handle,
                role=v.role,
                active=_last_active(work, v),
                revoked="yes" if v.revoked_at else "no",
            )
        )
    work.tell_me("\n".join(lines))


def _last_active(work: Work, volunteer: Volunteer) -> str:
    """Activity is kept to the hour: say "within the hour" or whole hours, never minutes."""
    hours = int((datetime.now(UTC) - volunteer.last_active_at).total_seconds() // 3600)
    if hours < 1:
        return work.text("desk-active-this-hour")
    return work.text("desk-active-ago", days=hours // 24, hours=hours % 24)


async def revoke(work: Work, handle: str) -> None:
    """The volunteer loses access at once; their cases go back to the queue, and what they
    were shown leaves their chat (deleted once this commits; the rest is reported)."""
    work.require_admin()
    try:
        volunteer, released = await store.revoke(work.db, handle)
    except store.VolunteerNotFound:
        raise work.refuse("desk-revoke-unknown", handle=handle) from None
    await store.record(work.db, "revoke", actor=work.me, detail=volunteer.handle)
    shown = await copies_store.take_of_volunteer(work.db, volunteer.id)
    text = work.text("desk-revoked", handle=volunteer.handle, count=released)
    work.sends.append(Message(work.chat_id, text, removes=tuple(shown)))


async def audit(work: Work, reference: str) -> None:
    """Who did what with a case, and when (to the minute; to the day once it is closed)."""
    work.require_admin()
    reference = repo.normalize_reference(reference) or reference.upper()
    events = await store.trail(work.db, reference)
    if not events:
        raise work.refuse("desk-audit-empty", reference=reference)
    # The reason a case was closed is content (it may name the person's situation): it is
    # kept encrypted in the case, never in the plaintext trail, and shown here, on the close
    # that gave it, while the case exists.
    case = await repo.get_case_by_reference(work.db, reference)
    reason = store.close_reason(work.cipher, case) if case is not None else None
    if case is None or case.status != "closed":
        reason = None
    last_close = max((i for i, e in enumerate(events) if e.action == "close"), default=None)
    lines = [work.text("desk-audit-title", reference=reference)]
    for number, e in enumerate(events):
        details = [e.detail] if e.detail else []
        if number == last_close and reason:
            details.append(work.text("desk-audit-reason", reason=reason))
        day_only = (e.at.hour, e.at.minute) == (0, 0)
        lines.append(
            work.text(
                "desk-audit-line",
                at=e.at.strftime("%Y-%m-%d" if day_only else "%Y-%m-%d %H:%M UTC"),
                actor=e.actor_handle or "-",
                action=e.action,
                detail="".join(f" · {d}" for d in details),
            )
        )
    work.tell_me("\n".join(lines))
