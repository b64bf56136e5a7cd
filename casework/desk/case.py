"""One case at the desk: its view, internal notes, release, close, and blocking its person."""

from __future__ import annotations

from casework import checked_phone, verification
from casework.answers import answer_line, category_name
from casework.desk import teams
from casework.desk.access import Work, holder_or_admin, last_holder_or_admin
from casework.durations import age
from casework.outgoing import Message
from storage import audit as audit_store
from storage import cases as case_store
from storage import entries as entry_store
from storage import errors
from storage import passphrases as passphrase_store
from storage import persons as person_store
from storage.models import Case, Volunteer


async def view(work: Work, reference: str) -> None:
    await show(work, await work.case(reference, last_holder_or_admin))


async def show(work: Work, case: Case) -> None:
    """The answers and the conversation, decrypted, for the holder (or an admin) only."""
    t, lang = work.t, work.me.language
    answers = case_store.case_answers(work.cipher, case)
    entries = await entry_store.case_entries(work.db, work.cipher, case)
    holder = await work.db.get(Volunteer, case.volunteer_id) if case.volunteer_id else None
    lines = [
        work.text(
            "desk-case-header",
            reference=case.reference,
            status=work.text(f"desk-status-{case.status}"),
            priority=case.priority,
            category=category_name(t, lang, case.category),
            language=case.language,
            age=work.text("duration", **age(case.created_at)),
        ),
    ]
    if case.channel != passphrase_store.TELEGRAM:  # Telegram's /case reads as it always did
        channel = work.text(f"desk-channel-{case.channel}")
        lines.append(work.text("desk-case-channel", channel=channel))
    if case.channel == passphrase_store.WEB:  # the day only (`storage.passphrases`)
        read = case.web_read_at
        lines.append(
            work.text("desk-case-web-read", day=read.date().isoformat())
            if read is not None
            else work.text("desk-case-web-unread")
        )
    if case.team is not None:
        tags = teams.tag_words(work, case_store.case_tags(case))
        lines.append(work.text("desk-case-team", team=teams.team_name(work, case.team), tags=tags))
    if holder is not None:
        lines.append(work.text("desk-case-holder", handle=holder.handle))
    reason = case_store.close_reason(work.cipher, case)
    if case.status == "closed" and case.outcome is not None:
        lines.append(work.text("desk-case-outcome", outcome=outcome_name(work, case.outcome)))
    if case.status == "closed" and reason:
        lines.append(work.text("desk-case-close-reason", reason=reason))
    if await case_store.is_held_back(work.db, case):
        lines.append(work.text("desk-case-held"))
    if case.codeword_failed:
        lines.append(work.text("desk-case-codeword-flagged"))
    elif case.codeword_check is not None:
        lines.append(work.text("desk-case-codeword-waiting"))
    elif case.codeword_enc is not None:
        lines.append(work.text("desk-case-codeword-set"))
    lines += ["", work.text("desk-case-answers")]
    lines += [answer_line(t, lang, step, answer) for step, answer in answers.items()]
    lines += ["", work.text("desk-case-conversation")]
    if not entries:
        lines.append(work.text("desk-case-no-conversation"))
    for entry, text in entries:
        lines.append(
            work.text(
                f"desk-entry-{entry.kind}",
                text=text,
                author=await _handle_of(work, entry.author_id),
                age=work.text("duration", **age(entry.created_at)),
            )
        )
    undelivered = [e for e, _ in entries if e.kind == "person" and not e.delivered]
    if undelivered and case.volunteer_id == work.me.id:
        await entry_store.mark_delivered(work.db, undelivered)
    await audit_store.record(work.db, "view", actor=work.me, case=case)
    work.sends.append(
        Message(work.chat_id, "\n".join(lines), shows_case=case.id, reference=case.reference)
    )


def outcome_name(work: Work, outcome: str) -> str:
    """An outcome in words; one the routing file no longer has, by its id."""
    if outcome not in work.desk.routing.outcomes:
        return outcome
    return work.text(f"outcome-{outcome}")


async def _handle_of(work: Work, volunteer_id: str | None) -> str:
    if volunteer_id is None:
        return "?"
    volunteer = await work.db.get(Volunteer, volunteer_id)
    return volunteer.handle if volunteer else "?"


async def note(work: Work, reference: str, text: str) -> None:
    """An internal note: in the case's conversation for the desk, never sent to the person."""
    case = await work.case(reference, holder_or_admin)
    await entry_store.add_entry(work.db, work.cipher, case, kind="note", body=text, author=work.me)
    await audit_store.record(work.db, "note", actor=work.me, case=case)
    await work.keep_command(case)
    work.tell_me(work.text("desk-note-added", reference=case.reference))


