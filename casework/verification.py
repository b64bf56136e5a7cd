"""Checking a person's codeword: a volunteer's /verify, or a reply after a long silence.

A seized phone or a provocateur writing in someone's name cannot be told apart by what they
write; a word only the real person knows can. The volunteer learns only "matches" or "does
not match"; what the person types is compared with the kept hash and forgotten (never stored;
`bot/` deletes it from the chat). Three wrong answers end the check and flag the case.

While a check waits for its answer, and while the case is flagged, the desk's replies to the
person are held in the case, not sent: they go once a check matches (`relay.held_for_person`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from casework import checked_phone, codewords
from casework.desk.access import Work
from casework.outgoing import Message
from casework.people import Person
from casework.turns import Turns
from locales.translator import Translator
from storage import audit as audit_store
from storage import cases as case_store
from storage import codewords as codeword_store
from storage import entries as entry_store
from storage import passphrases as passphrase_store
from storage import persons as person_store
from storage import signals as signal_store
from storage import volunteers as volunteer_store
from storage.crypto import Cipher
from storage.models import Case, Volunteer
from storage.models import Person as PersonRow


@dataclass(frozen=True)
class Answered:
    """What the person's answer to a check did. `outcome`: "right", "wrong" (`left` tries
    remain) or "failed" (the third wrong answer: the case is flagged); in sealed mode, on the
    intake, "received" (passed to the desk, which sends the outcome)."""

    language: str
    outcome: str
    left: int = 0
    to_desk: list[Message] = field(default_factory=list)


async def verify(work: Work, case: Case) -> None:
    """A volunteer's /verify: ask the person for their codeword (now, or when they next write
    if they asked to be written to only then)."""
    if case.status == "closed":
        raise work.refuse("desk-verify-closed", reference=case.reference)
    if case.channel == passphrase_store.WEB:  # no chat to ask in; the passphrase proves it
        raise work.refuse("desk-verify-web", reference=case.reference)
    if case.codeword_enc is None:
        raise work.refuse("desk-verify-none", reference=case.reference)
    asked = await _start(work, case, "volunteer")
    if asked is None:
        raise work.refuse("desk-verify-waiting", reference=case.reference)
    await audit_store.record(work.db, "codeword_asked", actor=work.me, case=case)
    key = "desk-verify-asked" if asked else "desk-verify-asked-later"
    work.tell_me(work.text(key, reference=case.reference))


async def reply_must_wait(work: Work, case: Case, silence_days: int) -> str | None:
    """Why a reply to this case's person must be held for a codeword check (the desk text to
    tell the volunteer), starting one after a long silence; None when it may go now.

    Never for a web case: it has no chat to ask in, and its person logged in with the
    passphrase, which is what proves it is them."""
    if case.channel == passphrase_store.WEB:
        return None
    if case.codeword_failed:
        return "desk-reply-held-flagged"
    if case.codeword_check is not None:
        return "desk-reply-held-check"
    if case.codeword_enc is None or silence_days <= 0:
        return None
    silent_since = await codeword_store.last_heard(work.db, case)
    if datetime.now(UTC) - silent_since < timedelta(days=silence_days):
        return None
    if await _start(work, case, "silence") is None:
        return "desk-reply-held-check"
    await audit_store.record(work.db, "codeword_asked", actor=work.me, case=case, detail="silence")
    return "desk-reply-held-silence"


async def _start(work: Work, case: Case, origin: str) -> bool | None:
    """Start a check and ask the person now unless replies to them wait until they write:
    whether they were asked now; None if a check was already waiting."""
    answers = case_store.case_answers(work.cipher, case)
    now = not checked_phone.held(answers)
    if not await codeword_store.start_check(work.db, case, origin=origin, asker=work.me, asked=now):
        return None
    if now:
        chat_id = await work.person_chat(case)
        work.sends.append(ask(work.t, case, chat_id, quiet=checked_phone.quiet(answers)))
    return now


def ask(t: Translator, case: Case, chat_id: int, *, quiet: bool) -> Message:
    """The question to the person, worded for why it is asked."""
    text = t.text(case.language, f"codeword-asked-{case.codeword_check}")
    if quiet:
        text = checked_phone.quiet_text(t, case.language, text)
    return Message(chat_id, text, to_person=True, reference=case.reference, quiet=quiet)


def holds_replies(case: Case) -> bool:
    return case.codeword_check is not None or case.codeword_failed


async def ask_if_due(db: AsyncSession, t: Translator, case: Case, chat_id: int) -> Message | None:
    """The person who is written to only when they write has just written: a check that
    waited for that asks now."""
    if case.codeword_check is None or case.codeword_asked:
        return None
    await codeword_store.mark_asked(db, case)
    return ask(t, case, chat_id, quiet=True)


class Verification:
    """The person's side of a check: their next message is the answer."""

    def __init__(
        self,
        turns: Turns,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        translator: Translator,
    ) -> None:
        self.turns = turns
        self.sessions = sessions
        self.cipher = cipher
        self.translator = translator

    async def answer(self, person: Person, text: str) -> Answered | None:
        """Compare the person's message with their codeword, if a check waits for it (None
        otherwise: the message is an ordinary one). The volunteer who asked is told.

        Sealed mode: this side cannot open the kept hash; the answer goes to the desk sealed
        to its key (`answer_at_desk` compares it there), outcome "received" for now."""
        async with self.sessions() as db, db.begin():
            case = await codeword_store.waiting_check_of(db, self.turns.owner(person))
            if case is None:
                return None
            if not self.cipher.can_open:
                sealed = signal_store.seal_for_desk(self.cipher, answer_record(case.id), text)
                await signal_store.add(
                    db, signal_store.CODEWORD_ANSWER, case_id=case.id, sealed=sealed
                )
                await codeword_store.mark_asked(db, case, asked=False)  # until the desk asks again
                return Answered(case.language, "received")
            return await judge(db, self.cipher, self.translator, case, text)


