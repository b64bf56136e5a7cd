"""Handing a case on: to another team's queue (/transfer), to a named volunteer (/assign), back
to the queue once closed (/reopen), and what the queue says about it (/tag, /priority).

The person is told nothing of any of this: who works on their request inside the group is not
theirs to follow, and a message they did not expect is a risk on a phone someone checks. Notes
given with a handover are internal notes of the case (encrypted like /note); the audit trail
keeps only handles, team and tag ids and priority numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from casework.desk import teams
from casework.desk.access import Work, holder_or_admin, last_holder_or_admin
from casework.outgoing import Message
from storage import audit as audit_store
from storage import cases as case_store
from storage import entries as entry_store
from storage import errors
from storage import volunteers as volunteer_store
from storage.models import Case, Volunteer

PRIORITIES = range(1, 5)
"""What /priority takes: 1 (most urgent) to 4, the questionnaire's own range."""


async def tell_team(work: Work, case: Case, key: str) -> None:
    """A content-free notice (reference, priority, language, team) to where new-case notices
    of the case's team go (`Desk.recipients`), except the volunteer acting, who is answered
    anyway; marked announced, so an urgent case nobody takes is announced again as usual."""
    if await case_store.is_held_back(work.db, case):
        return  # a silently blocked person's request never reaches the desk
    for chat_id, language in await work.desk.recipients(work.db, case.team):
        if chat_id == work.chat_id:
            continue
        lang = language or work.desk.default_language
        text = work.t.text(
            lang,
            key,
            reference=case.reference,
            priority=case.priority,
            language=case.language,
            team=team_name_in(work, lang, case.team),
        )
        work.sends.append(Message(chat_id, text))
    await case_store.mark_announced(work.db, case)


def team_name_in(work: Work, language: str, team: str | None) -> str:
    """`teams.team_name` in another volunteer's language."""
    if team is None:
        return work.t.text(language, "desk-all-teams")
    if team not in work.desk.routing.teams:
        return team
    return work.t.text(language, f"team-{team}")


async def _note(work: Work, case: Case, note: str | None) -> None:
    """The note of a handover: an internal note of the case, like /note."""
    if not note:
        return
    await entry_store.add_entry(work.db, work.cipher, case, kind="note", body=note, author=work.me)
    await work.keep_command(case)


async def _active(work: Work, volunteer_id: str | None) -> Volunteer | None:
    if volunteer_id is None:
        return None
    volunteer = await work.db.get(Volunteer, volunteer_id)
    return volunteer if volunteer is not None and volunteer.revoked_at is None else None


def _tell(work: Work, volunteer: Volunteer, key: str, **args: Any) -> Message:
    return Message(work.desk.chat_of(volunteer), work.t.text(volunteer.language, key, **args))


async def transfer(work: Work, reference: str, team_word: str, note: str | None) -> None:
    """`/transfer REF TEAM [note]`: the case waits in the queue of another team, released by
    its holder (told if someone else did it); that team hears of it."""
    case = await work.case(reference, holder_or_admin)
    team = teams.known_team(work, team_word)
    if case.status == "closed":
        raise work.refuse("desk-transfer-closed", reference=case.reference)
    if case.team == team:
        raise work.refuse(
            "desk-transfer-same", reference=case.reference, team=teams.team_name(work, team)
        )
    was = case.team
    holder = await _active(work, case.volunteer_id if case.status == "taken" else None)
    try:
        case = await case_store.move_to_team(work.db, case, team)
    except errors.CaseStateError:  # taken, released or closed by someone else a moment ago
        raise work.refuse("desk-not-available", reference=case.reference) from None
    await _note(work, case, note)
    await audit_store.record(
        work.db, "transfer", actor=work.me, case=case, detail=f"{was or '-'} -> {team}"
    )
    if holder is not None and holder.id != work.me.id:
        work.sends.append(
            _tell(work, holder, "desk-transferred-away", reference=case.reference,
                  handle=work.me.handle, team=team_name_in(work, holder.language, team))
        )  # fmt: skip
    await tell_team(work, case, "desk-transferred-in")
    work.tell_me(
        work.text("desk-transferred", reference=case.reference, team=teams.team_name(work, team))
    )


