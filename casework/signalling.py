"""The intake side in sealed mode: what it would tell the desk becomes a signal.

The intake holds only the desk's public key: it cannot read a volunteer's chat id, nor a case
once it is submitted. So where `casework.notices` would write to volunteers, this records a
signal without content (`storage.signals`) and the desk acts on it with its own key
(`casework.desk.inbox`). Each method returns the messages the caller is to send: none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from casework.outgoing import Message
from storage import passphrases as passphrase_store
from storage import signals as signal_store
from storage.models import Case


class SignalNotices:
    """`casework.notices.Notices` as the intake side has it in sealed mode."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def signal(self, kind: str, **about: Any) -> list[Message]:
        async with self.sessions() as db, db.begin():
            await signal_store.add(db, kind, **about)
        return []

    async def announce_new_case(self, case_id: str) -> list[Message]:
        return await self.signal(signal_store.NEW_CASE, case_id=case_id)

    async def thread_read(self, case_id: str, *, replies_shown: bool) -> list[Message]:
        """`Notices.thread_read` with what the intake can do without a key: the day and the
        replies marked read here, and the holder's name for the desk to tell (`WEB_READ`)."""
        async with self.sessions() as db, db.begin():
            case = await db.get(Case, case_id)
            if case is None or case.channel != passphrase_store.WEB:
                return []
            read = await passphrase_store.mark_thread_read(db, case, replies_shown=replies_shown)
            if read and case.volunteer_id is not None:
                await signal_store.add(
                    db, signal_store.WEB_READ, case_id=case.id, volunteer_id=case.volunteer_id
                )
        return []

    async def realert(self, case_id: str) -> list[Message]:
        """Nothing: the person's message was signalled with it (`PERSON_WROTE`), and the desk
        decides whom to alert."""
        return []

    async def escalate(self) -> list[Message]:
        """Nothing: escalation is the desk's (it runs there)."""
        return []