def answer_record(case_id: str) -> str:
    """The record a codeword answer is sealed under on its way to the desk (sealed mode)."""
    return f"codeword-answer:{case_id}"


async def judge(db: AsyncSession, cipher: Cipher, t: Translator, case: Case, text: str) -> Answered:
    """Compare an answer with the kept hash and record what it did; the asker is told."""
    kept = codeword_store.codeword_digest(cipher, case) or ""
    if await codewords.matches_off_loop(text, kept):
        await codeword_store.record_match(db, case)
        await audit_store.record(db, "codeword_match", actor=None, case=case)
        # What was held goes now, after this message (`relay.held_for_person`).
        held = await entry_store.held_entries(db, cipher, case)
        key = "desk-verify-match-released" if held else "desk-verify-match"
        return Answered(case.language, "right", to_desk=await _tell(db, cipher, t, case, key))
    misses = await codeword_store.record_miss(db, case, tries=codewords.TRIES)
    if misses >= codewords.TRIES:
        await audit_store.record(db, "codeword_failed", actor=None, case=case)
        told = await _tell(db, cipher, t, case, "desk-verify-failed")
        return Answered(case.language, "failed", to_desk=told)
    await audit_store.record(db, "codeword_miss", actor=None, case=case)
    told = await _tell(db, cipher, t, case, "desk-verify-miss", attempt=misses)
    return Answered(case.language, "wrong", codewords.TRIES - misses, told)


async def answer_at_desk(
    db: AsyncSession, cipher: Cipher, t: Translator, case: Case, sealed: bytes
) -> list[Message]:
    """Sealed mode, on the desk: an answer the intake passed on, judged; the person hears the
    outcome through the intake, the asker too (the replies held for a match are the caller's:
    `relay.held_for_person`)."""
    if case.codeword_check is None or case.status == "closed":
        return []  # the check ended meanwhile (closed, or answered already)
    text = signal_store.open_for_desk(cipher, answer_record(case.id), sealed)
    answered = await judge(db, cipher, t, case, text)
    if answered.outcome == "wrong":
        await codeword_store.mark_asked(db, case)  # their next message is the next try
    person = await db.get_one(PersonRow, case.person_id)
    chat_id = person_store.person_chat_id(cipher, person)
    quiet = checked_phone.quiet(case_store.case_answers(cipher, case))
    said = t.text(case.language, f"codeword-{answered.outcome}", left=answered.left)
    if quiet:
        said = checked_phone.quiet_text(t, case.language, said)
    if case.channel == passphrase_store.WEB:  # its person reads the web thread, not a chat
        return answered.to_desk
    to_person = Message(chat_id, said, to_person=True, reference=case.reference, quiet=quiet)
    return [to_person, *answered.to_desk]


async def _tell(
    db: AsyncSession, cipher: Cipher, t: Translator, case: Case, key: str, **args: object
) -> list[Message]:
    """The result for whoever asked (or the case's holder, if the asker has left)."""
    volunteer = None
    for volunteer_id in (case.codeword_asker_id, case.volunteer_id):
        found = await db.get(Volunteer, volunteer_id) if volunteer_id else None
        if found is not None and found.revoked_at is None:
            volunteer = found
            break
    if volunteer is None:
        return []
    text = t.text(volunteer.language, key, reference=case.reference, **args)
    chat_id = volunteer_store.volunteer_chat_id(cipher, volunteer)
    return [Message(chat_id, text)]
