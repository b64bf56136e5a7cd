"""The volunteer desk on SQLite and PostgreSQL: what volunteers and admins would notice."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import audit as audit_store
from storage import cases as case_store
from storage import entries as entry_store
from storage import errors, persons
from storage import stats as stats_store
from storage import volunteers as volunteer_store
from storage.cases import create_case
from storage.crypto import Cipher, DecryptionError, Pseudonymizer
from storage.db import make_engine, make_sessionmaker
from storage.erasure import erase_person
from storage.models import (
    AuditEvent,
    Case,
    CaseEntry,
    Invite,
    Person,
    RelayLink,
    Volunteer,
    today,
)
from storage.persons import upsert_person
from storage.schema import upgrade_engine

Sessions = async_sessionmaker[AsyncSession]

MARKER = "DESK-PLAINTEXT-MARKER-7Q"
VOLUNTEER_CHAT = 5550001234567
HANDLE_RE = re.compile(r"[a-z]+-[a-z]+-\d\d")


async def _raw_rows(engine: AsyncEngine, table: str) -> list[bytes]:
    async with engine.connect() as connection:
        rows = (await connection.execute(text(f"SELECT * FROM {table}"))).all()  # noqa: S608
    return [
        bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
        for row in rows
        for value in row
    ]


@pytest.fixture
def hasher() -> Pseudonymizer:
    return Pseudonymizer(secrets.token_bytes(32))


async def _admin(sessions: Sessions, cipher: Cipher, name: str = "admin") -> Volunteer:
    async with sessions.begin() as session:
        return await volunteer_store.ensure_admin(
            session, cipher, pseudonym=f"v-{name}", chat_id=VOLUNTEER_CHAT, language="ru"
        )


async def _volunteers(sessions: Sessions, cipher: Cipher, count: int) -> list[Volunteer]:
    """`count` plain volunteers, each joined through an invite from one admin."""
    admin = await _admin(sessions, cipher)
    out = []
    for number in range(count):
        code_hash = f"hash-{number}-{secrets.token_hex(4)}"
        async with sessions.begin() as session:
            await volunteer_store.create_invite(
                session, code_hash=code_hash, role="volunteer", created_by=admin, ttl=timedelta(1)
            )
        async with sessions.begin() as session:
            out.append(
                await volunteer_store.redeem_invite(
                    session,
                    cipher,
                    code_hash=code_hash,
                    pseudonym=f"v-{number}",
                    chat_id=1000 + number,
                    language="en",
                )
            )
    return out


async def _person(sessions: Sessions, cipher: Cipher, name: str = "p") -> Person:
    async with sessions.begin() as session:
        return await upsert_person(
            session, cipher, pseudonym=name * 64, chat_id=777000111, language="ru"
        )


async def _cases(
    sessions: Sessions,
    cipher: Cipher,
    priorities: list[int],
    person: Person | None = None,
) -> list[Case]:
    """Waiting cases with these priorities, created one minute apart in the given order."""
    person = person or await _person(sessions, cipher)
    start = datetime.now(UTC) - timedelta(hours=2)
    out = []
    async with sessions.begin() as session:
        for number, priority in enumerate(priorities):
            case = await create_case(
                session,
                cipher,
                person=person,
                answers={"n": number},
                priority=priority,
                category="c",
                language="ru",
            )
            case.created_at = start + timedelta(minutes=number)
            out.append(case)
    return out


async def _get(sessions: Sessions, case: Case) -> Case:
    async with sessions() as session:
        return await session.get_one(Case, case.id)


# --- volunteers --------------------------------------------------------------------------------


async def test_ensure_admin_creates_once_and_never_undoes_a_revocation(
    sessions: Sessions, cipher: Cipher
) -> None:
    admin = await _admin(sessions, cipher)
    assert admin.role == "admin"
    assert HANDLE_RE.fullmatch(admin.handle)
    assert str(VOLUNTEER_CHAT) not in admin.handle
    assert volunteer_store.volunteer_chat_id(cipher, admin) == VOLUNTEER_CHAT
    assert admin.revoked_at is None

    async with sessions.begin() as session:
        revoked, released = await volunteer_store.revoke(session, admin.handle)
    assert released == 0
    assert revoked.revoked_at is not None
    async with sessions() as session:
        assert await volunteer_store.find_volunteer(session, "v-admin") is None

    # The configured list only bootstraps accounts never seen: a revoked admin stays revoked.
    async with sessions.begin() as session:
        again = await volunteer_store.ensure_admin(
            session, cipher, pseudonym="v-admin", chat_id=42, language="en"
        )
    assert (again.id, again.handle) == (admin.id, admin.handle)
    assert again.revoked_at is not None
    assert volunteer_store.volunteer_chat_id(cipher, again) == VOLUNTEER_CHAT
    async with sessions() as session:
        assert await volunteer_store.find_volunteer(session, "v-admin") is None
        assert len(await volunteer_store.list_volunteers(session)) == 1


async def test_volunteer_chat_id_is_ciphertext_bound_to_its_volunteer(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    one = await _admin(sessions, cipher, "one")
    two = await _admin(sessions, cipher, "two")
    assert one.handle != two.handle
    for value in await _raw_rows(engine, "volunteers"):
        assert str(VOLUNTEER_CHAT).encode() not in value
    two.chat_enc = one.chat_enc
    with pytest.raises(DecryptionError):
        volunteer_store.volunteer_chat_id(cipher, two)


async def test_touch_keeps_only_the_hour(sessions: Sessions, cipher: Cipher) -> None:
    admin = await _admin(sessions, cipher)
    async with sessions.begin() as session:
        await session.execute(
            update(Volunteer)
            .where(Volunteer.id == admin.id)
            .values(last_active_at=datetime(2024, 1, 1, tzinfo=UTC))
        )
    admin.last_active_at = datetime(2024, 1, 1, tzinfo=UTC)
    async with sessions.begin() as session:
        await volunteer_store.touch(session, admin)
    async with sessions() as session:
        stored = await session.get_one(Volunteer, admin.id)
    now = datetime.now(UTC)
    assert stored.last_active_at == admin.last_active_at
    assert (stored.last_active_at.minute, stored.last_active_at.second) == (0, 0)
    assert stored.last_active_at.microsecond == 0
    assert timedelta(0) <= now - stored.last_active_at < timedelta(hours=1, minutes=1)


async def test_active_and_all_volunteers(sessions: Sessions, cipher: Cipher) -> None:
    first, second = await _volunteers(sessions, cipher, 2)
    async with sessions.begin() as session:
        await volunteer_store.revoke(session, f" @{first.handle.upper()} ")
    async with sessions() as session:
        active = [v.handle for v in await volunteer_store.active_volunteers(session)]
        everyone = [v.handle for v in await volunteer_store.list_volunteers(session)]
    assert first.handle not in active
    assert second.handle in active
    assert {first.handle, second.handle} <= set(everyone)
    assert len(everyone) == 3  # with the admin who invited them


async def test_revoke_returns_cases_to_the_queue_and_closes_open_doors(
    sessions: Sessions, cipher: Cipher
) -> None:
    (volunteer,) = await _volunteers(sessions, cipher, 1)
    cases = await _cases(sessions, cipher, [1, 2, 3])
    async with sessions.begin() as session:
        taken = [await case_store.claim_next(session, volunteer) for _ in range(3)]
        assert all(case is not None for case in taken)
        await case_store.close(session, cipher, cases[2], None)
        await entry_store.link_relay(session, volunteer=volunteer, message_id=10, case=cases[0])
        await volunteer_store.create_invite(
            session, code_hash="left-open", role="volunteer", created_by=volunteer, ttl=timedelta(1)
        )
    async with sessions.begin() as session:
        revoked, released = await volunteer_store.revoke(session, volunteer.handle)
    assert released == 2
    assert revoked.revoked_at is not None
    async with sessions() as session:
        assert [c.id for c in await case_store.waiting_cases(session)] == [c.id for c in cases[:2]]
        assert all(c.volunteer_id is None for c in await case_store.waiting_cases(session))
        assert await entry_store.case_for_relay(session, volunteer=volunteer, message_id=10) is None
    assert (await _get(sessions, cases[2])).status == "closed"
    async with sessions() as session:
        with pytest.raises(errors.InviteInvalid):
            await volunteer_store.redeem_invite(
                session, cipher, code_hash="left-open", pseudonym="x", chat_id=1, language="ru"
            )
        with pytest.raises(errors.VolunteerRevoked):
            await case_store.claim_next(session, revoked)
    async with sessions.begin() as session:
        with pytest.raises(errors.VolunteerNotFound):
            await volunteer_store.revoke(session, "no-such-handle-00")


# --- invites -----------------------------------------------------------------------------------


def test_invite_codes_are_typeable_and_forgiving(hasher: Pseudonymizer) -> None:
    codes = {volunteer_store.new_invite_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(
            r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code
        )
        assert volunteer_store.normalize_invite_code(code.lower().replace("-", " ")) == code
    assert volunteer_store.normalize_invite_code("oil0-abcd-efgh") == "0110-ABCD-EFGH"
    assert volunteer_store.normalize_invite_code("ABCD-EFGH") is None
    code = volunteer_store.new_invite_code()
    assert volunteer_store.hash_invite_code(hasher, code) == volunteer_store.hash_invite_code(
        hasher, code.lower()
    )
    assert volunteer_store.hash_invite_code(hasher, code) != volunteer_store.hash_invite_code(
        Pseudonymizer(secrets.token_bytes(32)), code
    )
    with pytest.raises(errors.InviteInvalid):
        volunteer_store.hash_invite_code(hasher, "not a code")


async def test_invite_is_used_once_and_only_its_hash_is_stored(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher, hasher: Pseudonymizer
) -> None:
    admin = await _admin(sessions, cipher)
    code = volunteer_store.new_invite_code()
    async with sessions.begin() as session:
        invite = await volunteer_store.create_invite(
            session,
            code_hash=volunteer_store.hash_invite_code(hasher, code),
            role="admin",
            created_by=admin,
            ttl=timedelta(hours=24),
        )
    assert invite.expires_at - invite.created_at == timedelta(hours=24)
    stored = b"".join(await _raw_rows(engine, "invites"))
    assert code.encode() not in stored
    assert code.replace("-", "").encode() not in stored

    async with sessions.begin() as session:
        joined = await volunteer_store.redeem_invite(
            session,
            cipher,
            code_hash=volunteer_store.hash_invite_code(hasher, code.lower()),
            pseudonym="v-new",
            chat_id=31337,
            language="en",
        )
    assert joined.role == "admin"
    assert HANDLE_RE.fullmatch(joined.handle)
    assert volunteer_store.volunteer_chat_id(cipher, joined) == 31337
    async with sessions() as session:
        used = await session.get_one(Invite, invite.id)
        assert used.used_by == joined.id
        assert used.used_at is not None
        with pytest.raises(errors.InviteInvalid):
            await volunteer_store.redeem_invite(
                session,
                cipher,
                code_hash=volunteer_store.hash_invite_code(hasher, code),
                pseudonym="v-other",
                chat_id=1,
                language="en",
            )
        with pytest.raises(errors.InviteInvalid):
            await volunteer_store.redeem_invite(
                session, cipher, code_hash="unknown", pseudonym="v-other", chat_id=1, language="en"
            )


async def test_expired_invite_is_refused(sessions: Sessions, cipher: Cipher) -> None:
    admin = await _admin(sessions, cipher)
    async with sessions.begin() as session:
        invite = await volunteer_store.create_invite(
            session, code_hash="h", role="volunteer", created_by=admin, ttl=timedelta(minutes=5)
        )
        invite.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    async with sessions() as session:
        with pytest.raises(errors.InviteInvalid):
            await volunteer_store.redeem_invite(
                session, cipher, code_hash="h", pseudonym="late", chat_id=1, language="ru"
            )
    with pytest.raises(ValueError, match="positive"):
        async with sessions() as session:
            await volunteer_store.create_invite(
                session, code_hash="z", role="volunteer", created_by=admin, ttl=timedelta(0)
            )


async def test_active_volunteer_cannot_spend_an_invite_revoked_one_returns_anew(
    sessions: Sessions, cipher: Cipher
) -> None:
    admin = await _admin(sessions, cipher)
    (volunteer,) = await _volunteers(sessions, cipher, 1)
    async with sessions.begin() as session:
        invite = await volunteer_store.create_invite(
            session, code_hash="again", role="volunteer", created_by=admin, ttl=timedelta(1)
        )
    async with sessions() as session:
        with pytest.raises(errors.AlreadyVolunteer):
            await volunteer_store.redeem_invite(
                session, cipher, code_hash="again", pseudonym="v-0", chat_id=5, language="ru"
            )
    async with sessions() as session:
        assert (await session.get_one(Invite, invite.id)).used_at is None

    async with sessions.begin() as session:
        await volunteer_store.revoke(session, volunteer.handle)
    async with sessions.begin() as session:
        back = await volunteer_store.redeem_invite(
            session, cipher, code_hash="again", pseudonym="v-0", chat_id=6, language="uk"
        )
    # A fresh identity: nothing the revoked one held is theirs again.
    assert back.id != volunteer.id
    assert back.handle != volunteer.handle
    assert back.revoked_at is None
    assert back.language == "uk"
    assert volunteer_store.volunteer_chat_id(cipher, back) == 6


# --- the queue ---------------------------------------------------------------------------------


async def test_queue_is_most_urgent_then_oldest_first(sessions: Sessions, cipher: Cipher) -> None:
    cases = await _cases(sessions, cipher, [3, 1, 2, 1])
    expected = [cases[1].id, cases[3].id, cases[2].id, cases[0].id]
    async with sessions() as session:
        assert [c.id for c in await case_store.waiting_cases(session)] == expected
        assert [c.id for c in await case_store.waiting_cases(session, limit=2)] == expected[:2]
    (volunteer,) = await _volunteers(sessions, cipher, 1)
    claimed = []
    async with sessions.begin() as session:
        while (case := await case_store.claim_next(session, volunteer)) is not None:
            claimed.append(case)
    assert [c.id for c in claimed] == expected
    for case in claimed:
        assert (case.status, case.volunteer_id) == ("taken", volunteer.id)
        assert case.taken_at is not None
    async with sessions() as session:
        held = await case_store.cases_held_by(session, volunteer)
        assert {c.id for c in held} == set(expected)
        assert await case_store.waiting_cases(session) == []


async def test_claim_by_reference(sessions: Sessions, cipher: Cipher) -> None:
    one, two = await _volunteers(sessions, cipher, 2)
    (case, other) = await _cases(sessions, cipher, [2, 2])
    async with sessions.begin() as session:
        taken = await case_store.claim(session, one, case.reference.lower().replace("-", ""))
    assert (taken.id, taken.status, taken.volunteer_id) == (case.id, "taken", one.id)
    async with sessions.begin() as session:
        assert (await case_store.claim(session, one, case.reference)).id == case.id  # already mine
        with pytest.raises(errors.CaseNotAvailable) as info:
            await case_store.claim(session, two, case.reference)
        assert info.value.status == "taken"
        with pytest.raises(errors.CaseNotFound):
            await case_store.claim(session, two, "ZZZZ-ZZZZ")
        with pytest.raises(errors.CaseNotFound):
            await case_store.claim(session, two, "nonsense")
        await case_store.close(session, cipher, other, None)
    async with sessions() as session:
        with pytest.raises(errors.CaseNotAvailable) as info:
            await case_store.claim(session, two, other.reference)
        assert info.value.status == "closed"


async def test_release_and_close(sessions: Sessions, cipher: Cipher) -> None:
    (volunteer,) = await _volunteers(sessions, cipher, 1)
    (case,) = await _cases(sessions, cipher, [1])
    async with sessions.begin() as session:
        held = await case_store.claim_next(session, volunteer)
        assert held is not None
        await case_store.mark_announced(session, held)
        await entry_store.link_relay(session, volunteer=volunteer, message_id=77, case=held)
    async with sessions.begin() as session:
        held = await session.get_one(Case, case.id)
        released = await case_store.release(session, held)
    assert (released.status, released.volunteer_id, released.taken_at) == ("waiting", None, None)
    assert released.announced_at is None  # announced again
    async with sessions.begin() as session:
        assert await entry_store.case_for_relay(session, volunteer=volunteer, message_id=77) is None
        with pytest.raises(errors.CaseStateError):
            await case_store.release(session, released)

    async with sessions.begin() as session:
        held = await case_store.claim(session, volunteer, case.reference)
    async with sessions.begin() as session:
        # a detached object from an earlier session is brought up to date as well
        closed = await case_store.close(session, cipher, held, f"moved on {MARKER}")
    assert held.status == closed.status == "closed"
    assert closed.closed_at is not None
    assert closed.volunteer_id == volunteer.id
    assert case_store.close_reason(cipher, closed) == f"moved on {MARKER}"
    async with sessions.begin() as session:
        with pytest.raises(errors.CaseStateError):
            await case_store.close(session, cipher, closed, None)
        with pytest.raises(errors.CaseStateError):
            await case_store.release(session, closed)
        assert await case_store.cases_held_by(session, volunteer) == []

    (waiting,) = await _cases(sessions, cipher, [2])
    async with sessions.begin() as session:
        spam = await case_store.close(
            session, cipher, waiting, None
        )  # an admin may close unclaimed
    assert case_store.close_reason(cipher, spam) is None


async def test_close_reason_is_encrypted_under_the_case_key(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    one, two = await _cases(sessions, cipher, [1, 1])
    async with sessions.begin() as session:
        one = await case_store.close(session, cipher, one, MARKER)
        two = await case_store.close(session, cipher, two, "other")
    for value in await _raw_rows(engine, "cases"):
        assert MARKER.encode() not in value
    two.close_reason_enc = one.close_reason_enc
    with pytest.raises(DecryptionError):
        case_store.close_reason(cipher, two)


async def test_latest_cases_of_a_person(sessions: Sessions, cipher: Cipher) -> None:
    person = await _person(sessions, cipher, "a")
    stranger = await _person(sessions, cipher, "b")
    async with sessions() as session:
        assert await case_store.latest_case_of_person(session, person.id) is None
        assert await case_store.latest_open_case_of_person(session, person.id) is None
    older, newer = await _cases(sessions, cipher, [2, 2], person)
    await _cases(sessions, cipher, [1], stranger)
    async with sessions.begin() as session:
        await case_store.close(session, cipher, newer, None)
    async with sessions() as session:
        latest = await case_store.latest_case_of_person(session, person.id)
        open_ = await case_store.latest_open_case_of_person(session, person.id)
    assert latest is not None
    assert latest.id == newer.id
    assert open_ is not None
    assert open_.id == older.id


async def test_announcements_repeat_for_urgent_waiting_cases(
    sessions: Sessions, cipher: Cipher
) -> None:
    urgent, routine, taken = await _cases(sessions, cipher, [1, 3, 1])
    (volunteer,) = await _volunteers(sessions, cipher, 1)
    async with sessions.begin() as session:
        await case_store.claim(session, volunteer, taken.reference)
    hour = timedelta(hours=1)
    async with sessions.begin() as session:
        due = await case_store.due_for_announcement(session, older_than=hour, max_priority=2)
        assert [c.id for c in due] == [urgent.id]
        for case in due:
            await case_store.mark_announced(session, case)
        assert due[0].announced_at is not None
    async with sessions.begin() as session:
        assert await case_store.due_for_announcement(session, older_than=hour, max_priority=2) == []
        everything = await case_store.due_for_announcement(session, older_than=hour, max_priority=9)
        assert [c.id for c in everything] == [routine.id]
        await session.execute(
            update(Case)
            .where(Case.id == urgent.id)
            .values(announced_at=datetime.now(UTC) - 2 * hour)
        )
    async with sessions() as session:
        due = await case_store.due_for_announcement(session, older_than=hour, max_priority=2)
        assert [c.id for c in due] == [urgent.id]


async def test_no_reply_escalation_steps_once_and_realerts_are_spaced(
    sessions: Sessions, cipher: Cipher
) -> None:
    silent, answered, waiting = await _cases(sessions, cipher, [1, 1, 1])
    (volunteer,) = await _volunteers(sessions, cipher, 1)
    hour = timedelta(hours=1)
    async with sessions.begin() as session:
        for case in (silent, answered):
            await case_store.claim(session, volunteer, case.reference)
        replied = await session.get_one(Case, answered.id)
        await entry_store.add_entry(
            session, cipher, replied, kind="volunteer", body="Here.", author=volunteer
        )
        await session.execute(
            update(Case)
            .where(Case.id.in_([silent.id, answered.id]))
            .values(taken_at=datetime.now(UTC) - 3 * hour)
        )
    before = datetime.now(UTC) - 2 * hour
    async with sessions.begin() as session:
        due = await case_store.unanswered_taken(
            session, taken_before=before, max_priority=1, step=1
        )
        assert [c.id for c in due] == [silent.id]  # a reply since taking: never due
        assert await case_store.mark_reply_escalation(session, due[0], 1)
        assert not await case_store.mark_reply_escalation(session, due[0], 1)
    async with sessions.begin() as session:
        assert (
            await case_store.unanswered_taken(session, taken_before=before, max_priority=1, step=1)
            == []
        )
        second = await case_store.unanswered_taken(
            session, taken_before=before, max_priority=1, step=2
        )
        assert [c.id for c in second] == [silent.id]
        row = await session.get_one(Case, waiting.id)
        assert await case_store.claim_realert(session, row, every=hour)
        assert not await case_store.claim_realert(session, row, every=hour)
        taken = await session.get_one(Case, silent.id)
        assert not await case_store.claim_realert(session, taken, every=hour)  # not waiting
        await session.execute(update(Case).where(Case.id == waiting.id).values(realerted_at=before))
    async with sessions.begin() as session:
        row = await session.get_one(Case, waiting.id)
        assert await case_store.claim_realert(session, row, every=hour)


# --- conversation entries ----------------------------------------------------------------------


async def test_entries_round_trip_oldest_first(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    (volunteer,) = await _volunteers(sessions, cipher, 1)
    (case,) = await _cases(sessions, cipher, [1])
    async with sessions.begin() as session:
        case = await case_store.claim(session, volunteer, case.reference)
        await entry_store.add_entry(
            session, cipher, case, kind="person", body=f"help {MARKER}", author=None
        )
        assert case.first_reply_at is None
        await entry_store.add_entry(
            session, cipher, case, kind="note", body="check", author=volunteer
        )
        assert case.first_reply_at is None
        reply = await entry_store.add_entry(
            session, cipher, case, kind="volunteer", body="we are here", author=volunteer
        )
        assert case.first_reply_at == reply.created_at
        await entry_store.add_entry(
            session, cipher, case, kind="volunteer", body="second", author=volunteer
        )
        assert case.first_reply_at == reply.created_at
    async with sessions() as session:
        stored = await session.get_one(Case, case.id)
        assert stored.first_reply_at == reply.created_at
        entries = await entry_store.case_entries(session, cipher, stored)
    assert [(e.kind, body) for e, body in entries] == [
        ("person", f"help {MARKER}"),
        ("note", "check"),
        ("volunteer", "we are here"),
        ("volunteer", "second"),
    ]
    assert [e.author_id for e, _ in entries] == [None, volunteer.id, volunteer.id, volunteer.id]
    assert entry_store.entry_text(cipher, stored, entries[0][0]) == f"help {MARKER}"
    for value in await _raw_rows(engine, "case_entries"):
        assert MARKER.encode() not in value
        assert b"we are here" not in value


async def test_entry_ciphertext_is_bound_to_entry_and_case(
    sessions: Sessions, cipher: Cipher
) -> None:
    one, two = await _cases(sessions, cipher, [1, 1])
    async with sessions.begin() as session:
        first = await entry_store.add_entry(
            session, cipher, one, kind="person", body="a", author=None
        )
        second = await entry_store.add_entry(
            session, cipher, one, kind="person", body="b", author=None
        )
        elsewhere = await entry_store.add_entry(
            session, cipher, two, kind="person", body="c", author=None
        )
    second.body_enc = first.body_enc
    with pytest.raises(DecryptionError):
        entry_store.entry_text(cipher, one, second)
    with pytest.raises(ValueError, match="another case"):
        entry_store.entry_text(cipher, one, elsewhere)
    elsewhere.case_id = one.id
    with pytest.raises(DecryptionError):
        entry_store.entry_text(cipher, one, elsewhere)


async def test_entry_authors_are_checked(sessions: Sessions, cipher: Cipher) -> None:
    (volunteer,) = await _volunteers(sessions, cipher, 1)
    (case,) = await _cases(sessions, cipher, [1])
    async with sessions() as session:
        with pytest.raises(ValueError, match="author"):
            await entry_store.add_entry(
                session, cipher, case, kind="person", body="x", author=volunteer
            )
        with pytest.raises(ValueError, match="author"):
            await entry_store.add_entry(
                session, cipher, case, kind="volunteer", body="x", author=None
            )
        with pytest.raises(ValueError, match="kind"):
            await entry_store.add_entry(
                session, cipher, case, kind="gossip", body="x", author=volunteer
            )


async def test_undelivered_person_messages(sessions: Sessions, cipher: Cipher) -> None:
    (volunteer,) = await _volunteers(sessions, cipher, 1)
    (case,) = await _cases(sessions, cipher, [1])
    async with sessions.begin() as session:
        for body in ("one", "two"):
            await entry_store.add_entry(
                session, cipher, case, kind="person", body=body, author=None
            )
        await entry_store.add_entry(
            session, cipher, case, kind="person", body="seen", author=None, delivered=True
        )
        await entry_store.add_entry(session, cipher, case, kind="note", body="n", author=volunteer)
    async with sessions.begin() as session:
        pending = await _undelivered(session, cipher, case)
        assert [text for _, text in entry_store.decrypt_entries(cipher, case, pending)] == [
            "one",
            "two",
        ]
        await entry_store.mark_delivered(session, pending)
        await entry_store.mark_delivered(session, [])
        assert all(entry.delivered for entry in pending)
    async with sessions() as session:
        assert await _undelivered(session, cipher, case) == []


async def _undelivered(session: AsyncSession, cipher: Cipher, case: Case) -> list[CaseEntry]:
    """What the person wrote that no volunteer was shown yet, as the desk's case view finds it
    (`casework.desk.case.show`)."""
    entries = await entry_store.case_entries(session, cipher, case)
    return [e for e, _ in entries if e.kind == "person" and not e.delivered]


# --- relay links -------------------------------------------------------------------------------


async def test_relay_links_find_the_case_per_volunteer(sessions: Sessions, cipher: Cipher) -> None:
    one, two = await _volunteers(sessions, cipher, 2)
    first, second = await _cases(sessions, cipher, [1, 1])
    async with sessions.begin() as session:
        await entry_store.link_relay(session, volunteer=one, message_id=5, case=first)
        await entry_store.link_relay(session, volunteer=two, message_id=5, case=second)
        await entry_store.link_relay(session, volunteer=one, message_id=2**40, case=second)
    async with sessions.begin() as session:
        found = await entry_store.case_for_relay(session, volunteer=one, message_id=5)
        assert found is not None
        assert found.id == first.id
        found = await entry_store.case_for_relay(session, volunteer=two, message_id=5)
        assert found is not None
        assert found.id == second.id
        found = await entry_store.case_for_relay(session, volunteer=one, message_id=2**40)
        assert found is not None
        assert found.id == second.id
        assert await entry_store.case_for_relay(session, volunteer=two, message_id=6) is None
        await entry_store.link_relay(
            session, volunteer=one, message_id=5, case=second
        )  # re-pointed
    async with sessions() as session:
        found = await entry_store.case_for_relay(session, volunteer=one, message_id=5)
        assert found is not None
        assert found.id == second.id


# --- blocking ----------------------------------------------------------------------------------


async def test_blocking_the_person_of_a_case(sessions: Sessions, cipher: Cipher) -> None:
    person = await _person(sessions, cipher, "b")
    bystander = await _person(sessions, cipher, "n")
    (case,) = await _cases(sessions, cipher, [2], person)
    (other,) = await _cases(sessions, cipher, [2], bystander)
    assert not persons.is_blocked(person)
    async with sessions.begin() as session:
        blocked = await persons.block_person_of_case(session, case)
    assert blocked.id == person.id
    assert persons.is_blocked(blocked)
    assert blocked.blocked_at is not None
    assert blocked.blocked_at.tzinfo == UTC
    # kept to the day, like everything else stored about a person
    assert blocked.blocked_at == blocked.blocked_at.replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    first = blocked.blocked_at

    async with sessions.begin() as session:
        await session.execute(
            update(Person)
            .where(Person.id == person.id)
            .values(blocked_at=first - timedelta(days=3))
        )
    async with sessions.begin() as session:
        again = await persons.block_person_of_case(session, case)  # idempotent: first date kept
    assert again.blocked_at == first - timedelta(days=3)
    async with sessions() as session:
        stored = await session.get_one(Person, person.id)
        assert persons.is_blocked(stored)
        assert not persons.is_blocked(await session.get_one(Person, bystander.id))
        # the case itself is untouched
        assert (await session.get_one(Case, case.id)).status == "waiting"
        assert (await session.get_one(Case, other.id)).status == "waiting"


async def test_blocking_survives_a_new_visit(sessions: Sessions, cipher: Cipher) -> None:
    person = await _person(sessions, cipher, "r")
    (case,) = await _cases(sessions, cipher, [1], person)
    async with sessions.begin() as session:
        await persons.block_person_of_case(session, case)
    returned = await _person(sessions, cipher, "r")  # upsert on their next submission
    assert returned.id == person.id
    assert persons.is_blocked(returned)


async def test_a_silent_block_holds_their_requests_back_until_unblocked(
    sessions: Sessions, cipher: Cipher
) -> None:
    person = await _person(sessions, cipher, "s")
    bystander = await _person(sessions, cipher, "o")
    (case, later) = await _cases(sessions, cipher, [1, 1], person)
    (other,) = await _cases(sessions, cipher, [2], bystander)
    (volunteer,) = await _volunteers(sessions, cipher, 1)
    async with sessions.begin() as session:
        blocked = await persons.block_person_of_case(session, case, silent=True)
    assert persons.is_blocked(blocked)
    assert blocked.blocked_silently
    async with sessions.begin() as session:
        assert [c.id for c in await case_store.waiting_cases(session)] == [other.id]
        assert [c.id for c in await case_store.held_back_cases(session)] == [case.id, later.id]
        assert (
            await case_store.due_for_announcement(session, older_than=timedelta(0), max_priority=1)
            == []
        )
        with pytest.raises(errors.CaseNotAvailable):
            await case_store.claim(session, volunteer, case.reference)
        assert (await case_store.claim_next(session, volunteer)).id == other.id  # type: ignore[union-attr]
        assert await case_store.claim_next(session, volunteer) is None

    async with sessions.begin() as session:
        person_row, back = await persons.unblock_person_of_case(session, later)
    assert (person_row.blocked_at, person_row.blocked_silently, back) == (None, False, 2)
    async with sessions() as session:
        assert [c.id for c in await case_store.waiting_cases(session)] == [case.id, later.id]
        assert await case_store.held_back_cases(session) == []


async def test_a_closed_case_reopens_into_the_queue(sessions: Sessions, cipher: Cipher) -> None:
    (volunteer,) = await _volunteers(sessions, cipher, 1)
    (case,) = await _cases(sessions, cipher, [2])
    async with sessions.begin() as session:
        case = await case_store.claim(session, volunteer, case.reference)
        await case_store.close(session, cipher, case, "internal note")
    async with sessions.begin() as session:
        holder = await case_store.reopen(session, case)
    assert holder == volunteer.id
    reopened = await _get(sessions, case)
    assert (reopened.status, reopened.volunteer_id, reopened.closed_at) == ("waiting", None, None)
    async with sessions.begin() as session:
        assert [c.id for c in await case_store.waiting_cases(session)] == [case.id]
        with pytest.raises(errors.CaseStateError):
            await case_store.reopen(session, reopened)


# --- audit and erasure -------------------------------------------------------------------------


async def test_audit_trail_survives_erasure_of_the_person(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    (volunteer,) = await _volunteers(sessions, cipher, 1)
    person = await _person(sessions, cipher, "e")
    (case, unrelated) = await _cases(sessions, cipher, [1, 1], person)
    async with sessions.begin() as session:
        case = await case_store.claim(session, volunteer, case.reference)
        await audit_store.record(session, "claim", actor=volunteer, case=case)
        await audit_store.record(session, "view", actor=volunteer, case=case)
        await entry_store.add_entry(session, cipher, case, kind="person", body=MARKER, author=None)
        await entry_store.add_entry(
            session, cipher, case, kind="volunteer", body="hi", author=volunteer
        )
        await audit_store.record(
            session, "reply", actor=volunteer, case=case, detail="canned:hello"
        )
        await entry_store.link_relay(session, volunteer=volunteer, message_id=9, case=case)
        await audit_store.record(session, "invite", actor=None)
        await audit_store.record(session, "view", actor=volunteer, case=unrelated)
    async with sessions() as session:
        events = await audit_store.trail(session, case.reference.lower())
    assert [(e.action, e.actor_handle, e.detail) for e in events] == [
        ("claim", volunteer.handle, None),
        ("view", volunteer.handle, None),
        ("reply", volunteer.handle, "canned:hello"),
    ]
    assert all(e.at.tzinfo == UTC for e in events)

    async with sessions.begin() as session:
        assert (await erase_person(session, "e" * 64)).cases == 2
    async with sessions() as session:
        assert (await session.scalars(select(CaseEntry))).all() == []
        assert (await session.scalars(select(RelayLink))).all() == []
        assert await entry_store.case_for_relay(session, volunteer=volunteer, message_id=9) is None
        # The events stay, but no longer name the erased case, and keep only their day.
        assert await audit_store.trail(session, case.reference) == []
        every = (await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all()
        assert [(e.action, e.actor_handle, e.case_reference) for e in every] == [
            ("claim", volunteer.handle, None),
            ("view", volunteer.handle, None),
            ("reply", volunteer.handle, None),
            ("invite", None, None),
            ("view", volunteer.handle, None),  # the person's other case, erased too
            ("erased", None, None),
            ("erased", None, None),
        ]
        assert {e.at for i, e in enumerate(every) if i != 3} == {today()}
        assert await audit_store.trail(session, "nonsense") == []
    audit = b"".join(await _raw_rows(engine, "audit_events"))
    assert MARKER.encode() not in audit
    assert person.id.encode() not in audit
    assert case.id.encode() not in audit


async def test_audit_refuses_long_details(sessions: Sessions) -> None:
    async with sessions() as session:
        with pytest.raises(ValueError, match="detail"):
            await audit_store.record(session, "note", actor=None, detail="x" * 101)
        with pytest.raises(ValueError, match="action"):
            await audit_store.record(session, "", actor=None)


# --- statistics --------------------------------------------------------------------------------


async def test_desk_stats(sessions: Sessions, cipher: Cipher) -> None:
    async with sessions() as session:
        empty = await stats_store.desk_stats(session)
    assert empty == stats_store.DeskStats(0, 0, 0, None, None, 0)

    one, two = await _volunteers(sessions, cipher, 2)
    cases = await _cases(sessions, cipher, [1, 1, 1, 1, 2])
    delays = [timedelta(minutes=10), timedelta(minutes=30), timedelta(minutes=50)]
    async with sessions.begin() as session:
        for case, delay in zip(cases[:3], delays, strict=True):
            held = await case_store.claim(session, one, case.reference)
            await session.execute(
                update(Case)
                .where(Case.id == case.id)
                .values(
                    first_reply_at=held.created_at + delay,
                    first_reply_minutes=delay // timedelta(minutes=1),
                )
            )
        await case_store.close(session, cipher, cases[0], None)
    async with sessions.begin() as session:
        await volunteer_store.revoke(session, two.handle)
    async with sessions() as session:
        stats = await stats_store.desk_stats(session)
    assert (stats.waiting, stats.taken, stats.closed) == (2, 2, 1)
    assert stats.median_first_reply == timedelta(minutes=30)
    assert stats.active_volunteers == 2  # the admin and `one`
    # the oldest waiting case is the fourth, created 2 hours minus 3 minutes ago
    assert stats.oldest_waiting_age is not None
    assert timedelta(minutes=116) < stats.oldest_waiting_age < timedelta(minutes=119)


# --- races -------------------------------------------------------------------------------------


@pytest.fixture
async def wide_sessions(database_url: str) -> AsyncIterator[Sessions]:
    """Sessions on an engine whose pool lets 25 connections be open at once."""
    engine = make_engine(database_url, pool_size=25, max_overflow=0)
    await upgrade_engine(engine)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


async def _all_at_once(
    sessions: Sessions, count: int, act: Callable[[AsyncSession, int], object]
) -> list[object]:
    """Run `act` in `count` sessions whose transactions are all open before any acts.

    SQLite lets one transaction in at a time (each takes the write lock as it begins), so there
    they all begin at the same moment and queue for the lock instead.
    """
    barrier = asyncio.Barrier(count)

    async def one(number: int) -> object:
        async with sessions() as session:
            one_at_a_time = session.bind.dialect.name == "sqlite"
            if one_at_a_time:
                await barrier.wait()
            try:
                async with session.begin():
                    await session.execute(text("SELECT 1"))  # holds a connection
                    if not one_at_a_time:
                        await barrier.wait()
                    return await act(session, number)  # type: ignore[misc]
            except errors.DeskError as error:
                return error

    return list(await asyncio.gather(*(one(n) for n in range(count))))


@pytest.mark.parametrize(("volunteers", "cases"), [(20, 10), (10, 10)])
async def test_claim_race_gives_each_case_to_exactly_one_volunteer(
    wide_sessions: Sessions, cipher: Cipher, volunteers: int, cases: int
) -> None:
    team = await _volunteers(wide_sessions, cipher, volunteers)
    queue = await _cases(wide_sessions, cipher, [1 + n % 3 for n in range(cases)])

    async def claim_next(session: AsyncSession, number: int) -> str | None:
        case = await case_store.claim_next(session, team[number])
        return None if case is None else case.id

    results = await _all_at_once(wide_sessions, volunteers, claim_next)
    won = [case_id for case_id in results if case_id is not None]
    assert len(won) == cases  # nobody came back empty while a case was still waiting
    assert set(won) == {case.id for case in queue}
    async with wide_sessions() as session:
        stored = (await session.scalars(select(Case))).all()
    assert all(case.status == "taken" for case in stored)
    holders = Counter(case.volunteer_id for case in stored)
    assert max(holders.values()) == 1
    for number, case_id in enumerate(results):
        if case_id is not None:
            assert next(c for c in stored if c.id == case_id).volunteer_id == team[number].id


async def test_claim_by_reference_race_has_one_winner(
    wide_sessions: Sessions, cipher: Cipher
) -> None:
    team = await _volunteers(wide_sessions, cipher, 5)
    (case,) = await _cases(wide_sessions, cipher, [1])

    async def claim(session: AsyncSession, number: int) -> str:
        return (await case_store.claim(session, team[number], case.reference)).id

    results = await _all_at_once(wide_sessions, 5, claim)
    assert results.count(case.id) == 1
    assert sum(isinstance(r, errors.CaseNotAvailable) for r in results) == 4


async def test_invite_race_has_one_winner(wide_sessions: Sessions, cipher: Cipher) -> None:
    admin = await _admin(wide_sessions, cipher)
    async with wide_sessions.begin() as session:
        await volunteer_store.create_invite(
            session, code_hash="shared", role="volunteer", created_by=admin, ttl=timedelta(1)
        )

    async def redeem(session: AsyncSession, number: int) -> str:
        volunteer = await volunteer_store.redeem_invite(
            session,
            cipher,
            code_hash="shared",
            pseudonym=f"racer-{number}",
            chat_id=number,
            language="ru",
        )
        return volunteer.id

    results = await _all_at_once(wide_sessions, 2, redeem)
    winners = [r for r in results if isinstance(r, str)]
    assert len(winners) == 1
    assert sum(isinstance(r, errors.InviteInvalid) for r in results) == 1
    async with wide_sessions() as session:
        joined = await session.scalars(select(Volunteer).where(Volunteer.role == "volunteer"))
        assert [v.id for v in joined.all()] == winners


async def test_claim_next_waits_for_a_briefly_locked_case_instead_of_saying_none(
    sessions: Sessions, cipher: Cipher
) -> None:
    """A new case is locked for a moment while its notice is marked as sent: /take must wait."""
    [case] = await _cases(sessions, cipher, [2])
    [volunteer] = await _volunteers(sessions, cipher, 1)
    async with sessions.begin() as holder:
        await case_store.mark_announced(holder, await holder.get_one(Case, case.id))  # row locked
        claiming = asyncio.create_task(_claim_next(sessions, volunteer))
        await asyncio.sleep(0.3)
    claimed = await asyncio.wait_for(claiming, 10)
    assert claimed is not None
    assert claimed.id == case.id


async def _claim_next(sessions: Sessions, volunteer: Volunteer) -> Case | None:
    async with sessions.begin() as session:
        return await case_store.claim_next(session, volunteer)


# --- teams -------------------------------------------------------------------------------------


async def _team_cases(sessions: Sessions, cipher: Cipher, teams: list[str | None]) -> list[Case]:
    """Waiting cases of these teams (None: stored before teams), priority 2, one minute apart."""
    person = await _person(sessions, cipher, "t")
    start = datetime.now(UTC) - timedelta(hours=2)
    out = []
    async with sessions.begin() as session:
        for number, team in enumerate(teams):
            case = await create_case(
                session, cipher, person=person, answers={"n": number}, priority=2,
                category="c", language="ru", team=team, tags=["health", "health", "foreign"],
            )  # fmt: skip
            case.created_at = start + timedelta(minutes=number)
            out.append(case)
    return out


async def test_a_teams_queue_and_its_claims_keep_to_that_team(
    sessions: Sessions, cipher: Cipher
) -> None:
    """A case with no team (stored before teams existed) is in every team's queue."""
    legal, duty, old = await _team_cases(sessions, cipher, ["legal", "duty", None])
    assert legal.tags == "health foreign"
    async with sessions() as session:
        queue = await case_store.waiting_cases(session, teams={"legal"})
        assert [c.id for c in queue] == [legal.id, old.id]
        assert len(await case_store.waiting_cases(session)) == 3
        assert [c.id for c in await case_store.waiting_cases(session, teams={"duty", "x"})] == [
            duty.id,
            old.id,
        ]
    (volunteer,) = await _volunteers(sessions, cipher, 1)
    async with sessions.begin() as session:
        first = await case_store.claim_next(session, volunteer, teams={"legal"})
        second = await case_store.claim_next(session, volunteer, teams={"legal"})
        assert await case_store.claim_next(session, volunteer, teams={"legal"}) is None
        assert (first.id, second.id) == (legal.id, old.id)  # type: ignore[union-attr]
        assert (await case_store.claim_next(session, volunteer)).id == duty.id  # type: ignore[union-attr]


