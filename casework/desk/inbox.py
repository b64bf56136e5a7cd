"""The desk in sealed mode: acting on the intake side's signals (`storage.signals`).

The intake cannot open a case or reach a volunteer, so it only says what happened; here the
desk, which holds the key, reads the case and decides who hears what, exactly as the single
process does at once (`casework.notices`, `casework.relay`). What a person is to be sent comes
back as `Message(to_person=True)`: the transport queues it as a delivery for the intake.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from casework import relay, verification
from casework.desk.access import Desk
from casework.notices import Notices, admin_alerts
from casework.outgoing import Message
from storage import entries as entry_store
from storage import persons as person_store
from storage import signals as signal_store
from storage import volunteers as volunteer_store
from storage.models import Case, CaseEntry, Volunteer
from storage.models import Person as PersonRow
from storage.signals import Signal


@dataclass
class Acted:
    """What one signal asks the transport to do: messages to send on behalf of `volunteer`
    (who holds the case, for relayed messages; None for notices), and whether copies of
    erased cases are to be deleted from volunteers' chats."""

    volunteer: Volunteer | None = None
    sends: list[Message] = field(default_factory=list)
    remove_erased_copies: bool = False


class Inbox:
    def __init__(
        self, desk: Desk, notices: Notices, answered_more: Callable[[str], Awaitable[list[Message]]]
    ) -> None:
        self.desk = desk
        self.notices = notices
        self.answered_more = answered_more

    async def pending(self, limit: int = 50) -> Sequence[Signal]:
        """The oldest signals not acted on yet."""
        async with self.desk.sessions() as db:
            return await signal_store.oldest(db, limit)

    async def done(self, signal: Signal) -> None:
        """The signal was acted on and what it asked for was sent: it goes. Until then a
        desk process that dies acts on it again when it is back (a notice may come twice,
        never not at all)."""
        async with self.desk.sessions() as db, db.begin():
            await signal_store.done(db, [signal.id])

    async def act(self, signal: Signal) -> Acted:
        """What the signal asks for, each step in its own transaction."""
        kind = signal.kind
        if kind == signal_store.NEW_CASE and signal.case_id:
            return Acted(sends=await self.notices.announce_new_case(signal.case_id))
        if kind == signal_store.ANSWERED_MORE and signal.case_id:
            return Acted(sends=await self.answered_more(signal.case_id))
        if kind == signal_store.CAP_REACHED:
            alerts = await admin_alerts(
                self.desk.sessions, self.desk.cipher, self.desk.translator, "desk-cap-reached",
                cap=int(signal.detail or 0),
            )  # fmt: skip
            return Acted(sends=alerts)
        async with self.desk.sessions() as db, db.begin():
            acted = await self._act_in(db, signal)
        if acted is None:  # nobody holds the case: its team may hear of the message
            return Acted(sends=await self.notices.realert(signal.case_id or ""))
        return acted

    async def _act_in(self, db: AsyncSession, signal: Signal) -> Acted | None:
        kind = signal.kind
        if kind in (signal_store.PERSON_WROTE, signal_store.PERSON_EDITED) and signal.case_id:
            return await self._person_wrote(db, signal)
        if kind == signal_store.PERSON_BACK and signal.case_id:
            return await self._person_back(db, signal.case_id)
        if kind == signal_store.REOPENED:
            return Acted(sends=await self._tell(db, signal, "desk-reopened"))
        if kind == signal_store.WEB_READ:
            return Acted(sends=await self._tell(db, signal, "desk-web-read"))
        if kind == signal_store.ERASED:
            told = await self._tell(db, signal, "desk-person-erased")
            return Acted(sends=told, remove_erased_copies=True)
        if kind == signal_store.CODEWORD_ANSWER and signal.case_id and signal.sealed:
            return await self._codeword_answer(db, signal.case_id, signal.sealed)
        return Acted()

    async def _person_wrote(self, db: AsyncSession, signal: Signal) -> Acted | None:
        """A message in the person's open case: to its holder; None when nobody holds it
        (then its team may be alerted, outside this transaction)."""
        case = await db.get(Case, signal.case_id)
        entry = await db.get(CaseEntry, signal.entry_id) if signal.entry_id else None
        if case is None or entry is None:
            return Acted()  # erased meanwhile
        holder = await db.get(Volunteer, case.volunteer_id) if case.volunteer_id else None
        if holder is None or holder.revoked_at is not None or case.status != "taken":
            return Acted() if signal.kind == signal_store.PERSON_EDITED else None
        text = entry_store.entry_text(self.desk.cipher, case, entry)
        t = self.desk.translator
        if signal.kind == signal_store.PERSON_EDITED:
            if not entry.delivered:
                return Acted()
            key = "desk-relayed-edit"
        else:
            key = "desk-relayed"
            await entry_store.mark_delivered(db, [entry])
        relayed = t.text(holder.language, key, reference=case.reference, text=text)
        chat_id = volunteer_store.volunteer_chat_id(self.desk.cipher, holder)
        return Acted(holder, [Message(chat_id, relayed, relay_case_id=case.id)])

    async def _person_back(self, db: AsyncSession, case_id: str) -> Acted:
        """The person wrote: replies held until then go to them now (through the intake)."""
        case = await db.get(Case, case_id)
        if case is None:
            return Acted()
        person = await db.get_one(PersonRow, case.person_id)
        chat_id = person_store.person_chat_id(self.desk.cipher, person)
        cipher, t = self.desk.cipher, self.desk.translator
        return Acted(sends=await relay.held_for_person(db, cipher, t, case, chat_id))

    async def _codeword_answer(self, db: AsyncSession, case_id: str, sealed: bytes) -> Acted:
        """The person's answer to a check: judged here; if it matched, what was held goes."""
        case = await db.get(Case, case_id, with_for_update=True)
        if case is None:
            return Acted()
        cipher, t = self.desk.cipher, self.desk.translator
        sends = await verification.answer_at_desk(db, cipher, t, case, sealed)
        person = await db.get_one(PersonRow, case.person_id)
        chat_id = person_store.person_chat_id(cipher, person)
        return Acted(sends=sends + await relay.held_for_person(db, cipher, t, case, chat_id))

    async def _tell(self, db: AsyncSession, signal: Signal, key: str) -> list[Message]:
        """One line about a case (by reference) for the volunteer the signal names."""
        volunteer = await db.get(Volunteer, signal.volunteer_id) if signal.volunteer_id else None
        if volunteer is None or volunteer.revoked_at is not None:
            return []
        reference = signal.reference
        if reference is None and signal.case_id:
            case = await db.get(Case, signal.case_id)
            reference = case.reference if case is not None else None
        if reference is None:
            return []
        text = self.desk.translator.text(volunteer.language, key, reference=reference)
        return [Message(self.desk.chat_of(volunteer), text)]
