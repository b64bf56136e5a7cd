"""Persistence of people, cases and the keyring.

Functions take the session and the cipher explicitly and never commit: the caller owns the
transaction, so one update's writes land together or not at all.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.coarse import next_minute_order, next_person_order
from storage.crypto import KEY_BYTES, Cipher, DecryptionError, Pseudonymizer
from storage.models import Base, Case, KeyringEntry, Person, new_id, this_minute, today, utcnow

PSEUDONYM_KEY_NAME = "pseudonym"
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_REFERENCE_LENGTH = 8
_REFERENCE_ATTEMPTS = 10
# Crockford base32 reads these letters as the digits they resemble.
_REFERENCE_ALIASES = str.maketrans("OIL", "011")


def person_record(person_id: str) -> str:
    return f"person:{person_id}"


def case_record(case_id: str) -> str:
    return f"case:{case_id}"


def keyring_record(name: str) -> str:
    return f"keyring:{name}"


async def insert_unless_conflict(
    session: AsyncSession,
    model: type[Base],
    values: dict[str, Any],
    conflict_columns: Sequence[str] | None = None,
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True if the row was inserted.

    Used where two processes may race to create the same row: the loser sees no error and no
    aborted transaction (which a caught IntegrityError would leave on PostgreSQL), and re-reads.
    `conflict_columns` names the unique columns to watch; None means any unique constraint.
    """
    table = model.__table__
    target = None if conflict_columns is None else [table.c[name] for name in conflict_columns]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(model).on_conflict_do_nothing(index_elements=target)
    elif dialect == "sqlite":
        statement = sqlite.insert(model).on_conflict_do_nothing(index_elements=target)
    else:  # pragma: no cover - normalize_url admits only these two
        raise RuntimeError(f"unsupported database dialect {dialect!r}")
    statement = statement.values(**values).returning(*table.primary_key.columns)
    result = await session.execute(statement)
    return result.first() is not None


async def _insert_unless_conflict(
    session: AsyncSession, model: type[Base], values: dict[str, Any], unique_column: str
) -> bool:
    return await insert_unless_conflict(session, model, values, [unique_column])


async def load_pseudonymizer(session: AsyncSession, cipher: Cipher) -> Pseudonymizer:
    """Load the pseudonym key, creating it on first start.

    The caller must commit: if a newly created key were lost, every pseudonym would change.
    When two processes start at once, one insert wins and both use the stored key.
    """
    record = keyring_record(PSEUDONYM_KEY_NAME)
    query = select(KeyringEntry.blob).where(KeyringEntry.name == PSEUDONYM_KEY_NAME)
    blob = await session.scalar(query)
    if blob is None:
        wrapped = cipher.wrap_key(secrets.token_bytes(KEY_BYTES), record)
        values = {"name": PSEUDONYM_KEY_NAME, "blob": wrapped, "updated_at": utcnow()}
        await _insert_unless_conflict(session, KeyringEntry, values, "name")
        blob = await session.scalar(query)
        if blob is None:  # pragma: no cover - only if the row vanished between two statements
            raise RuntimeError("pseudonym key could not be stored")
    return Pseudonymizer(cipher.unwrap_key(blob, record))


def _chat_bytes(chat_id: int) -> bytes:
    if isinstance(chat_id, bool) or not isinstance(chat_id, int):
        raise TypeError("chat_id must be an int")
    return str(chat_id).encode()


async def find_person(session: AsyncSession, pseudonym: str) -> Person | None:
    return await session.scalar(select(Person).where(Person.pseudonym == pseudonym))


def person_chat_id(cipher: Cipher, person: Person) -> int:
    """Decrypt the chat id the bot needs to write back to this person."""
    record = person_record(person.id)
    data_key = cipher.unwrap_key(person.key_blob, record)
    return int(cipher.decrypt(data_key, record, "chat_id", person.chat_enc))


async def upsert_person(
    session: AsyncSession, cipher: Cipher, *, pseudonym: str, chat_id: int, language: str
) -> Person:
    """Create the person with a fresh data key, or update chat and language under their key."""
    person = await find_person(session, pseudonym)
    if person is None:
        person_id = new_id()
        record = person_record(person_id)
        data_key = cipher.new_data_key()
        values = {
            "id": person_id,
            "pseudonym": pseudonym,
            "key_blob": cipher.wrap_key(data_key, record),
            "chat_enc": cipher.encrypt(data_key, record, "chat_id", _chat_bytes(chat_id)),
            "language": language,
            "created_at": today(),
            "last_seen_at": today(),
        }
        if await _insert_unless_conflict(session, Person, values, "pseudonym"):
            return await session.get_one(Person, person_id)
        person = await find_person(session, pseudonym)  # another process created them first
        if person is None:  # pragma: no cover - only if the row vanished between two statements
            raise RuntimeError("person could not be stored")
    if person_chat_id(cipher, person) != chat_id:
        record = person_record(person.id)
        data_key = cipher.unwrap_key(person.key_blob, record)
        person.chat_enc = cipher.encrypt(data_key, record, "chat_id", _chat_bytes(chat_id))
    person.language = language
    person.last_seen_at = today()
    return person


