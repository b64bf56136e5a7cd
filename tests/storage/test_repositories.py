"""Repositories on SQLite and PostgreSQL: people, cases, the keyring, and no plaintext at rest."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.cases import (
    REFERENCE_ALPHABET,
    case_answers,
    cases_of_person,
    create_case,
    get_case_by_reference,
    normalize_reference,
)
from storage.crypto import (
    Cipher,
    DecryptionError,
    MasterKeyWrapper,
    generate_master_key,
    parse_master_keys,
)
from storage.erasure import erase_person
from storage.keyring import load_pseudonymizer
from storage.models import Case, KeyringEntry, Person
from storage.persons import find_person, person_chat_id, upsert_person

MARKER = "PLAINTEXT-MARKER-Z9Q"
CHAT_ID = 987654321012
ANSWERS = {"situation": f"contract soldier {MARKER}", "needs": ["legal", "route"], "urgent": True}

Sessions = async_sessionmaker[AsyncSession]


async def _raw_rows(engine: AsyncEngine, table: str) -> list[bytes]:
    """Every stored value of a table as bytes, read with plain SQL, not through the models."""
    async with engine.connect() as connection:
        rows = (await connection.execute(text(f"SELECT * FROM {table}"))).all()  # noqa: S608
    out = []
    for row in rows:
        for value in row:
            out.append(
                bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
            )
    return out


async def _person(sessions: Sessions, cipher: Cipher, pseudonym: str = "p" * 64) -> Person:
    async with sessions.begin() as session:
        return await upsert_person(
            session, cipher, pseudonym=pseudonym, chat_id=CHAT_ID, language="ru"
        )


async def test_upsert_person_creates_then_updates(sessions: Sessions, cipher: Cipher) -> None:
    created = await _person(sessions, cipher)
    assert person_chat_id(cipher, created) == CHAT_ID
    assert created.language == "ru"
    assert created.last_seen_at.tzinfo is not None
    assert (created.last_seen_at.hour, created.last_seen_at.minute) == (0, 0)
    assert created.created_at == created.last_seen_at

    async with sessions.begin() as session:
        updated = await upsert_person(
            session, cipher, pseudonym="p" * 64, chat_id=-100123, language="en"
        )
    assert updated.id == created.id
    assert updated.key_blob == created.key_blob

    async with sessions() as session:
        found = await find_person(session, "p" * 64)
        assert found is not None
        assert person_chat_id(cipher, found) == -100123
        assert found.language == "en"
        assert found.last_seen_at.tzinfo == UTC
        assert await find_person(session, "q" * 64) is None
        assert len((await session.scalars(select(Person))).all()) == 1


async def test_chat_id_is_bound_to_its_person(sessions: Sessions, cipher: Cipher) -> None:
    alice = await _person(sessions, cipher, "a" * 64)
    bob = await _person(sessions, cipher, "b" * 64)
    async with sessions.begin() as session:
        stored = await session.get_one(Person, bob.id)
        stored.chat_enc = alice.chat_enc  # an attacker with write access swaps ciphertexts
    with pytest.raises(DecryptionError):
        person_chat_id(cipher, stored)


async def test_create_case_and_read_answers(sessions: Sessions, cipher: Cipher) -> None:
    person = await _person(sessions, cipher)
    async with sessions.begin() as session:
        case = await create_case(
            session,
            cipher,
            person=person,
            answers=ANSWERS,
            priority=1,
            category="leave",
            language="ru",
        )
    assert case.status == "waiting"
    assert case.created_at.tzinfo == UTC
    assert abs((datetime.now(UTC) - case.created_at).total_seconds()) < 60
    async with sessions() as session:
        loaded = await get_case_by_reference(session, case.reference)
        assert loaded is not None
        assert loaded.id == case.id
        assert case_answers(cipher, loaded) == ANSWERS
        assert [c.id for c in await cases_of_person(session, person.id)] == [case.id]


async def test_references_are_unique_and_lookup_is_forgiving(
    sessions: Sessions, cipher: Cipher
) -> None:
    person = await _person(sessions, cipher)
    async with sessions.begin() as session:
        cases = [
            await create_case(
                session,
                cipher,
                person=person,
                answers={"i": i},
                priority=2,
                category="c",
                language="ru",
            )
            for i in range(25)
        ]
    references = [case.reference for case in cases]
    assert len(set(references)) == len(references)
    for reference in references:
        assert len(reference) == 9
        assert reference[4] == "-"
        assert all(char in REFERENCE_ALPHABET for char in reference.replace("-", ""))
    async with sessions() as session:
        first = cases[0].reference
        for typed in (first, first.lower(), first.replace("-", ""), f" {first.lower()} "):
            found = await get_case_by_reference(session, typed)
            assert found is not None
            assert found.id == cases[0].id
        assert await get_case_by_reference(session, "nope") is None
        assert await get_case_by_reference(session, "UUUU-UUUU") is None
        listed = await cases_of_person(session, person.id)
        assert [c.id for c in listed] == [c.id for c in cases]
        assert [case_answers(cipher, c)["i"] for c in listed] == list(range(25))


def test_normalize_reference_reads_crockford_aliases() -> None:
    assert normalize_reference("abcd-efgh") == "ABCD-EFGH"
    assert normalize_reference("o1il-2345") == "0111-2345"
    assert normalize_reference("ABCD-EFG") is None
    assert normalize_reference("ABCD-EFGU") is None


async def test_reference_collision_is_retried(
    sessions: Sessions, cipher: Cipher, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = await _person(sessions, cipher)
    drawn = iter(["AAAA-AAAA", "AAAA-AAAA", "AAAA-AAAA", "BBBB-BBBB"])
    monkeypatch.setattr("storage.cases.new_reference", lambda: next(drawn))
    async with sessions.begin() as session:
        first = await create_case(
            session, cipher, person=person, answers={}, priority=1, category="c", language="ru"
        )
        second = await create_case(
            session, cipher, person=person, answers={}, priority=1, category="c", language="ru"
        )
    assert (first.reference, second.reference) == ("AAAA-AAAA", "BBBB-BBBB")


async def test_case_ciphertext_is_bound_to_its_case(sessions: Sessions, cipher: Cipher) -> None:
    person = await _person(sessions, cipher)
    async with sessions.begin() as session:
        one = await create_case(
            session, cipher, person=person, answers=ANSWERS, priority=1, category="c", language="ru"
        )
        two = await create_case(
            session, cipher, person=person, answers={}, priority=1, category="c", language="ru"
        )
    two.answers_enc = one.answers_enc
    with pytest.raises(DecryptionError):
        case_answers(cipher, two)
    two.key_blob = one.key_blob
    with pytest.raises(DecryptionError):
        case_answers(cipher, two)


async def test_invalid_priority_is_refused(sessions: Sessions, cipher: Cipher) -> None:
    person = await _person(sessions, cipher)
    async with sessions() as session:
        with pytest.raises(ValueError, match="priority"):
            await create_case(
                session, cipher, person=person, answers={}, priority=0, category="c", language="ru"
            )


async def test_deleting_a_person_deletes_their_cases(sessions: Sessions, cipher: Cipher) -> None:
    person = await _person(sessions, cipher)
    async with sessions.begin() as session:
        await create_case(
            session, cipher, person=person, answers={}, priority=1, category="c", language="ru"
        )
    async with sessions.begin() as session:
        await session.execute(delete(Person).where(Person.id == person.id))
    async with sessions() as session:
        assert (await session.scalars(select(Case))).all() == []


async def test_no_plaintext_in_stored_rows(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher, database_url: str
) -> None:
    person = await _person(sessions, cipher)
    async with sessions.begin() as session:
        await create_case(
            session, cipher, person=person, answers=ANSWERS, priority=1, category="c", language="ru"
        )
    values = await _raw_rows(engine, "persons") + await _raw_rows(engine, "cases")
    forbidden = [MARKER.encode(), str(CHAT_ID).encode(), b"contract soldier", b"situation"]
    for value in values:
        for needle in forbidden:
            assert needle not in value
    if database_url.startswith("sqlite"):
        await engine.dispose()  # the file and its WAL are what a seized disk would show
        path = Path(database_url.removeprefix("sqlite:///"))
        files = (path, path.with_name(path.name + "-wal"))
        raw = b"".join(file.read_bytes() for file in files if file.exists())
        assert raw
        for needle in forbidden:
            assert needle not in raw


async def test_pseudonym_key_is_created_once_and_reloaded(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    async with sessions.begin() as session:
        first = await load_pseudonymizer(session, cipher)
    async with sessions.begin() as session:
        second = await load_pseudonymizer(session, cipher)
    assert first("person", 42) == second("person", 42)
    async with sessions() as session:
        entries = (await session.scalars(select(KeyringEntry))).all()
    assert [entry.name for entry in entries] == ["pseudonym"]
    assert entries[0].updated_at.tzinfo == UTC


async def test_concurrent_first_start_agrees_on_one_key(sessions: Sessions, cipher: Cipher) -> None:
    async def start() -> str:
        async with sessions.begin() as session:
            pseudonymize = await load_pseudonymizer(session, cipher)
        return pseudonymize("person", 42)

    results = await asyncio.gather(*(start() for _ in range(4)))
    assert len(set(results)) == 1
    async with sessions() as session:
        assert len((await session.scalars(select(KeyringEntry))).all()) == 1


async def test_pseudonym_key_needs_the_master_key(sessions: Sessions, cipher: Cipher) -> None:
    async with sessions.begin() as session:
        await load_pseudonymizer(session, cipher)
    stranger = Cipher(MasterKeyWrapper(parse_master_keys(generate_master_key())))
    async with sessions() as session:
        with pytest.raises(DecryptionError):
            await load_pseudonymizer(session, stranger)


async def test_forget_person_erases_them_and_their_cases_only(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    leaving = await _person(sessions, cipher, "a" * 64)
    staying = await _person(sessions, cipher, "b" * 64)
    async with sessions.begin() as session:
        for person in (leaving, leaving, staying):
            await create_case(
                session,
                cipher,
                person=person,
                answers=ANSWERS,
                priority=1,
                category="c",
                language="ru",
            )
    async with sessions.begin() as session:
        assert (await erase_person(session, "a" * 64)).cases == 2
        assert (await erase_person(session, "never-seen")).cases == 0
    async with sessions() as session:
        assert await find_person(session, "a" * 64) is None
        assert await cases_of_person(session, leaving.id) == []
        assert len(await cases_of_person(session, staying.id)) == 1
    persons = await _raw_rows(engine, "persons")
    assert b"a" * 64 not in persons
    assert leaving.key_blob not in persons
