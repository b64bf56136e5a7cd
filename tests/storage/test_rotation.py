"""Master key rotation on SQLite and PostgreSQL, also while the bot keeps writing."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import cases as case_store
from storage import entries as entry_store
from storage import rotation
from storage import volunteers as volunteer_store
from storage.cases import case_answers, case_record, create_case
from storage.crypto import (
    Cipher,
    DecryptionError,
    DeskKeyWrapper,
    DeskPrivateKey,
    MasterKey,
    MasterKeyWrapper,
    generate_desk_key_pair,
    parse_desk_private_keys,
)
from storage.keyring import keyring_record, load_pseudonymizer
from storage.models import Case, CaseEntry, KeyringEntry, Person, Volunteer
from storage.persons import person_chat_id, upsert_person
from tests.storage.raw import every_value

Sessions = async_sessionmaker[AsyncSession]


def _key(key_id: str) -> MasterKey:
    return MasterKey(key_id, secrets.token_bytes(32))


def _cipher(*keys: MasterKey) -> Cipher:
    return Cipher(MasterKeyWrapper(keys))


@dataclass
class World:
    """What was written, in plaintext, to check against after rotating."""

    persons: dict[str, int] = field(default_factory=dict)  # pseudonym -> chat id
    answers: dict[str, dict[str, object]] = field(default_factory=dict)  # case id -> answers
    entries: dict[str, str] = field(default_factory=dict)  # entry id -> text
    reasons: dict[str, str] = field(default_factory=dict)  # case id -> close reason
    volunteers: dict[str, int] = field(default_factory=dict)  # volunteer id -> chat id
    pseudonym_of_42: str = ""


async def _write(
    sessions: Sessions, cipher: Cipher, world: World, tag: str, count: int, *, start: bool = True
) -> None:
    """People, cases with a conversation, a closed case, volunteers: all under `cipher`.

    `start`: load (on first use create) the pseudonym key, as the bot does when it starts.
    """
    async with sessions.begin() as session:
        if start:
            world.pseudonym_of_42 = (await load_pseudonymizer(session, cipher))("person", 42)
        volunteer = await volunteer_store.ensure_admin(
            session, cipher, pseudonym=f"v-{tag}", chat_id=9000 + count, language="en"
        )
        world.volunteers[volunteer.id] = 9000 + count
    for number in range(count):
        async with sessions.begin() as session:
            pseudonym = f"{tag}-{number}"
            person = await upsert_person(
                session, cipher, pseudonym=pseudonym, chat_id=1000 + number, language="ru"
            )
            world.persons[pseudonym] = 1000 + number
            answers = {"n": number, "tag": tag}
            case = await create_case(
                session, cipher, person=person, answers=answers, priority=1, category="c",
                language="ru",
            )  # fmt: skip
            world.answers[case.id] = answers
            entry = await entry_store.add_entry(
                session, cipher, case, kind="person", body=f"entry {tag} {number}", author=None
            )
            world.entries[entry.id] = f"entry {tag} {number}"
            if number % 3 == 0:
                await case_store.close(session, cipher, case, f"closed {number}")
                world.reasons[case.id] = f"closed {number}"


async def _check(sessions: Sessions, cipher: Cipher, world: World) -> None:
    """Everything written decrypts with `cipher` and says what was written."""
    async with sessions() as session:
        assert (await load_pseudonymizer(session, cipher))("person", 42) == world.pseudonym_of_42
        persons = (await session.scalars(select(Person))).all()
        assert {p.pseudonym: person_chat_id(cipher, p) for p in persons} == world.persons
        cases = {case.id: case for case in (await session.scalars(select(Case))).all()}
        assert {cid: case_answers(cipher, case) for cid, case in cases.items()} == world.answers
        assert {
            cid: case_store.close_reason(cipher, case)
            for cid, case in cases.items()
            if case.close_reason_enc is not None
        } == world.reasons
        entries = (await session.scalars(select(CaseEntry))).all()
        texts = {e.id: entry_store.entry_text(cipher, cases[e.case_id], e) for e in entries}
        assert texts == world.entries
        volunteers = (await session.scalars(select(Volunteer))).all()
        assert {
            v.id: volunteer_store.volunteer_chat_id(cipher, v) for v in volunteers
        } == world.volunteers


async def _updated_at(sessions: Sessions) -> dict[str, datetime]:
    async with sessions() as session:
        rows = (await session.execute(select(Case.id, Case.updated_at))).all()
    return {str(case_id): updated_at for case_id, updated_at in rows}


async def test_rotation_rewraps_everything_and_the_old_key_can_go(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    old, new = _key("A"), _key("B")
    world = World()
    await _write(sessions, _cipher(old), world, "a", 7)
    await _write(sessions, _cipher(old), world, "b", 2)
    wrapped = 1 + len(world.persons) + len(world.answers) + len(world.volunteers)
    assert await rotation.keys_in_use(sessions) == {old.key_id: wrapped}
    touched = await _updated_at(sessions)

    both = _cipher(new, old)
    report = await rotation.rotate_keys(sessions, both, batch=3)

    assert report.newest_key_id == new.key_id
    assert report.rewrapped == {
        "keyring": 1,
        "persons": len(world.persons),
        "cases": len(world.answers),
        "volunteers": len(world.volunteers),
        "case_answers": 0,  # sealed mode only: NULL here
        "case_entries": 0,
    }
    assert (report.unreadable, report.remaining) == (0, 0)
    assert str(report).endswith("still under older keys: 0")
    assert await rotation.keys_in_use(sessions) == {new.key_id: wrapped}
    await _check(sessions, both, world)
    await _check(sessions, _cipher(new), world)  # the old master key is no longer needed
    with pytest.raises(DecryptionError):
        await _check(sessions, _cipher(old), world)
    assert await _updated_at(sessions) == touched  # rotating is not touching a case

    before = await every_value(engine)
    again = await rotation.rotate_keys(sessions, both, batch=3)
    assert set(again.rewrapped.values()) == {0}
    assert again.remaining == 0
    assert await every_value(engine) == before  # a second run writes nothing


async def test_a_process_still_on_the_old_key_is_caught_by_a_second_run(
    sessions: Sessions,
) -> None:
    old, new = _key("A"), _key("B")
    world = World()
    await _write(sessions, _cipher(old), world, "a", 2)
    await rotation.rotate_keys(sessions, _cipher(new, old))
    # an instance started before the rotation and not yet restarted with the new key
    await _write(sessions, _cipher(old), world, "late", 2, start=False)
    in_use = await rotation.keys_in_use(sessions)
    assert in_use[old.key_id] == 2 + 2 + 1  # persons, cases, its volunteer
    report = await rotation.rotate_keys(sessions, _cipher(new, old))
    assert report.rewrapped == {"keyring": 0, "persons": 2, "cases": 2, "volunteers": 1,
                                "case_answers": 0, "case_entries": 0}  # fmt: skip
    assert report.remaining == 0
    await _check(sessions, _cipher(new), world)


async def test_keys_nobody_can_open_are_reported_and_left_alone(sessions: Sessions) -> None:
    old, new, lost = _key("A"), _key("B"), _key("lost")
    world = World()
    await _write(sessions, _cipher(old), world, "a", 2)
    stranger = _cipher(lost)
    async with sessions.begin() as session:
        session.add(
            KeyringEntry(
                name="other",
                blob=stranger.wrap_key(stranger.new_data_key(), keyring_record("other")),
            )
        )
        case_id = next(iter(world.answers))
        garbage = b"\x07not a wrapped key at all"
        await session.execute(update(Case).where(Case.id == case_id).values(key_blob=garbage))

    report = await rotation.rotate_keys(sessions, _cipher(new, old))

    assert report.unreadable == 2
    assert report.remaining == 2
    assert report.rewrapped["cases"] == len(world.answers) - 1
    in_use = await rotation.keys_in_use(sessions)
    assert in_use == {
        new.key_id: 1 + len(world.persons) + len(world.answers) - 1 + len(world.volunteers),
        lost.key_id: 1,
        rotation.UNREADABLE: 1,
    }
    async with sessions() as session:
        assert (await session.get_one(Case, case_id)).key_blob == garbage
        other = await session.get_one(KeyringEntry, "other")
        assert stranger.unwrap_key(other.blob, keyring_record("other"))


async def test_rotation_while_the_bot_writes_loses_nothing(sessions: Sessions) -> None:
    old, new = _key("A"), _key("B")
    world = World()
    await _write(sessions, _cipher(old), world, "a", 12)
    serving = _cipher(new, old)  # the bot restarted with the new key first
    pseudonyms = list(world.persons)

    async def bot() -> None:
        for number in range(12):
            async with sessions.begin() as session:
                pseudonym = pseudonyms[number]
                chat_id = 5000 + number  # they write from another chat now
                person = await upsert_person(
                    session, serving, pseudonym=pseudonym, chat_id=chat_id, language="en"
                )
                world.persons[pseudonym] = chat_id
                answers = {"during": number}
                case = await create_case(
                    session, serving, person=person, answers=answers, priority=2,
                    category="c", language="en",
                )  # fmt: skip
                world.answers[case.id] = answers
            async with sessions.begin() as session:
                case = await session.get_one(Case, next(iter(world.answers)))
                entry = await entry_store.add_entry(
                    session, serving, case, kind="person", body=f"more {number}", author=None
                )
                world.entries[entry.id] = f"more {number}"
            await asyncio.sleep(0)

    report, _ = await asyncio.gather(rotation.rotate_keys(sessions, serving, batch=1), bot())

    assert report.remaining == 0
    assert report.rewrapped["persons"] == 12
    assert report.rewrapped["cases"] == 12  # the 12 new ones were under the new key already
    assert await rotation.keys_in_use(sessions) == {new.key_id: 1 + 12 + 24 + 1}
    await _check(sessions, _cipher(new), world)


async def test_two_rotations_at_once_rewrap_each_key_once(sessions: Sessions) -> None:
    old, new = _key("A"), _key("B")
    world = World()
    await _write(sessions, _cipher(old), world, "a", 10)
    both = _cipher(new, old)

    first, second = await asyncio.gather(
        rotation.rotate_keys(sessions, both, batch=2),
        rotation.rotate_keys(sessions, both, batch=3),
    )

    for table, expected in {"keyring": 1, "persons": 10, "cases": 10, "volunteers": 1}.items():
        assert first.rewrapped[table] + second.rewrapped[table] == expected, table
    assert first.remaining == second.remaining == 0
    await _check(sessions, _cipher(new), world)


async def test_rotation_refuses_an_empty_batch(sessions: Sessions) -> None:
    with pytest.raises(ValueError, match="batch"):
        await rotation.rotate_keys(sessions, _cipher(_key("B")), batch=0)


def test_every_wrapped_key_column_is_rotated() -> None:
    """A new column of wrapped keys must be added to the rotation, or the old key stays needed."""
    from storage.models import Base

    blobs = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.c
        if column.name.endswith("key_blob") or column.name == "blob"
    }
    # Not a wrapped data key: sealed whole to the intake's delivery key, deleted once sent.
    blobs.remove("deliveries.blob")
    # Not under a master or desk key: under a key from the person's passphrase (sealed mode's
    # web thread, `storage.person_keys`), which no rotation holds; it is left as it is.
    blobs.remove("cases.person_key_blob")
    rotated = {f"{spec.table.name}.{spec.blob.name}" for spec in rotation.wrapped_key_columns()}
    assert rotated == blobs
    assert len({spec.name for spec in rotation.wrapped_key_columns()}) == len(blobs)


async def test_record_binding_survives_rotation(sessions: Sessions) -> None:
    """A re-wrapped key still opens only for its own record."""
    old, new = _key("A"), _key("B")
    world = World()
    await _write(sessions, _cipher(old), world, "a", 2)
    await rotation.rotate_keys(sessions, _cipher(new, old))
    async with sessions() as session:
        first, second = (await session.scalars(select(Case))).all()
    with pytest.raises(DecryptionError):
        _cipher(new).unwrap_key(first.key_blob, case_record(second.id))


# --- full re-key (`keys rotate --rekey`) -----------------------------------------------------


@dataclass
class Copy:
    """An old copy of the database: every wrapped key and ciphertext, by record."""

    wrapped: dict[str, bytes] = field(default_factory=dict)  # "table:id" -> key_blob
    sealed: dict[str, bytes] = field(default_factory=dict)  # "table:id:column" -> ciphertext


async def _copy(sessions: Sessions) -> Copy:
    copy = Copy()
    async with sessions() as session:
        for model, columns in ((Person, ("chat_enc",)), (Volunteer, ("chat_enc",)),
                               (Case, ("answers_enc", "close_reason_enc"))):  # fmt: skip
            for row in (await session.scalars(select(model))).all():
                copy.wrapped[f"{model.__tablename__}:{row.id}"] = bytes(row.key_blob)
                for column in columns:
                    value = getattr(row, column)
                    if value is not None:
                        copy.sealed[f"{model.__tablename__}:{row.id}:{column}"] = bytes(value)
        for entry in (await session.scalars(select(CaseEntry))).all():
            copy.sealed[f"case_entries:{entry.id}:body_enc"] = bytes(entry.body_enc)
        keyring = (await session.scalars(select(KeyringEntry))).all()
        copy.wrapped.update({f"keyring:{k.name}": bytes(k.blob) for k in keyring})
    return copy


def _record_of(name: str) -> str:
    table, row_id = name.split(":")[:2]
    records = {"persons": rotation.person_record, "cases": case_record,
               "volunteers": rotation.volunteer_record, "keyring": keyring_record}  # fmt: skip
    return records[table](row_id)


async def test_rekey_leaves_nothing_an_old_copy_and_the_old_master_key_could_open(
    sessions: Sessions,
) -> None:
    old, new = _key("A"), _key("B")
    world = World()
    await _write(sessions, _cipher(old), world, "a", 7)
    before = await _copy(sessions)  # the copy an adversary took (a backup, the WAL)
    assert len(before.sealed) == 7 + 1 + 7 + 3 + 7  # chats, answers, reasons, entries

    report = await rotation.rekey(sessions, _cipher(new, old), batch=3)

    assert report.rekeyed == {"persons": 7, "cases": 7, "volunteers": 1}
    assert (report.entries, report.unreadable, report.busy) == (7, 0, 0)
    assert "case entries re-encrypted: 7" in str(report)
    after = await _copy(sessions)
    assert after.wrapped.keys() == before.wrapped.keys()
    assert after.sealed.keys() == before.sealed.keys()
    for name, blob in before.wrapped.items():  # every wrapped key and ciphertext is new
        assert after.wrapped[name] != blob, name
    for name, blob in before.sealed.items():
        assert after.sealed[name] != blob, name
    # The live database needs only the new master key...
    await _check(sessions, _cipher(new), world)
    assert await rotation.keys_in_use(sessions) == {new.key_id: len(before.wrapped)}
    # ...and the old copy only the old one, which can now be destroyed:
    for name, blob in before.wrapped.items():
        with pytest.raises(DecryptionError):
            _cipher(new).unwrap_key(blob, _record_of(name))
    # No data key is shared: what the old copy and the old master key yield opens nothing live.
    for name, blob in before.wrapped.items():
        if name.startswith("keyring:"):
            continue  # the pseudonym key: re-wrapped only, see below
        old_key = _cipher(old).unwrap_key(blob, _record_of(name))
        new_key = _cipher(new).unwrap_key(after.wrapped[name], _record_of(name))
        assert old_key != new_key, name
    async with sessions() as session:
        cases = (await session.scalars(select(Case))).all()
        for case in cases:
            old_key = _cipher(old).unwrap_key(before.wrapped[f"cases:{case.id}"],
                                              case_record(case.id))  # fmt: skip
            with pytest.raises(DecryptionError):
                _cipher(old).decrypt(old_key, case_record(case.id), "answers", case.answers_enc)
    # The pseudonym key stays the same secret (pseudonyms must keep matching); it is re-wrapped.
    name = "keyring:" + next(k.split(":")[1] for k in before.wrapped if k.startswith("keyring:"))
    assert _cipher(old).unwrap_key(before.wrapped[name], _record_of(name)) == _cipher(
        new
    ).unwrap_key(after.wrapped[name], _record_of(name))


async def test_rekey_while_the_bot_writes_loses_nothing(sessions: Sessions) -> None:
    old, new = _key("A"), _key("B")
    world = World()
    await _write(sessions, _cipher(old), world, "a", 10)
    serving = _cipher(new, old)  # the bot restarted with the new key first
    existing = list(world.answers)

    async def bot() -> None:
        for number in range(20):
            async with sessions.begin() as session:
                # The case is loaded, then the re-key may commit before the entry is written.
                case = await session.get_one(Case, existing[number % len(existing)])
                await asyncio.sleep(0.005)
                entry = await entry_store.add_entry(
                    session, serving, case, kind="person", body=f"during {number}", author=None
                )
                world.entries[entry.id] = f"during {number}"
            if number % 5 == 1 and existing[number % len(existing)] not in world.reasons:
                async with sessions.begin() as session:
                    case = await session.get_one(Case, existing[number % len(existing)])
                    await asyncio.sleep(0.005)
                    await case_store.close(session, serving, case, f"late {number}")
                    world.reasons[case.id] = f"late {number}"
            await asyncio.sleep(0)

    report, _ = await asyncio.gather(rotation.rekey(sessions, serving, batch=1), bot())

    assert report.busy == 0
    assert report.unreadable == 0
    await _check(sessions, _cipher(new), world)


async def test_rekey_refuses_an_empty_batch(sessions: Sessions) -> None:
    with pytest.raises(ValueError, match="batch"):
        await rotation.rekey(sessions, _cipher(_key("B")), batch=0)


# --- desk key rotation (`keys rotate-desk`, sealed mode) ---------------------------------------


def _desk_key() -> DeskPrivateKey:
    (key,) = parse_desk_private_keys(generate_desk_key_pair()[0])
    return key


def _desk(*keys: DeskPrivateKey) -> Cipher:
    return Cipher(DeskKeyWrapper(private=keys))


@dataclass
class SealedWorld:
    """What the intake sealed to the desk (and the desk itself), to check after rotating."""

    person: str = ""
    case: str = ""
    other_case: str = ""
    answers: bytes = b""  # sealed under the case's answers key
    entry: str = ""  # with a key of its own
    entry_body: bytes = b""
    case_entry: str = ""  # under the case's key
    volunteer: str = ""


async def _write_sealed(
    sessions: Sessions, master: Cipher, intake: Cipher, desk: Cipher, world: SealedWorld
) -> None:
    """The intake's keyring row under its master key; everything case-side sealed to the desk,
    the way each side writes it (the intake can only seal, the desk also opens)."""
    async with sessions.begin() as session:
        await load_pseudonymizer(session, master)
        person = await upsert_person(session, intake, pseudonym="p-1", chat_id=1001, language="ru")
        world.person = person.id
        case = await create_case(
            session, intake, person=person, answers={"n": 1}, priority=1, category="c",
            language="ru",
        )  # fmt: skip
        world.case = case.id
        other = await create_case(
            session, intake, person=person, answers={"n": 2}, priority=1, category="c",
            language="ru",
        )  # fmt: skip
        world.other_case = other.id
        entry = await entry_store.add_entry(
            session, intake, case, kind="person", body="sealed follow-up", author=None
        )
        world.entry = entry.id
    async with sessions.begin() as session:
        case = await session.get_one(Case, world.case)
        volunteer = await volunteer_store.ensure_admin(
            session, desk, pseudonym="v-1", chat_id=9000, language="en"
        )
        world.volunteer = volunteer.id
        plain = await entry_store.add_entry(
            session, desk, case, kind="note", body="under the case key", author=volunteer
        )
        world.case_entry = plain.id
        session.add(KeyringEntry(name="desk", blob=desk.new_secret(keyring_record("desk"))))


async def _check_sealed(sessions: Sessions, desk: Cipher, world: SealedWorld) -> None:
    async with sessions() as session:
        person = await session.get_one(Person, world.person)
        assert person_chat_id(desk, person) == 1001
        for case_id, answers in ((world.case, {"n": 1}), (world.other_case, {"n": 2})):
            case = await session.get_one(Case, case_id)
            assert case.answers_key_blob is not None  # the intake's: a key of their own
            assert case_answers(desk, case) == answers
        case = await session.get_one(Case, world.case)
        entry = await session.get_one(CaseEntry, world.entry)
        assert entry.key_blob is not None
        assert entry_store.entry_text(desk, case, entry) == "sealed follow-up"
        plain = await session.get_one(CaseEntry, world.case_entry)
        assert plain.key_blob is None
        assert entry_store.entry_text(desk, case, plain) == "under the case key"
        volunteer = await session.get_one(Volunteer, world.volunteer)
        assert volunteer_store.volunteer_chat_id(desk, volunteer) == 9000
        keyring = await session.get_one(KeyringEntry, "desk")
        assert desk.open_secret(keyring_record("desk"), keyring.blob)


async def test_desk_rotation_moves_what_is_sealed_to_the_old_desk_key_and_nothing_else(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    master = _cipher(_key("M"))  # the intake's own key: its keyring row is not the desk's
    old, new = _desk_key(), _desk_key()
    world = SealedWorld()
    await _write_sealed(sessions, master, Cipher(DeskKeyWrapper(public=old.public())),
                        _desk(old), world)  # fmt: skip
    sealed_count = (
        1 + 2 + 2 + 1 + 1 + 1
    )  # person, 2 cases and their answers, entry, volunteer, keyring
    assert await rotation.keys_in_use(sessions) == {
        master.newest_key_id: 1, old.key_id: sealed_count
    }  # fmt: skip
    async with sessions() as session:
        intake_row = bytes((await session.get_one(KeyringEntry, "pseudonym")).blob)

    wrapper = DeskKeyWrapper(private=[new, old])
    both = Cipher(wrapper)
    report = await rotation.rotate_keys(sessions, both, batch=1, key_ids=wrapper.key_ids)

    assert report.newest_key_id == new.key_id
    assert report.rewrapped == {"keyring": 1, "persons": 1, "cases": 2, "volunteers": 1,
                                "case_answers": 2, "case_entries": 1}  # fmt: skip
    assert (report.unreadable, report.remaining) == (0, 0)
    assert await rotation.keys_in_use(sessions) == {
        master.newest_key_id: 1, new.key_id: sealed_count
    }  # fmt: skip
    await _check_sealed(sessions, _desk(new), world)  # the old desk key is no longer needed
    with pytest.raises(DecryptionError):
        await _check_sealed(sessions, _desk(old), world)
    async with sessions() as session:
        assert bytes((await session.get_one(KeyringEntry, "pseudonym")).blob) == intake_row
        assert await load_pseudonymizer(session, master)  # the intake still opens its own

    before = await every_value(engine)
    again = await rotation.rotate_keys(sessions, both, key_ids=wrapper.key_ids)
    assert set(again.rewrapped.values()) == {0}
    assert await every_value(engine) == before  # a second run writes nothing

    # An intake not yet given the new public key keeps sealing to the old one: run again.
    async with sessions.begin() as session:
        late = Cipher(DeskKeyWrapper(public=old.public()))
        await upsert_person(session, late, pseudonym="p-2", chat_id=1002, language="ru")
    assert (await rotation.keys_in_use(sessions))[old.key_id] == 1
    third = await rotation.rotate_keys(sessions, both, key_ids=wrapper.key_ids)
    assert third.rewrapped["persons"] == 1
    assert third.remaining == 0
    assert old.key_id not in await rotation.keys_in_use(sessions)
