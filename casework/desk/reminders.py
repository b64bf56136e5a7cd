"""Reminders a holder sets on a case (`/remind REF 2d text`, `/reminders`), and the round that
sends the due ones (`bot.notices`).

The text is sealed under the case's key (`storage.reminders`). A reminder is its holder's
follow-up: it is sent once, to them, only while they still hold the case (or last held it, once
closed); releasing the case, its transfer to someone else, /forget, the retention purge and
revoking the volunteer drop it unsent.
"""

from __future__ import annotations

from datetime import timedelta

from casework.desk.access import Desk, Work, holder
from casework.durations import parse_delay, split_duration
from casework.outgoing import Message
from storage import audit as audit_store
from storage import reminders as reminder_store
from storage import volunteers as volunteer_store
from storage.models import Volunteer, utcnow


async def remind(work: Work, reference: str, when: str, text: str) -> None:
    delay = parse_delay(when)
    if delay is None:
        raise work.refuse("desk-remind-bad-time", word=when)
    case = await work.case(reference, holder)
    await reminder_store.add(work.db, work.cipher, case, work.me, utcnow() + delay, text)
    await audit_store.record(work.db, "remind", actor=work.me, case=case)
    await work.keep_command(case)
    work.tell_me(work.text("desk-remind-set", reference=case.reference, when=_words(work, delay)))


async def pending(work: Work) -> None:
    """`/reminders`: one's own, soonest first; each in its own message (a copy of its case's
    content, deleted with the case)."""
    mine = await reminder_store.pending_of(work.db, work.me)
    if not mine:
        work.tell_me(work.text("desk-reminders-none"))
        return
    work.tell_me(work.text("desk-reminders-title", count=len(mine)))
    now = utcnow()
    for reminder, case in mine:
        line = work.text(
            "desk-reminders-line",
            reference=case.reference,
            when=_words(work, max(reminder.due_at - now, timedelta(0))),
            text=reminder_store.reminder_text(work.cipher, case, reminder),
        )
        work.sends.append(Message(work.chat_id, line, shows_case=case.id, reference=case.reference))


async def due(desk: Desk) -> list[tuple[Volunteer, Message]]:
    """The due reminders, each for its volunteer's chat in their language; taken out of the
    database in the same transaction, so each is sent at most once."""
    out: list[tuple[Volunteer, Message]] = []
    async with desk.sessions() as db, db.begin():
        for reminder, case, volunteer in await reminder_store.take_due(db):
            text = desk.translator.text(
                volunteer.language,
                "desk-reminder",
                reference=case.reference,
                text=reminder_store.reminder_text(desk.cipher, case, reminder),
            )
            chat = volunteer_store.volunteer_chat_id(desk.cipher, volunteer)
            out.append(
                (volunteer, Message(chat, text, shows_case=case.id, reference=case.reference))
            )
    return out


def _words(work: Work, delay: timedelta) -> str:
    return work.text("duration", **split_duration(delay))
