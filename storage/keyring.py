"""The keyring: keys the bot keeps in its database, wrapped under the master key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Cipher, Pseudonymizer
from storage.db import insert_unless_conflict
from storage.models import KeyringEntry, utcnow

PSEUDONYM_KEY_NAME = "pseudonym"
DESK_PSEUDONYM_KEY_NAME = "desk-pseudonym"
"""Sealed mode: the desk's key for volunteers' pseudonyms, wrapped to the desk's key."""
DELIVERY_KEY_NAME = "delivery"
"""Sealed mode: the intake's delivery private key (X25519), under its master key."""


def keyring_record(name: str) -> str:
    return f"keyring:{name}"


async def load_pseudonymizer(
    session: AsyncSession, cipher: Cipher, name: str = PSEUDONYM_KEY_NAME
) -> Pseudonymizer:
    """Load the pseudonym key, creating it on first start.

    The caller must commit: if a newly created key were lost, every pseudonym would change.
    When two processes start at once, one insert wins and both use the stored key.
    """
    return Pseudonymizer(await load_secret(session, cipher, name))


async def load_secret(session: AsyncSession, cipher: Cipher, name: str) -> bytes:
    """The keyring's random key `name`, created on first start (see `load_pseudonymizer`)."""
    record = keyring_record(name)
    query = select(KeyringEntry.blob).where(KeyringEntry.name == name)
    blob = await session.scalar(query)
    if blob is None:
        wrapped = cipher.new_secret(record)
        values = {"name": name, "blob": wrapped, "updated_at": utcnow()}
        await insert_unless_conflict(session, KeyringEntry, values, ["name"])
        blob = await session.scalar(query)
        if blob is None:  # pragma: no cover - only if the row vanished between two statements
            raise RuntimeError(f"keyring key {name} could not be stored")
    return cipher.open_secret(record, blob)