@pytest.mark.parametrize("volunteers", [10])
async def test_claim_race_within_one_team_gives_each_case_to_exactly_one_volunteer(
    wide_sessions: Sessions, cipher: Cipher, volunteers: int
) -> None:
    team = await _volunteers(wide_sessions, cipher, volunteers)
    queue = await _team_cases(wide_sessions, cipher, ["legal"] * 6 + ["duty"] * 4)

    async def claim_next(session: AsyncSession, number: int) -> str | None:
        case = await case_store.claim_next(session, team[number], teams={"legal"})
        return None if case is None else case.id

    results = await _all_at_once(wide_sessions, volunteers, claim_next)
    won = [case_id for case_id in results if case_id is not None]
    assert sorted(won) == sorted(case.id for case in queue[:6])  # each legal case once
    async with wide_sessions() as session:
        left = await case_store.waiting_cases(session)
    assert {c.id for c in left} == {case.id for case in queue[6:]}  # duty's are untouched


async def test_team_membership_and_open_counts(sessions: Sessions, cipher: Cipher) -> None:
    one, two = await _volunteers(sessions, cipher, 2)
    async with sessions.begin() as session:
        assert await volunteer_store.teams_of(session, one) == set()
        now = await volunteer_store.change_teams(session, one, add=["legal", "psych"], remove=[])
        assert now == {"legal", "psych"}
        again = await volunteer_store.change_teams(session, one, add=["legal"], remove=["psych"])
        assert again == {"legal"}
        members = await volunteer_store.memberships(session)
        assert members[one.id] == {"legal"}
        assert members[two.id] == set()
    legal, _, _ = await _team_cases(sessions, cipher, ["legal", "legal", None])
    async with sessions.begin() as session:
        await case_store.claim(session, two, legal.reference)
        assert await case_store.open_counts_by_team(session) == {"legal": (2, 1)}
        await volunteer_store.revoke(session, one.handle)
        assert one.id not in await volunteer_store.memberships(session)