async def tag(work: Work, reference: str, changes: Sequence[str]) -> None:
    """`/tag REF +x -y`: add and remove tags of the routing file (dialogs/routing.yaml)."""
    known = work.desk.routing.tags
    add: list[str] = []
    remove: list[str] = []
    for word in changes:
        sign, name = word[:1], word[1:].strip().lower()
        if sign not in "+-" or not name:
            raise work.refuse("desk-usage", usage="/tag REF +TAG -TAG")
        if name not in known:
            raise work.refuse("desk-tag-unknown", tag=word[1:], tags=", ".join(known))
        (add if sign == "+" else remove).append(name)
    case = await work.case(reference, holder_or_admin)
    had = case_store.case_tags(case)
    kept = {t for t in had if t not in remove} | set(add)
    # In the routing file's order, as routing gives them; any the file no longer has stay last.
    now = [t for t in known if t in kept] + [t for t in had if t in kept and t not in known]
    case = await case_store.set_tags(work.db, case, now)
    detail = " ".join([*(f"+{t}" for t in add), *(f"-{t}" for t in remove)])
    await audit_store.record(work.db, "tag", actor=work.me, case=case, detail=detail[:100])
    words = teams.tag_words(work, case_store.case_tags(case))
    work.tell_me(work.text("desk-tagged", reference=case.reference, tags=words))


async def priority(work: Work, reference: str, value: str) -> None:
    """`/priority REF N`: the computed priority overridden by hand (the audit keeps old and new)."""
    number = int(value) if value.isascii() and value.isdigit() else 0
    if number not in PRIORITIES:
        raise work.refuse("desk-priority-range", value=value[:10])
    case = await work.case(reference, holder_or_admin)
    old = case.priority
    case = await case_store.set_priority(work.db, case, number)
    await audit_store.record(
        work.db, "priority", actor=work.me, case=case, detail=f"{old} -> {number}"
    )
    work.tell_me(work.text("desk-priority-set", reference=case.reference, old=old, priority=number))


async def assign(work: Work, reference: str, handle: str, note: str | None) -> None:
    """`/assign REF HANDLE [note]`: the case becomes that volunteer's (waiting, or held by
    someone else); they are told, with the note; so is the previous holder."""
    case = await work.case(reference, holder_or_admin)
    to = await volunteer_store.find_volunteer_by_handle(work.db, handle)
    if to is None or to.revoked_at is not None:
        raise work.refuse("desk-assign-unknown", handle=handle[:40])
    if case.status == "closed":
        raise work.refuse("desk-assign-closed", reference=case.reference)
    if case.status == "taken" and case.volunteer_id == to.id:
        raise work.refuse("desk-assign-already", reference=case.reference, handle=to.handle)
    if await case_store.is_held_back(work.db, case):
        raise work.refuse("desk-take-held", reference=case.reference)
    previous = await _active(work, case.volunteer_id if case.status == "taken" else None)
    try:
        case = await case_store.hand_over(work.db, case, to)
    except errors.CaseStateError:  # taken, released or closed by someone else a moment ago
        raise work.refuse("desk-not-available", reference=case.reference) from None
    await _note(work, case, note)
    await audit_store.record(work.db, "assign", actor=work.me, case=case, detail=to.handle)
    told = work.t.text(
        to.language, "desk-assigned-to-you", reference=case.reference, handle=work.me.handle
    )
    if note:
        told += "\n" + work.t.text(to.language, "desk-assigned-note", text=note)
    if to.id != work.me.id:
        work.sends.append(
            Message(
                work.desk.chat_of(to),
                told,
                reference=case.reference,
                shows_case=case.id if note else None,  # the note is content: deleted with it
                in_chat_of=to.id,
            )
        )
    if previous is not None and previous.id not in (work.me.id, to.id):
        work.sends.append(
            _tell(work, previous, "desk-assigned-away", reference=case.reference,
                  handle=to.handle, by=work.me.handle)
        )  # fmt: skip
    if to.id == work.me.id:  # an admin handing a case to themselves: as if they took it
        work.tell_me(work.text("desk-taken", reference=case.reference))
    else:
        work.tell_me(work.text("desk-assigned", reference=case.reference, handle=to.handle))


async def reopen(work: Work, reference: str) -> None:
    """`/reopen REF`: a closed case waits again in its team's queue (as when its person presses
    "Reopen", `casework.followup`); the team hears of it as of a new case."""
    case = await work.case(reference, last_holder_or_admin)
    if case.status != "closed":
        raise work.refuse("desk-reopen-not-closed", reference=case.reference)
    try:
        await case_store.reopen(work.db, case)
    except errors.CaseStateError:  # reopened by its person a moment ago
        raise work.refuse("desk-reopen-not-closed", reference=case.reference) from None
    await audit_store.record(work.db, "reopen", actor=work.me, case=case)
    await tell_team(work, case, "desk-new-case")
    work.tell_me(
        work.text(
            "desk-reopened-by-desk",
            reference=case.reference,
            team=teams.team_name(work, case.team),
        )
    )