async def release(work: Work, reference: str) -> None:
    """Back to the queue for someone else to take."""
    case = await work.case(reference, holder_or_admin)
    if case.status != "taken":
        raise work.refuse(f"desk-release-{case.status}", reference=case.reference)
    try:
        await case_store.release(work.db, case)
    except errors.CaseStateError:  # taken back or closed by someone else a moment ago
        raise work.refuse("desk-release-waiting", reference=case.reference) from None
    await audit_store.record(work.db, "release", actor=work.me, case=case)
    work.tell_me(work.text("desk-released", reference=case.reference))


def split_outcome(work: Work, words: str) -> tuple[str | None, str | None]:
    """The outcome and the internal note of `/close REF [OUTCOME] [note]`.

    A first word that is an outcome id (any case) is the outcome. A first word shaped like an
    id (with an underscore) that is none is refused, naming the outcomes: a mistyped outcome
    must not close the case uncounted. Anything else is the whole note, as before outcomes
    existed (`/close REF we found a lawyer`), with no outcome.
    """
    parts = words.strip().split(maxsplit=1)
    first = parts[0] if parts else ""
    word = first.lower()
    if word in work.desk.routing.outcomes:
        return word, (parts[1].strip() if len(parts) > 1 else "") or None
    if "_" in word and word.replace("_", "").isalpha():
        raise work.refuse("desk-outcome-unknown", outcome=first, outcomes=outcome_ids(work))
    return None, words.strip() or None


def outcome_ids(work: Work) -> str:
    return ", ".join(work.desk.routing.outcomes)


async def close(work: Work, reference: str, reason: str | None, outcome: str | None = None) -> None:
    case = await work.case(reference, holder_or_admin)
    if case.status == "closed":
        raise work.refuse("desk-close-closed", reference=case.reference)
    try:
        await case_store.close(work.db, work.cipher, case, reason, outcome)
    except errors.CaseStateError:  # closed by someone else a moment ago
        raise work.refuse("desk-close-closed", reference=case.reference) from None
    # The reason stays internal (encrypted in the case; /case and /audit show it to the desk):
    # the person only ever gets the neutral notice.
    await audit_store.record(work.db, "close", actor=work.me, case=case, detail=outcome)
    if reason:
        await work.keep_command(case)
    if case.channel == passphrase_store.WEB:  # no chat: the web thread shows it closed
        work.tell_me(work.text("desk-closed-web", reference=case.reference))
        _hint_outcomes(work, outcome)
        return
    answers = case_store.case_answers(work.cipher, case)
    if checked_phone.held(answers) or verification.holds_replies(case):
        # Written to only when they write, or a codeword check stands: nothing goes to that
        # phone now; when they next write they are told the request is closed (`after_closed`).
        work.tell_me(work.text("desk-closed-untold", reference=case.reference))
        _hint_outcomes(work, outcome)
        return
    told = work.t.text(case.language, "case-closed", reference=case.reference)
    quiet = checked_phone.quiet(answers)
    if quiet:
        told = checked_phone.quiet_text(work.t, case.language, told)
    chat_id = await work.person_chat(case)
    work.sends.append(Message(chat_id, told, to_person=True, reference=case.reference, quiet=quiet))
    closed = "desk-closed-queued" if work.desk.sealed else "desk-closed"
    work.tell_me(work.text(closed, reference=case.reference))
    _hint_outcomes(work, outcome)


def _hint_outcomes(work: Work, outcome: str | None) -> None:
    """Closed without an outcome: say so, with the outcomes there are (for the next time)."""
    if outcome is None:
        work.tell_me(work.text("desk-closed-no-outcome", outcomes=outcome_ids(work)))


async def block(work: Work, reference: str, *, silent: bool) -> None:
    """No new requests from this case's person: told at their next /start, or (`silent`)
    never told, their requests held back from the desk instead."""
    case = await work.case(reference, last_holder_or_admin)
    await person_store.block_person_of_case(work.db, case, silent=silent)
    await audit_store.record(
        work.db, "block", actor=work.me, case=case, detail="silent" if silent else "told"
    )
    key = "desk-blocked-silently" if silent else "desk-blocked"
    work.tell_me(work.text(key, reference=case.reference))


async def unblock(work: Work, reference: str) -> None:
    case = await work.case(reference, last_holder_or_admin)
    _, back = await person_store.unblock_person_of_case(work.db, case)
    await audit_store.record(work.db, "unblock", actor=work.me, case=case)
    work.tell_me(work.text("desk-unblocked", reference=case.reference, count=back))
