"""A seized intake host, in sealed mode: its database (rows and files), its Redis files and every
setting it has, after people wrote, volunteers answered and a codeword was set; every key the
intake holds is tried on every stored byte. Nothing submitted opens, no chat id is there, and
the pseudonyms cannot be matched to ids faster than one Argon2id computation per id."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from storage import deliveries as delivery_store
from storage import keyring as keyring_store
from storage.cases import answers_record, case_record
from storage.crypto import (
    Cipher,
    DecryptionError,
    MasterKeyWrapper,
    Pseudonymizer,
    hpke_open,
    parse_desk_public_key,
    wrapped_key_id,
)
from storage.db import make_engine
from storage.entries import entry_record
from storage.persons import person_record
from storage.slow_pseudonyms import MEMORY_KIB, SlowPseudonymizer
from storage.volunteers import volunteer_record
from tests.e2e.flows import submit_request
from tests.e2e.sealed import SealedPair, start_sealed
from tests.support.dbfiles import database_files_at, found
from tests.support.people import command, eventually, say
from tests.support.redisfiles import AofRedis, every_string, openable_drafts, start_aof_redis

# Ids long enough that no other number in the files contains them by chance.
PEOPLE = (7314403301, 7314403302)
VOLUNTEER = 7314403355
CANARIES = {
    "answer": "SEIZE-ANSWER-4fd1",
    "second": "SEIZE-SECOND-8a20",
    "follow-up": "SEIZE-FOLLOWUP-77c3",
    "reply": "SEIZE-REPLY-19e6",
    "note": "SEIZE-NOTE-b05d",
    "codeword": "seize codeword 61",
}


@pytest.fixture
def seized_redis(tmp_path: Path) -> Iterator[AofRedis]:
    with start_aof_redis(tmp_path / "intake-redis") as server:
        yield server


def _every_record(name: str, row_id: str) -> list[str]:
    """Every record name this code gives a row of that table: what an attacker would try."""
    return {
        "persons": [person_record(row_id)],
        "cases": [case_record(row_id), answers_record(row_id)],
        "case_entries": [entry_record(row_id)],
        "volunteers": [volunteer_record(row_id)],
        "keyring": [keyring_store.keyring_record(row_id)],
    }.get(name, [])


def _tables(url: str) -> list[tuple[str, list[dict[str, object]]]]:
    """Every row of every table, as an attacker with the database reads it."""

    async def read() -> list[tuple[str, list[dict[str, object]]]]:
        engine = make_engine(url)
        try:
            async with engine.connect() as connection:
                metadata = MetaData()
                await connection.run_sync(metadata.reflect)
                out = []
                for table in metadata.sorted_tables:
                    rows = (await connection.execute(select(table))).mappings().all()
                    out.append((table.name, [dict(row) for row in rows]))
                return out
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _work_the_desk(pair: SealedPair) -> list[bytes]:
    """Two requests, a reply, a follow-up, a note; the delivery that waited, as it was stored."""
    admin = pair.admin()
    volunteer = pair.volunteer(admin, VOLUNTEER)
    first = pair.people.user(PEOPLE[0], language_code="en")
    second = pair.people.user(PEOPLE[1], language_code="en")
    reference = submit_request(first, details=CANARIES["answer"], codeword=CANARIES["codeword"])
    submit_request(second, details=CANARIES["second"])
    command(volunteer, "/take", args=reference, expect=CANARIES["answer"])
    pair.intake.stop()  # the reply waits, sealed to the intake's delivery key
    command(volunteer, "/reply", args=f"{reference} {CANARIES['reply']}", expect="Handed")
    waiting = [bytes(row["blob"]) for row in _rows(pair.database_url, "deliveries")]  # type: ignore[arg-type]
    pair.restart_intake()
    first.wait_for_text(CANARIES["reply"])
    say(first, CANARIES["follow-up"], expect="was added to request")
    volunteer.wait_for_text(CANARIES["follow-up"])
    command(volunteer, "/note", args=f"{reference} {CANARIES['note']}", expect="Note added")
    return waiting


def test_a_seized_intake_host_opens_nothing_submitted(
    tmp_path: Path,
    database_url: str,
    seized_redis: AofRedis,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # the default INTAKE_LOG_LEVEL
    # Redis's files are rewritten (by the bot itself) at most this often after a draft goes.
    intake = {"redis_url": seized_redis.url, "compact_interval_seconds": 1}
    server = None
    if not database_url.startswith("sqlite"):
        server = request.getfixturevalue("postgres_server")
    with start_sealed(tmp_path, database_url, intake=intake) as pair:
        sent = _work_the_desk(pair)
        assert len(sent) == 1
        settings = pair.intake.settings  # every setting the intake host has
        eventually(lambda: _no_pending(database_url), what="the deliveries sent and deleted")
        master = Cipher(MasterKeyWrapper(settings.keys()))
        keyring = {str(r["name"]): bytes(r["blob"]) for r in _rows(database_url, "keyring")}
        owner_key = master.open_secret(
            keyring_store.keyring_record(keyring_store.PSEUDONYM_KEY_NAME), keyring["pseudonym"]
        )
        owners = [SlowPseudonymizer(owner_key)("person", user_id) for user_id in PEOPLE]

        def drafts_left() -> int:
            strings = every_string(seized_redis.directory)
            return sum(openable_drafts(strings, master, owner) for owner in owners)

        eventually(lambda: drafts_left() == 0, timeout=30,
                   what="the sent questionnaires gone from Redis's files")  # fmt: skip
        # The sent delivery's bytes (chat id and text, which the intake's key opens) leave the
        # database's files too (PostgreSQL: VACUUM FULL; SQLite: secure_delete, checkpoint).
        eventually(lambda: found(sent, database_files_at(database_url, server)) == [], timeout=30,
                   what="the sent delivery gone from the database files")  # fmt: skip
        # Seized while running: its database and Redis as they are now.
        tables = _tables(database_url)
        files = database_files_at(database_url, server)
        strings = every_string(seized_redis.directory)

    desk_key_id = parse_desk_public_key(pair.desk_public).key_id
    secrets = {
        name: master.open_secret(keyring_store.keyring_record(name), blob)
        for name, blob in keyring.items()
        if name in (keyring_store.PSEUDONYM_KEY_NAME, keyring_store.DELIVERY_KEY_NAME)
    }
    assert set(secrets) == {"pseudonym", "delivery"}  # the intake's own: it opens those
    with pytest.raises(DecryptionError):  # not the desk's pseudonym key (volunteers)
        master.open_secret(
            keyring_store.keyring_record(keyring_store.DESK_PSEUDONYM_KEY_NAME),
            keyring[keyring_store.DESK_PSEUDONYM_KEY_NAME],
        )

    # Every wrapped key of a person, case, entry or volunteer is the desk's: none opens here.
    opened, tried = 0, 0
    references = []
    for name, rows in tables:
        for row in rows:
            if name == "cases":
                references.append(str(row["reference"]))
            for column in ("key_blob", "answers_key_blob"):
                blob = row.get(column)
                if blob is None or name == "keyring":
                    continue
                assert wrapped_key_id(bytes(blob)) == desk_key_id, (name, column)
                for record in _every_record(name, str(row["id"])):
                    tried += 1
                    try:
                        master.record(record, bytes(blob))
                        opened += 1
                    except DecryptionError:
                        pass
    assert tried >= 8
    assert opened == 0

    # The delivery key opens no stored byte (nothing is waiting to be sent).
    cells = [bytes(v) for _, rows in tables for row in rows for v in row.values()
             if isinstance(v, bytes | memoryview)]  # fmt: skip
    for cell in cells:
        for reference in references:
            with pytest.raises(DecryptionError):
                hpke_open(secrets["delivery"], cell, delivery_store.context_of(reference))

    # No canary, no Telegram id and no fast pseudonym in plaintext anywhere it keeps.
    fast = Pseudonymizer(secrets["pseudonym"])
    slow = SlowPseudonymizer(secrets["pseudonym"])
    everything = b"\n".join([files, *strings, *cells,
                             *(str(v).encode() for _, rows in tables for row in rows
                               for v in row.values())])  # fmt: skip
    for marker in CANARIES.values():
        assert marker.encode() not in everything, marker
        assert (marker in caplog.text) is False, f"{marker} in the logs"
    for user_id in (*PEOPLE, VOLUNTEER):
        assert str(user_id).encode() not in everything, user_id
        assert fast("person", user_id).encode() not in everything
        assert fast("volunteer", user_id).encode() not in everything
    stored = {str(row["pseudonym"]) for row in dict(tables)["persons"]}  # type: ignore[call-overload]
    # Matching an id to a person takes one Argon2id run of MEMORY_KIB per id tried.
    assert stored == {slow("person", user_id) for user_id in PEOPLE}
    assert MEMORY_KIB >= 19 * 1024


def _rows(url: str, table: str) -> list[dict[str, object]]:
    return dict(_tables(url))[table]


def _no_pending(url: str) -> bool:
    return not _rows(url, "deliveries")