# --- handover ----------------------------------------------------------------------------------


async def test_moving_a_case_to_another_team_releases_it(
    sessions: Sessions, cipher: Cipher
) -> None:
    (volunteer,) = await _volunteers(sessions, cipher, 1)
    held, waiting, closed = await _team_cases(sessions, cipher, ["legal", "legal", "legal"])
    async with sessions.begin() as session:
        held = await case_store.claim(session, volunteer, held.reference)
        await case_store.mark_announced(session, held)
        await entry_store.link_relay(session, volunteer=volunteer, message_id=78, case=held)
        await case_store.close(session, cipher, closed, None)
    async with sessions.begin() as session:
        held = await session.get_one(Case, held.id)
        moved = await case_store.move_to_team(session, held, "duty")
    assert (moved.team, moved.status, moved.volunteer_id, moved.taken_at) == (
        "duty", "waiting", None, None,
    )  # fmt: skip
    assert moved.announced_at is None  # announced again, to its new team
    async with sessions.begin() as session:
        assert await entry_store.case_for_relay(session, volunteer=volunteer, message_id=78) is None
        assert [c.id for c in await case_store.waiting_cases(session, teams={"duty"})] == [held.id]
        waiting = await session.get_one(Case, waiting.id)
        assert (await case_store.move_to_team(session, waiting, "psych")).team == "psych"
        closed = await session.get_one(Case, closed.id)
        with pytest.raises(errors.CaseStateError):
            await case_store.move_to_team(session, closed, "duty")
    async with sessions() as session:
        stale = await session.get_one(Case, held.id)
    async with sessions.begin() as session:
        await case_store.claim(session, volunteer, held.reference)
    async with sessions.begin() as session:  # read as waiting, taken meanwhile: refused
        with pytest.raises(errors.CaseStateError):
            await case_store.move_to_team(session, stale, "legal")


