"""Content-free notices to the desk: a reference, a priority and a language, never answers.

New cases are announced once, to their team (`Desk.recipients`); an urgent one first to the
team's volunteers on duty (/duty on), or the whole team if none is. A round (`escalate`, run by
a loop in `bot/` that sends what it returns) then escalates urgent cases, each step once per
case and recorded in the case's row, so a restart repeats none:
- waiting unclaimed `INTAKE_ESCALATE_AFTER_MINUTES` after its notice: every admin is told;
- taken, and no reply to the person `INTAKE_REPLY_ESCALATE_MINUTES` after it was taken: the
  holder is reminded; a second such period later (with still no reply), the team is told.
A person writing on a waiting case re-alerts its team (`realert`), at most once per
`REALERT_EVERY` per case, counting the new-case notice as one.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from casework.durations import age
from casework.outgoing import Message
from locales.translator import Translator
from storage import cases as case_store
from storage import passphrases as passphrase_store
from storage import volunteers as volunteer_store
from storage.crypto import Cipher
from storage.models import Case, Volunteer, utcnow

URGENT = 1

REALERT_EVERY = timedelta(minutes=30)
"""A constant, not a setting: the person writing on a waiting case re-alerts its team at most
this often (a burst of messages is one alert)."""


class Recipients(Protocol):
    """Where desk notices about a case of a team go (`Desk.recipients`): chat ids with their
    language ("" for default); `duty_first`: those of the team on duty, if any is."""

    def __call__(
        self, db: AsyncSession, team: str | None, *, duty_first: bool = False
    ) -> Awaitable[list[tuple[int, str]]]: ...


class Notices:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        translator: Translator,
        recipients: Recipients,
        *,
        default_language: str,
        escalate_after: timedelta,
        reply_escalate_after: timedelta = timedelta(hours=2),
    ) -> None:
        self.sessions = sessions
        self.cipher = cipher
        self.translator = translator
        self.recipients = recipients
        self.default_language = default_language
        self.escalate_after = escalate_after
        self.reply_escalate_after = reply_escalate_after

    async def announce_new_case(self, case_id: str) -> list[Message]:
        """The case's team hears of a new (or reopened) case (`Desk.recipients`), an urgent
        one its volunteers on duty first; marked announced for escalation."""
        async with self.sessions() as db, db.begin():
            case = await db.get(Case, case_id)
            if case is None or await case_store.is_held_back(db, case):
                return []  # a silently blocked person's request never reaches the desk
            recipients = await self.recipients(db, case.team, duty_first=case.priority <= URGENT)
            await case_store.mark_announced(db, case)
            reference, priority, language = case.reference, case.priority, case.language
        return [
            Message(
                chat_id,
                self.translator.text(
                    volunteer_language or self.default_language,
                    "desk-new-case",
                    reference=reference,
                    priority=priority,
                    language=language,
                ),
            )
            for chat_id, volunteer_language in recipients
        ]

    async def escalate(self) -> list[Message]:
        """One round: every urgent case due a step of escalation (see the module's docstring).
        A waiting urgent case never announced (put back in the queue) is announced to its team."""
        outgoing: list[Message] = []
        async with self.sessions() as db, db.begin():
            due = await case_store.due_for_announcement(
                db, older_than=self.escalate_after, max_priority=URGENT
            )
            unclaimed = [c for c in due if c.announced_at is not None and not c.admins_alerted]
            admins = await _admins(db) if unclaimed else []
            for case in due:
                if case.announced_at is None:
                    outgoing += await self._waiting_again(db, case)
                    await case_store.mark_announced(db, case)
            for case in unclaimed:
                for admin in admins:
                    text = self.translator.text(
                        admin.language,
                        "desk-urgent-unclaimed",
                        reference=case.reference,
                        priority=case.priority,
                    )
                    outgoing.append(Message(self._chat(admin), text))
                await case_store.mark_admins_alerted(db, case)
            outgoing += await self._no_reply(db)
        return outgoing

    async def _waiting_again(self, db: AsyncSession, case: Case) -> list[Message]:
        recipients = await self.recipients(db, case.team, duty_first=True)
        sends = []
        for chat_id, language in recipients:
            lang = language or self.default_language
            waited = self.translator.text(lang, "duration", **age(case.created_at))
            text = self.translator.text(
                lang, "desk-urgent-waiting", reference=case.reference, waited=waited
            )
            sends.append(Message(chat_id, text))
        return sends

    async def _no_reply(self, db: AsyncSession) -> list[Message]:
        """Taken urgent cases with no reply to the person: the team after two periods (for
        cases whose holder was reminded in an earlier round), the holder after one."""
        outgoing: list[Message] = []
        now = utcnow()
        to_team = await case_store.unanswered_taken(
            db, taken_before=now - 2 * self.reply_escalate_after, max_priority=URGENT, step=2
        )
        to_holder = await case_store.unanswered_taken(
            db, taken_before=now - self.reply_escalate_after, max_priority=URGENT, step=1
        )
        for step, cases in ((2, to_team), (1, to_holder)):
            for case in cases:
                holder = await db.get(Volunteer, case.volunteer_id) if case.volunteer_id else None
                if holder is None or not await case_store.mark_reply_escalation(db, case, step):
                    continue
                if step == 1:
                    recipients = [(self._chat(holder), holder.language)]
                    key = "desk-no-reply-holder"
                else:
                    recipients = await self.recipients(db, case.team)
                    key = "desk-no-reply-team"
                for chat_id, language in recipients:
                    lang = language or self.default_language
                    waited = self.translator.text(lang, "duration", **age(case.taken_at))
                    text = self.translator.text(
                        lang,
                        key,
                        reference=case.reference,
                        priority=case.priority,
                        handle=holder.handle,
                        waited=waited,
                    )
                    outgoing.append(Message(chat_id, text))
        return outgoing

    async def realert(self, case_id: str) -> list[Message]:
        """The person wrote on their waiting case (nobody holds it): its team hears of it again,
        without content, unless it did within `REALERT_EVERY` (the new-case notice counts)."""
        async with self.sessions() as db, db.begin():
            case = await db.get(Case, case_id)
            if case is None or case.status != "waiting" or await case_store.is_held_back(db, case):
                return []
            announced = case.announced_at
            if announced is not None and announced > utcnow() - REALERT_EVERY:
                return []
            if not await case_store.claim_realert(db, case, every=REALERT_EVERY):
                return []
            recipients = await self.recipients(db, case.team, duty_first=case.priority <= URGENT)
            reference, priority = case.reference, case.priority
        return [
            Message(
                chat_id,
                self.translator.text(
                    language or self.default_language,
                    "desk-person-wrote-waiting",
                    reference=reference,
                    priority=priority,
                ),
            )
            for chat_id, language in recipients
        ]

    async def thread_read(self, case_id: str, *, replies_shown: bool) -> list[Message]:
        """The person opened their web thread (`replies_shown`: and saw the volunteer's
        replies): kept as the day, and the case's holder (or last holder) hears once that
        replies not read before now are (no content)."""
        async with self.sessions() as db, db.begin():
            case = await db.get(Case, case_id)
            if case is None or case.channel != passphrase_store.WEB:
                return []
            read = await passphrase_store.mark_thread_read(db, case, replies_shown=replies_shown)
            holder = await db.get(Volunteer, case.volunteer_id) if case.volunteer_id else None
            if not read or holder is None or holder.revoked_at is not None:
                return []
            text = self.translator.text(holder.language, "desk-web-read", reference=case.reference)
            return [Message(self._chat(holder), text)]

    def _chat(self, volunteer: Volunteer) -> int:
        return volunteer_store.volunteer_chat_id(self.cipher, volunteer)


async def _admins(db: AsyncSession) -> list[Volunteer]:
    return [v for v in await volunteer_store.active_volunteers(db) if v.role == "admin"]


async def admin_alerts(
    sessions: async_sessionmaker[AsyncSession],
    cipher: Cipher,
    t: Translator,
    key: str,
    **args: Any,
) -> list[Message]:
    """One text for every active admin, each in their language."""
    async with sessions() as db:
        admins = [v for v in await volunteer_store.active_volunteers(db) if v.role == "admin"]
        return [
            Message(volunteer_store.volunteer_chat_id(cipher, v), t.text(v.language, key, **args))
            for v in admins
        ]
