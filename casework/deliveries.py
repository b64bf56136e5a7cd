"""Sealed mode: the desk's messages to people go through the intake bot.

People write to the intake bot only, so the desk cannot send them anything itself: it queues
each message sealed to the intake's delivery key (`storage.deliveries`), and the intake sends
them in order and deletes them. A message the intake could not deliver comes back as a
failure, which the volunteer who wrote it is told about.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from casework.outgoing import Message
from locales.translator import Translator
from storage import deliveries as delivery_store
from storage import volunteers as volunteer_store
from storage.crypto import Cipher
from storage.models import Volunteer


class IntakeNotStarted(Exception):
    """No intake process has published its delivery key yet: nothing can be queued."""


class DeliveryQueue:
    """The desk's side: queue messages for the intake, hear of failures."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], cipher: Cipher, translator: Translator
    ) -> None:
        self.sessions = sessions
        self.cipher = cipher
        self.translator = translator

    async def queue(self, messages: Sequence[Message], volunteer: Volunteer | None) -> None:
        """Queue messages to people, in order, for the intake to send."""
        async with self.sessions() as db, db.begin():
            key = await delivery_store.published_key(db)
            if key is None:
                raise IntakeNotStarted
            for item in messages:
                await delivery_store.add(
                    db, key, chat_id=item.chat_id, text=item.text, quiet=item.quiet,
                    reference=item.reference,
                    volunteer_id=volunteer.id if volunteer is not None else None,
                )  # fmt: skip

    async def failures(self) -> list[Message]:
        """For every message the intake could not deliver: a line to its volunteer."""
        out: list[Message] = []
        async with self.sessions() as db, db.begin():
            failed = await delivery_store.failures(db)
            for item in failed:
                volunteer_id = item.volunteer_id
                volunteer = await db.get(Volunteer, volunteer_id) if volunteer_id else None
                if volunteer is None or volunteer.revoked_at is not None:
                    continue
                text = self.translator.text(
                    volunteer.language, "desk-reply-failed", reference=item.reference
                )
                chat_id = volunteer_store.volunteer_chat_id(self.cipher, volunteer)
                out.append(Message(chat_id, text))
            await delivery_store.forget(db, [item.id for item in failed])
        return out


class DeliveryOutbox:
    """The intake's side: the messages waiting, opened with its delivery key."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], private_key: bytes) -> None:
        self.sessions = sessions
        self._private_key = private_key

    def __repr__(self) -> str:
        return "DeliveryOutbox(<key hidden>)"

    async def pending(self, limit: int = 50) -> list[delivery_store.Outgoing]:
        async with self.sessions() as db, db.begin():
            return await delivery_store.pending(db, self._private_key, limit)

    async def sent(self, delivery_id: int) -> None:
        async with self.sessions() as db, db.begin():
            await delivery_store.sent(db, delivery_id)

    async def failed(self, delivery_id: int) -> None:
        async with self.sessions() as db, db.begin():
            await delivery_store.mark_failed(db, delivery_id)
