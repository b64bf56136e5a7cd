"""Content-free notices to the desk: a reference, a priority and a language, never answers."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from casework.outgoing import Message
from locales.translator import Translator
from storage import volunteers as volunteer_store
from storage.crypto import Cipher


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