async def test_handing_a_case_over_makes_it_the_new_holders(
    sessions: Sessions, cipher: Cipher
) -> None:
    one, two = await _volunteers(sessions, cipher, 2)
    held, waiting = await _team_cases(sessions, cipher, ["legal", "duty"])
    async with sessions.begin() as session:
        held = await case_store.claim(session, one, held.reference)
        await entry_store.link_relay(session, volunteer=one, message_id=79, case=held)
    async with sessions.begin() as session:
        held = await session.get_one(Case, held.id)
        given = await case_store.hand_over(session, held, two)
        assert (given.status, given.volunteer_id) == ("taken", two.id)
        assert given.taken_at is not None
        assert await entry_store.case_for_relay(session, volunteer=one, message_id=79) is None
        assert [c.id for c in await case_store.cases_held_by(session, two)] == [held.id]
        waiting = await session.get_one(Case, waiting.id)
        assert (await case_store.hand_over(session, waiting, one)).volunteer_id == one.id
        assert waiting.team == "duty"  # a handover keeps the team
    async with sessions() as session:
        stale = await session.get_one(Case, held.id)  # held by two
    async with sessions.begin() as session:
        await case_store.release(session, await session.get_one(Case, held.id))
        await case_store.claim(session, one, held.reference)
    async with sessions.begin() as session:  # read as two's, now one's: refused
        with pytest.raises(errors.CaseStateError):
            await case_store.hand_over(session, stale, two)
        closed = await case_store.close(session, cipher, await session.get_one(Case, held.id), None)
        with pytest.raises(errors.CaseStateError):
            await case_store.hand_over(session, closed, two)
    async with sessions.begin() as session:
        gone, _ = await volunteer_store.revoke(session, two.handle)
        fresh = await session.get_one(Case, waiting.id)
        with pytest.raises(errors.VolunteerRevoked):
            await case_store.hand_over(session, fresh, gone)


async def test_tags_and_priority_set_by_hand(sessions: Sessions, cipher: Cipher) -> None:
    (case,) = await _team_cases(sessions, cipher, ["legal"])
    async with sessions.begin() as session:
        case = await session.get_one(Case, case.id)
        await case_store.set_tags(session, case, ["criminal_case", "health"])
        await case_store.set_priority(session, case, 1)
        with pytest.raises(ValueError, match="priority"):
            await case_store.set_priority(session, case, 0)
    async with sessions() as session:
        stored = await session.get_one(Case, case.id)
        assert (stored.tags, stored.priority) == ("criminal_case health", 1)
