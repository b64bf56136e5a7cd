"""The person after their request is sent: its status, where further messages go, a block,
and reopening a closed request.

The person's own screens are rendered by `bot/` from what these return; what others are to be
told (the holder of a reopened case, the desk) comes back as `Message`s.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from casework import relay, webcodes
from casework.outgoing import Message
from casework.people import Person
from casework.submission import STORAGE_AWAY
from casework.turns import Turn, Turns
from locales.translator import Translator
from storage import audit as audit_store
from storage import cases as case_store
from storage import entries as entry_store
from storage import passphrases as passphrase_store
from storage import persons as person_store
from storage import signals as signal_store
from storage import volunteers as volunteer_store
from storage.crypto import Cipher
from storage.models import Case, Volunteer, this_minute
from storage.person_keys import PassphraseKey


@dataclass(frozen=True)
class Status:
    """What /status says: the latest request's status and reference (None: no request)."""

    language: str
    status: str | None = None
    reference: str = ""


@dataclass(frozen=True)
class Added:
    """A follow-up stored in the person's open case (`reference`), in the person's language,
    on its way to the holder if anyone holds the case now (if nobody does, its team may be
    alerted: `Notices.realert(case_id)`)."""

    language: str
    reference: str
    passed: relay.ToHolder
    case_id: str


@dataclass(frozen=True)
class Reopened:
    """What pressing "Reopen" did. `outcome`: "reopened", or why not: "gone" (not theirs or
    no longer there), "blocked", "not-closed". The holder (if still active) is told; once the
    person has seen it, the desk hears of `case_id` again (`Notices.announce_new_case`)."""

    outcome: str
    language: str
    holder: Volunteer | None = None
    to_holder: list[Message] = field(default_factory=list)
    case_id: str | None = None


