"""Sealed mode: the desk's messages to people, waiting for the intake side to send them.

The desk seals each one (chat id, text, whether quietly) to the intake's delivery key, whose
public half the intake publishes (`public_keys`); the private half is in the intake's keyring,
under its master key. So the desk keeps no chat id readable where the intake is, and the intake
holds a person's chat id at rest only while a message to them waits. The intake sends them in
the order they were made and deletes each once sent; a failed one keeps only who to tell.
Functions never commit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import wakeups
from storage.crypto import DecryptionError, hpke_open, hpke_seal
from storage.db import insert_unless_conflict
from storage.models import Delivery, PublicKey, this_minute, utcnow

DELIVERY_KEY_NAME = "intake-delivery"
_CONTEXT = b"intake-bot delivery v1"


@dataclass(frozen=True)
class Outgoing:
    """One message to a person, as the intake opens it."""

    id: int
    chat_id: int
    text: str
    quiet: bool


@dataclass(frozen=True)
class Failed:
    """A message the intake could not deliver: whom to tell, about which case."""

    id: int
    reference: str
    volunteer_id: str | None


async def publish_key(session: AsyncSession, public_key: bytes) -> None:
    """Publish the intake's delivery public key (on every intake start; the same key again
    changes nothing)."""
    values = {"name": DELIVERY_KEY_NAME, "key": public_key, "updated_at": utcnow()}
    if not await insert_unless_conflict(session, PublicKey, values, ["name"]):
        await session.execute(
            update(PublicKey)
            .where(PublicKey.name == DELIVERY_KEY_NAME, PublicKey.key != public_key)
            .values(key=public_key, updated_at=utcnow())
        )


async def published_key(session: AsyncSession) -> bytes | None:
    """The intake's delivery public key, or None if no intake has started yet."""
    key = await session.scalar(select(PublicKey.key).where(PublicKey.name == DELIVERY_KEY_NAME))
    return bytes(key) if key is not None else None


def context_of(reference: str) -> bytes:
    """What a delivery is bound to: this format and its case's reference."""
    return _CONTEXT + b"\x00" + reference.encode()


async def add(
    session: AsyncSession,
    public_key: bytes,
    *,
    chat_id: int,
    text: str,
    quiet: bool,
    reference: str,
    volunteer_id: str | None,
) -> None:
    """Queue a message to a person, sealed to the intake's delivery key."""
    payload = json.dumps({"chat": chat_id, "text": text, "quiet": quiet}, ensure_ascii=False)
    session.add(
        Delivery(
            blob=hpke_seal(public_key, payload.encode(), context_of(reference)),
            reference=reference,
            volunteer_id=volunteer_id,
            created_at=this_minute(),
        )
    )
    await session.flush()
    await wakeups.notify(session, wakeups.DELIVERIES)


async def pending(session: AsyncSession, private_key: bytes, limit: int = 50) -> list[Outgoing]:
    """The oldest messages waiting, opened; one that does not open (sealed to another intake
    key) is marked failed, so the volunteer hears of it instead of it blocking the rest."""
    rows = (
        await session.scalars(
            select(Delivery).where(Delivery.failed.is_(False)).order_by(Delivery.id).limit(limit)
        )
    ).all()
    out = []
    for row in rows:
        try:
            payload = json.loads(hpke_open(private_key, row.blob or b"", context_of(row.reference)))
            out.append(Outgoing(row.id, int(payload["chat"]), str(payload["text"]),
                                bool(payload["quiet"])))  # fmt: skip
        except (DecryptionError, ValueError, KeyError, TypeError):
            await mark_failed(session, row.id)
    return out


async def sent(session: AsyncSession, delivery_id: int) -> None:
    await session.execute(delete(Delivery).where(Delivery.id == delivery_id))


async def mark_failed(session: AsyncSession, delivery_id: int) -> None:
    """Telegram refused it for good: the chat id and text go, who to tell stays."""
    await session.execute(
        update(Delivery).where(Delivery.id == delivery_id).values(failed=True, blob=None)
    )


async def failures(session: AsyncSession) -> Sequence[Failed]:
    """Failed deliveries the desk has not reported yet, locked until the caller commits."""
    rows = (
        await session.scalars(
            select(Delivery)
            .where(Delivery.failed.is_(True))
            .order_by(Delivery.id)
            .with_for_update(skip_locked=True)
        )
    ).all()
    return [Failed(row.id, row.reference, row.volunteer_id) for row in rows]


async def forget(session: AsyncSession, delivery_ids: Sequence[int]) -> None:
    if delivery_ids:
        await session.execute(delete(Delivery).where(Delivery.id.in_(delivery_ids)))
