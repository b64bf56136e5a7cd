"""Content-free notices to the desk: a reference, a priority and a language, never answers.

New cases are announced once; an urgent case nobody took is announced again after
`INTAKE_ESCALATE_AFTER_MINUTES` (by a loop in `bot/` that sends what `escalate` returns).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from casework.durations import age
from casework.outgoing import Message
from locales.translator import Translator
from storage import cases as case_store
from storage import volunteers as volunteer_store
from storage.crypto import Cipher
from storage.models import Case

URGENT = 1

Recipients = Callable[[AsyncSession, str | None], Awaitable[list[tuple[int, str]]]]
"""Where desk notices about a case of a team go (`Desk.recipients`): chat ids with their
language ("" for default)."""


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
    ) -> None:
        self.sessions = sessions
        self.cipher = cipher
        self.translator = translator
        self.recipients = recipients
        self.default_language = default_language
        self.escalate_after = escalate_after

    async def announce_new_case(self, case_id: str) -> list[Message]:
        """The case's team hears of a new (or reopened) case (`Desk.recipients`); marked
        announced for escalation."""
        async with self.sessions() as db, db.begin():
            case = await db.get(Case, case_id)
            if case is None or await case_store.is_held_back(db, case):
                return []  # a silently blocked person's request never reaches the desk
            recipients = await self.recipients(db, case.team)
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
        """Announce again every urgent case that has waited too long since its last notice:
        to every volunteer (not only its team: nobody of it took it in time)."""
        outgoing: list[Message] = []
        async with self.sessions() as db, db.begin():
            due = await case_store.due_for_announcement(
                db, older_than=self.escalate_after, max_priority=URGENT
            )
            if not due:
                return []
            recipients = await self.recipients(db, None)
            for case in due:
                for chat_id, language in recipients:
                    lang = language or self.default_language
                    waited = self.translator.text(lang, "duration", **age(case.created_at))
                    text = self.translator.text(
                        lang, "desk-urgent-waiting", reference=case.reference, waited=waited
                    )
                    outgoing.append(Message(chat_id, text))
                await case_store.mark_announced(db, case)
        return outgoing


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
