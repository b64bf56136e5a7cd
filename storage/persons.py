"""Persistence of the people who write: pseudonym, encrypted chat id, blocks.

Functions take the session (and the cipher where plaintext is involved) and never commit: the
caller owns the transaction.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Cipher, SealedRecord
from storage.db import insert_unless_conflict
from storage.errors import CaseNotFound
from storage.models import Case, Person, new_id, today

# The field sealed under a person's data key.
CHAT_ID = "chat_id"


def person_record(person_id: str) -> str:
    return f"person:{person_id}"


def sealed_person(cipher: Cipher, person: Person) -> SealedRecord:
    """Open a stored person's record."""
    return cipher.record(person_record(person.id), person.key_blob)


def _chat_bytes(chat_id: int) -> bytes:
    if isinstance(chat_id, bool) or not isinstance(chat_id, int):
        raise TypeError("chat_id must be an int")
    return str(chat_id).encode()


async def find_person(session: AsyncSession, pseudonym: str) -> Person | None:
    return await session.scalar(select(Person).where(Person.pseudonym == pseudonym))


def person_chat_id(cipher: Cipher, person: Person) -> int:
    """Decrypt the chat id the bot needs to write back to this person."""
    return int(sealed_person(cipher, person).open(CHAT_ID, person.chat_enc))


async def upsert_person(
    session: AsyncSession, cipher: Cipher, *, pseudonym: str, chat_id: int, language: str
) -> Person:
    """Create the person with a fresh data key, or update chat and language under their key."""
    person = await find_person(session, pseudonym)
    if person is None:
        person_id = new_id()
        sealed, key_blob = cipher.new_record(person_record(person_id))
        values = {
            "id": person_id,
            "pseudonym": pseudonym,
            "key_blob": key_blob,
            "chat_enc": sealed.seal(CHAT_ID, _chat_bytes(chat_id)),
            "language": language,
            "created_at": today(),
            "last_seen_at": today(),
        }
        if await insert_unless_conflict(session, Person, values, ["pseudonym"]):
            return await session.get_one(Person, person_id)
        person = await find_person(session, pseudonym)  # another process created them first
        if person is None:  # pragma: no cover - only if the row vanished between two statements
            raise RuntimeError("person could not be stored")
    # A side that can only seal (the intake in sealed mode) cannot compare: a private chat's
    # id is its person's Telegram id, so the one sealed when they were first stored stands.
    if cipher.can_open and person_chat_id(cipher, person) != chat_id:
        person.chat_enc = sealed_person(cipher, person).seal(CHAT_ID, _chat_bytes(chat_id))
    person.language = language
    person.last_seen_at = today()
    return person


async def block_person_of_case(
    session: AsyncSession, case: Case, *, silent: bool = False
) -> Person:
    """Block the person who wrote `case` (a provocateur, a flood); returns them.

    A plain block refuses their new requests and tells them so. A silent block lets them go
    on as before (questionnaire, confirmation, /status, messages to their open request), but
    holds their requests back: none reaches the queue, a notice or /take, and the one they
    have waiting leaves the queue too. Blocking again keeps the first date and sets the kind
    of block. The date is kept to the day, like every other time stored about a person.
    Blocked people are never removed by retention.
    """
    await session.execute(
        update(Person)
        .where(Person.id == case.person_id, Person.blocked_at.is_(None))
        .values(blocked_at=today())
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Person)
        .where(Person.id == case.person_id)
        .values(blocked_silently=silent)
        .execution_options(synchronize_session=False)
    )
    person = await session.get(Person, case.person_id, populate_existing=True)
    if person is None:
        raise CaseNotFound("the person of that case no longer exists")
    return person


async def unblock_person_of_case(session: AsyncSession, case: Case) -> tuple[Person, int]:
    """Lift a block; returns the person and how many of their requests are now in the queue."""
    person = await session.get(Person, case.person_id, populate_existing=True)
    if person is None:
        raise CaseNotFound("the person of that case no longer exists")
    back = 0
    if person.blocked_silently:
        back = int(
            await session.scalar(
                select(func.count())
                .select_from(Case)
                .where(Case.person_id == person.id, Case.status == "waiting")
            )
            or 0
        )
    await session.execute(
        update(Person)
        .where(Person.id == person.id)
        .values(blocked_at=None, blocked_silently=False)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(person)
    return person, back


def is_blocked(person: Person) -> bool:
    return person.blocked_at is not None
