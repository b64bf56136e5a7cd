"""The keyring: keys the bot keeps in its database, wrapped under the master key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Cipher, Pseudonymizer
from storage.db import insert_unless_conflict
from storage.models import KeyringEntry, utcnow

PSEUDONYM_KEY_NAME = "pseudonym"


def keyring_record(name: str) -> str:
    return f"keyring:{name}"


async def load_pseudonymizer(session: AsyncSession, cipher: Cipher) -> Pseudonymizer:
    """Load the pseudonym key, creating it on first start.

    The caller must commit: if a newly created key were lost, every pseudonym would change.
    When two processes start at once, one insert wins and both use the stored key.
    """
    record = keyring_record(PSEUDONYM_KEY_NAME)
    query = select(KeyringEntry.blob).where(KeyringEntry.name == PSEUDONYM_KEY_NAME)
    blob = await session.scalar(query)
    if blob is None:
        wrapped = cipher.new_secret(record)
        values = {"name": PSEUDONYM_KEY_NAME, "blob": wrapped, "updated_at": utcnow()}
        await insert_unless_conflict(session, KeyringEntry, values, ["name"])
        blob = await session.scalar(query)
        if blob is None:  # pragma: no cover - only if the row vanished between two statements
            raise RuntimeError("pseudonym key could not be stored")
    return Pseudonymizer(cipher.open_secret(record, blob))
