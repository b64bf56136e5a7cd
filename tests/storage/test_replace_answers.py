"""Replacing a case's answers (a request sent early with "Send now", then answered in full)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.cases import case_answers, create_case, replace_answers
from storage.crypto import Cipher
from storage.models import Case
from storage.persons import upsert_person
from tests.storage.raw import every_value

MARKER = "FULLER-ANSWER-MARKER-K7W"
PARTIAL = {"who": "self", "urgency": "now"}
FULLER = {**PARTIAL, "help": ["legal"], "details": f"more words {MARKER}"}


async def test_replace_answers_reseals_them_under_the_case_key(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], cipher: Cipher
) -> None:
    async with sessions.begin() as db:
        person = await upsert_person(db, cipher, pseudonym="p" * 64, chat_id=42, language="en")
        case = await create_case(
            db,
            cipher,
            person=person,
            answers=PARTIAL,
            priority=1,
            category="other",
            language="en",
        )
        case_id, reference, key_blob = case.id, case.reference, case.key_blob
    async with sessions.begin() as db:
        loaded = await db.get_one(Case, case_id)
        fresh = await replace_answers(db, cipher, loaded, FULLER)
        assert case_answers(cipher, fresh) == FULLER
    async with sessions() as db:
        stored = await db.get_one(Case, case_id)
        assert case_answers(cipher, stored) == FULLER
        assert (stored.reference, stored.priority, stored.status) == (reference, 1, "waiting")
        assert stored.key_blob == key_blob  # the same key: no second case, no new key
    assert MARKER.encode() not in await every_value(engine)