def new_reference() -> str:
    """A short public case reference: 40 random bits, shown as XXXX-XXXX."""
    raw = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(_REFERENCE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_reference(text: str) -> str | None:
    """Canonical XXXX-XXXX form of what someone typed, or None if it cannot be a reference."""
    cleaned = "".join(text.split()).replace("-", "").upper().translate(_REFERENCE_ALIASES)
    if len(cleaned) != _REFERENCE_LENGTH or any(c not in REFERENCE_ALPHABET for c in cleaned):
        return None
    return f"{cleaned[:4]}-{cleaned[4:]}"


async def create_case(
    session: AsyncSession,
    cipher: Cipher,
    *,
    person: Person,
    answers: dict[str, Any],
    priority: int,
    category: str,
    language: str,
) -> Case:
    """Store a new waiting case under its own data key (deleting the row shreds its content)."""
    if priority < 1:
        raise ValueError("priority starts at 1 (most urgent)")
    case_id = new_id()
    record = case_record(case_id)
    data_key = cipher.new_data_key()
    now = this_minute()  # no stored time is finer (see storage.coarse)
    values: dict[str, Any] = {
        "id": case_id,
        "person_id": person.id,
        "status": "waiting",
        "priority": priority,
        "category": category,
        "language": language,
        "key_blob": cipher.wrap_key(data_key, record),
        "answers_enc": cipher.encrypt_json(data_key, record, "answers", answers),
        "created_at": now,
        "updated_at": now,
        "minute_order": await next_minute_order(session, now),
        "person_order": await next_person_order(session, person.id),
    }
    for _ in range(_REFERENCE_ATTEMPTS):
        values["reference"] = new_reference()
        if await _insert_unless_conflict(session, Case, values, "reference"):
            return await session.get_one(Case, case_id)
    raise RuntimeError("no free case reference found; the reference space may be exhausted")


async def forget_person(session: AsyncSession, pseudonym: str) -> int:
    """Crypto-shred a person and all their cases; returns how many cases went.

    Kept for callers that need only the count: `storage.erasure.erase_person` does the work
    and also says which volunteers had seen the erased cases.
    """
    from storage.erasure import erase_person  # storage.erasure builds on this module

    return (await erase_person(session, pseudonym)).cases


def case_answers(cipher: Cipher, case: Case) -> dict[str, Any]:
    record = case_record(case.id)
    data_key = cipher.unwrap_key(case.key_blob, record)
    answers = cipher.decrypt_json(data_key, record, "answers", case.answers_enc)
    if not isinstance(answers, dict):
        raise DecryptionError("case answers are not a mapping")
    return answers


async def get_case_by_reference(session: AsyncSession, reference: str) -> Case | None:
    """Look a case up by what a volunteer typed: any case, dash optional, O/I/L read as 0/1/1."""
    canonical = normalize_reference(reference)
    if canonical is None:
        return None
    return await session.scalar(select(Case).where(Case.reference == canonical))


async def cases_of_person(session: AsyncSession, person_id: str) -> Sequence[Case]:
    """A person's cases, oldest first."""
    query = (
        select(Case)
        .where(Case.person_id == person_id)
        .order_by(Case.person_order, Case.created_at, Case.id)
    )
    return (await session.scalars(query)).all()


async def open_cases_of_person(session: AsyncSession, person_id: str) -> Sequence[Case]:
    """The person's waiting or taken cases, newest first."""
    query = (
        select(Case)
        .where(Case.person_id == person_id, Case.status != "closed")
        .order_by(Case.person_order.desc(), Case.created_at.desc(), Case.id.desc())
    )
    return (await session.scalars(query)).all()


async def cases_of_person_since(session: AsyncSession, person_id: str, since: datetime) -> int:
    """How many cases the person opened since `since` (still stored: erased ones are gone)."""
    query = (
        select(func.count())
        .select_from(Case)
        .where(Case.person_id == person_id, Case.created_at >= since)
    )
    return int(await session.scalar(query) or 0)


async def senders_since(session: AsyncSession, since: datetime) -> int:
    """How many people opened a case since `since`: each counted once, however many cases."""
    query = select(func.count(func.distinct(Case.person_id))).where(Case.created_at >= since)
    return int(await session.scalar(query) or 0)
