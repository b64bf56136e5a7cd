"""The relay between a person and the volunteer who holds their case, both ways.

Neither side ever sees the other's account: the person gets the volunteer's words unsigned,
from the bot; the volunteer gets the person's words with the case reference. Every message is
stored in the case (encrypted) before it is passed on.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from casework import checked_phone, verification
from casework.desk.access import Work
from casework.outgoing import Message
from locales.translator import Translator
from storage import audit as audit_store
from storage import cases as case_store
from storage import entries as entry_store
from storage import passphrases as passphrase_store
from storage import volunteers as volunteer_store
from storage.crypto import Cipher
from storage.models import Case, Volunteer


async def to_person(
    work: Work, case: Case, text: str, *, action: str = "reply", detail: str | None = None
) -> None:
    """Store the volunteer's message in the case and queue it for the person, unsigned.

    Recorded once in the audit trail, as `action` ("reply", or "canned" with its key)."""
    if case.channel == passphrase_store.WEB:  # no chat: it waits in the person's web thread
        await entry_store.add_entry(
            work.db, work.cipher, case, kind="volunteer", body=text, author=work.me
        )
        await audit_store.record(work.db, action, actor=work.me, case=case, detail=detail)
        work.tell_me(work.text("desk-reply-web-waiting", reference=case.reference))
        return
    answers = case_store.case_answers(work.cipher, case)
    hold = checked_phone.held(answers)
    days = work.desk.codeword_silence_days
    waits = await verification.reply_must_wait(work, case, days)
    await entry_store.add_entry(
        work.db, work.cipher, case, kind="volunteer", body=text, author=work.me,
        held=hold or waits is not None,
    )  # fmt: skip
    await audit_store.record(work.db, action, actor=work.me, case=case, detail=detail)
    if waits is not None:  # delivered once a codeword check matches (`held_for_person`)
        work.tell_me(work.text(waits, reference=case.reference, days=days))
        return
    if hold:  # delivered when the person next writes (`held_for_person`)
        work.tell_me(work.text("desk-reply-held", reference=case.reference))
        return
    quiet = checked_phone.quiet(answers)
    if quiet:
        said = checked_phone.quiet_text(work.t, case.language, text)
    else:
        said = work.t.text(case.language, "volunteer-says", text=text)
    chat_id = await work.person_chat(case)
    work.sends.append(Message(chat_id, said, to_person=True, reference=case.reference, quiet=quiet))
    work.sends.append(
        Message(work.my_chat(), work.text(work.desk.reply_sent_key, reference=case.reference))
    )


async def held_for_person(
    db: AsyncSession, cipher: Cipher, t: Translator, case: Case, chat_id: int
) -> list[Message]:
    """The replies kept for a person who asked to be written to only when they write: they
    have just written, so "N messages are waiting", then the messages, quietly.

    Nothing for a web case (one continued on the web may still write in Telegram): its
    thread shows every reply, held or not, so none waits any more."""
    if case.channel == passphrase_store.WEB:
        held_web = await entry_store.held_entries(db, cipher, case)
        await entry_store.release_held(db, [entry for entry, _ in held_web])
        return []
    if verification.holds_replies(case):  # a codeword check first
        asked = await verification.ask_if_due(db, t, case, chat_id)
        return [asked] if asked is not None else []
    held = await entry_store.held_entries(db, cipher, case)
    if not held:
        return []
    await entry_store.release_held(db, [entry for entry, _ in held])
    lang = case.language
    quiet = checked_phone.quiet(case_store.case_answers(cipher, case))
    texts = [t.text(lang, "held-waiting", count=len(held))] + [
        checked_phone.quiet_text(t, lang, text)
        if quiet
        else t.text(lang, "volunteer-says", text=text)
        for _, text in held
    ]
    return [
        Message(chat_id, text, to_person=True, reference=case.reference, quiet=quiet)
        for text in texts
    ]


async def may_have_held(db: AsyncSession, case: Case) -> bool:
    """Whether a reply (or a codeword question) may be waiting for this case's person: what
    the intake side can tell without opening anything (sealed mode)."""
    return verification.holds_replies(case) or await entry_store.has_held(db, case)


async def case_replied_to(work: Work, message_id: int) -> Case | None:
    """The case a volunteer answers by replying (Telegram's reply) to a relayed message, if
    they hold it now."""
    case = await entry_store.case_for_relay(work.db, volunteer=work.me, message_id=message_id)
    if case is None or case.volunteer_id != work.me.id or case.status != "taken":
        return None
    return case


@dataclass(frozen=True)
class ToHolder:
    """A person's message on its way to the volunteer holding their case (if anyone does)."""

    holder: Volunteer | None
    sends: list[Message]


async def from_person(
    db: AsyncSession, cipher: Cipher, t: Translator, case: Case, text: str
) -> ToHolder:
    """Store the person's message in their open case; pass it to the holder, if any."""
    holder = await _active_holder(db, case)
    await entry_store.add_entry(
        db, cipher, case, kind="person", body=text, author=None, delivered=holder is not None
    )
    if holder is None:
        return ToHolder(None, [])
    relayed = t.text(holder.language, "desk-relayed", reference=case.reference, text=text)
    chat_id = volunteer_store.volunteer_chat_id(cipher, holder)
    return ToHolder(holder, [Message(chat_id, relayed, relay_case_id=case.id)])


async def edited_to_holder(
    db: AsyncSession, cipher: Cipher, t: Translator, case: Case, delivered: bool, text: str
) -> ToHolder:
    """A follow-up the person edited: the holder who was shown it gets the new text, marked as
    an edit (their copy of the first text stays as it was)."""
    holder = await _active_holder(db, case)
    if holder is None or not delivered:
        return ToHolder(None, [])
    relayed = t.text(holder.language, "desk-relayed-edit", reference=case.reference, text=text)
    chat_id = volunteer_store.volunteer_chat_id(cipher, holder)
    return ToHolder(holder, [Message(chat_id, relayed, relay_case_id=case.id)])


async def _active_holder(db: AsyncSession, case: Case) -> Volunteer | None:
    holder = await db.get(Volunteer, case.volunteer_id) if case.volunteer_id else None
    if holder is None or holder.revoked_at is not None or case.status != "taken":
        return None
    return holder


async def link(
    sessions: async_sessionmaker[AsyncSession], volunteer: Volunteer, message_id: int, case_id: str
) -> None:
    """Remember a message relayed to a volunteer, so that their Telegram reply to it reaches
    the case (the case may have been erased meanwhile: then nothing is remembered)."""
    async with sessions() as db, db.begin():
        case = await db.get(Case, case_id)
        if case is not None:
            await entry_store.link_relay(db, volunteer=volunteer, message_id=message_id, case=case)