class Followup:
    def __init__(
        self,
        turns: Turns,
        sessions: async_sessionmaker[AsyncSession],
        lookups: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        translator: Translator,
    ) -> None:
        self.turns = turns
        self.sessions = sessions
        self.lookups = lookups
        self.cipher = cipher
        self.translator = translator
        self.sealed = not cipher.can_open
        """Sealed mode: this side cannot open a case, nor reach a volunteer: it signals."""

    async def status(self, person: Person, language: str) -> Status:
        """The latest request of this person; `language` when they never sent one."""
        async with self.lookups() as db:
            row = await person_store.find_person(db, self.turns.owner(person))
            case = await case_store.latest_case_of_person(db, row.id) if row is not None else None
            if row is not None:
                language = row.language
        if case is None:
            return Status(language)
        return Status(language, case.status, case.reference)

    async def open_case(self, person: Person) -> tuple[str, str] | None:
        """The reference and language of this person's open request, if they have one."""
        async with self.lookups() as db:
            row = await person_store.find_person(db, self.turns.owner(person))
            if row is None:
                return None
            case = await case_store.latest_open_case_of_person(db, row.id)
            return (case.reference, row.language) if case is not None else None

    async def held_replies(self, person: Person) -> list[Message]:
        """Replies kept for this person until they wrote (`relay.held_for_person`): they just
        did. Committed as no longer held before they are sent."""
        async with self.sessions() as db, db.begin():
            row = await person_store.find_person(db, self.turns.owner(person))
            case = await case_store.latest_case_of_person(db, row.id) if row is not None else None
            if case is None:
                return []
            if self.sealed:  # the desk opens them and sends them (`casework.desk.inbox`)
                if await relay.may_have_held(db, case):
                    await signal_store.add(db, signal_store.PERSON_BACK, case_id=case.id)
                return []
            return await relay.held_for_person(
                db, self.cipher, self.translator, case, person.chat_id
            )

    async def is_blocked(self, person: Person) -> bool:
        """Whether a volunteer blocked this person from opening new requests, telling them (/block).

        A silent block (/block REF silent) is not one here: that person goes on as before, and
        their requests are held back from the desk instead (`storage.cases.held_back_cases`).
        """
        return await self.blocked_language(person) is not None

    async def blocked_language(self, person: Person) -> str | None:
        """The language of their last questionnaire if this person is blocked (and told so)."""
        return await self.blocked_language_of(self.turns.owner(person))

    async def blocked_language_of(self, owner: str) -> str | None:
        """`blocked_language` of the person whose draft pseudonym is `owner` (a web visitor)."""
        async with self.lookups() as db:
            row = await person_store.find_person(db, owner)
            if row is None or row.blocked_at is None or row.blocked_silently:
                return None
            return row.language

    async def refusal_language(self, person: Person) -> str | None:
        """As `blocked_language`, but with the database away nobody is refused: the request
        is checked again on sending."""
        try:
            return await self.blocked_language(person)
        except STORAGE_AWAY:
            return None

    async def add_to_open_case(self, person: Person, text: str) -> Added | None:
        """Store a message in the person's open case and pass it on; None if there is none."""
        return await self.add_to_open_case_of(self.turns.owner(person), text)

    async def add_to_open_case_of(
        self, owner: str, text: str, *, reference: str | None = None
    ) -> Added | None:
        """`add_to_open_case` of the person whose pseudonym is `owner`; `reference`: that case
        of theirs instead of the latest (a web person logged in to it), if it is still open."""
        async with self.sessions() as db, db.begin():
            row = await person_store.find_person(db, owner)
            if row is None:
                return None
            if reference is None:
                case = await case_store.latest_open_case_of_person(db, row.id)
            else:
                case = await case_store.get_case_by_reference(db, reference)
                if case is not None and (case.person_id != row.id or case.status == "closed"):
                    case = None
            if case is None:
                return None
            if self.sealed:  # the desk passes it on, or alerts the team (`casework.desk.inbox`)
                entry = await entry_store.add_entry(
                    db, self.cipher, case, kind="person", body=text, author=None
                )
                await signal_store.add(
                    db, signal_store.PERSON_WROTE, case_id=case.id, entry_id=entry.id
                )
                return Added(row.language, case.reference, relay.ToHolder(None, []), case.id)
            passed = await relay.from_person(db, self.cipher, self.translator, case, text)
            return Added(row.language, case.reference, passed, case.id)

    async def after_closed(self, person: Person, turn: Turn, text: str) -> tuple[str, str] | None:
        """A message from someone whose latest request is closed: kept, and they choose what next.

        The text waits (encrypted, in the draft) until they reopen that request or start a new
        one; it is added to whichever they choose. The reference and language of the closed
        request, or None if they have none (the text is then not kept).
        """
        async with self.lookups() as db:
            row = await person_store.find_person(db, self.turns.owner(person))
            case = await case_store.latest_case_of_person(db, row.id) if row is not None else None
            if row is None or case is None or case.status != "closed":
                return None
            reference, language = case.reference, row.language
        turn.pending.append(text)
        return reference, language

    async def reopen(self, person: Person, turn: Turn, reference: str) -> Reopened:
        """ "Reopen": the closed request goes back to the queue with what they wrote since."""
        to_holder: list[Message] = []
        async with self.sessions() as db, db.begin():
            row = await person_store.find_person(db, self.turns.owner(person))
            case = await case_store.get_case_by_reference(db, reference)
            if row is None or case is None or case.person_id != row.id:
                return Reopened("gone", row.language if row is not None else turn.language)
            language = row.language
            if row.blocked_at is not None and not row.blocked_silently:
                return Reopened("blocked", language)
            if case.status != "closed":
                return Reopened("not-closed", language)
            holder_id = await case_store.reopen(db, case)
            for text in turn.pending:
                await entry_store.add_entry(
                    db, self.cipher, case, kind="person", body=text, author=None
                )
            await audit_store.record(db, "reopen", actor=None, case=case)
            holder = await db.get(Volunteer, holder_id) if holder_id else None
            if self.sealed and holder is not None:  # the desk tells them
                await signal_store.add(
                    db, signal_store.REOPENED, case_id=case.id, volunteer_id=holder.id
                )
                holder = None
            if holder is not None and holder.revoked_at is None:
                told = self.translator.text(holder.language, "desk-reopened", reference=reference)
                to_holder.append(
                    Message(volunteer_store.volunteer_chat_id(self.cipher, holder), told)
                )
            case_id = case.id
        turn.pending = []
        return Reopened("reopened", language, holder, to_holder, case_id)

    async def web_code(self, person: Person) -> webcodes.WebCode | None:
        """`/web`: a new one-time code for this person's open case (a code minted before for
        it stops working), valid for `webcodes.CODE_TTL`; None if they have no open case."""
        code = webcodes.new_code()
        code_hash = await webcodes.hash_code(self.turns.pseudonyms, code)
        async with self.sessions() as db, db.begin():
            row = await person_store.find_person(db, self.turns.owner(person))
            case = await case_store.latest_open_case_of_person(db, row.id) if row else None
            if row is None or case is None:
                return None
            expires_at = this_minute() + webcodes.CODE_TTL
            await passphrase_store.set_web_code(db, case, code_hash, expires_at)
            return webcodes.WebCode(row.language, case.reference, code)

    async def web_code_case(self, typed: str) -> Case | None:
        """The open case a typed `/web` code is for, if it is one and still works."""
        canonical = webcodes.normalize_code(typed)
        if canonical is None:
            return None
        code_hash = await webcodes.hash_code(self.turns.pseudonyms, canonical)
        async with self.lookups() as db:
            return await passphrase_store.case_by_web_code(db, code_hash)

    async def continue_on_web(
        self, typed: str, digest: str, lookup: str, person_key: PassphraseKey | None = None
    ) -> Case | None:
        """Use a `/web` code once: its case becomes a web case with this passphrase (its hash
        and lookup value, `web.passphrases`); None if the code no longer works. `person_key`
        (sealed mode): the key from the passphrase that a new key pair of the case's is
        wrapped under; only what is written from now on is sealed to it."""
        canonical = webcodes.normalize_code(typed)
        if canonical is None:
            return None
        code_hash = await webcodes.hash_code(self.turns.pseudonyms, canonical)
        async with self.sessions() as db, db.begin():
            case = await passphrase_store.redeem_web_code(db, code_hash, digest, lookup, person_key)
            if case is not None:
                await audit_store.record(db, "web-continued", actor=None, case=case)
            return case
