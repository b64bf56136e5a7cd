"""Retention on SQLite and PostgreSQL: what is forgotten, what is kept, what admins are told."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import audit, entries, erasure, retention, volunteers
from storage import cases as case_store
from storage import persons as person_store
from storage.cases import case_answers, create_case
from storage.crypto import Cipher
from storage.models import AuditEvent, Case, CaseEntry, Invite, Person, RelayLink, Volunteer, today
from storage.persons import find_person, person_chat_id, upsert_person
from tests.storage.raw import leftovers

Sessions = async_sessionmaker[AsyncSession]

DAY = timedelta(days=1)
RETENTION = timedelta(days=90)


async def _admin(sessions: Sessions, cipher: Cipher) -> Volunteer:
    async with sessions.begin() as session:
        return await volunteers.ensure_admin(
            session, cipher, pseudonym="admin", chat_id=4242, language="en"
        )


async def _person(sessions: Sessions, cipher: Cipher, *, seen_days_ago: int = 0) -> Person:
    async with sessions.begin() as session:
        person = await upsert_person(
            session, cipher, pseudonym=secrets.token_hex(32), chat_id=31337, language="ru"
        )
        person.last_seen_at = person.last_seen_at - seen_days_ago * DAY
    return person


async def _case(sessions: Sessions, cipher: Cipher, person: Person, **changes: object) -> Case:
    async with sessions.begin() as session:
        case = await create_case(
            session, cipher, person=person, answers={"a": "secret"}, priority=2, category="c",
            language="ru",
        )  # fmt: skip
        if changes:
            await session.execute(update(Case).where(Case.id == case.id).values(**changes))
    return case


async def _exists(sessions: Sessions, model: type, key: object) -> bool:
    async with sessions() as session:
        return await session.get(model, key) is not None


async def _closed(sessions: Sessions, cipher: Cipher, person: Person, days_ago: float) -> Case:
    case = await _case(sessions, cipher, person)
    async with sessions.begin() as session:
        await case_store.close(session, cipher, case, "reason")
        closed_at = datetime.now(UTC) - days_ago * DAY
        await session.execute(update(Case).where(Case.id == case.id).values(closed_at=closed_at))
    return case


async def test_purge_shreds_old_closed_cases_and_keeps_open_and_recent_ones(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    admin = await _admin(sessions, cipher)
    person = await _person(sessions, cipher)
    long_ago = datetime.now(UTC) - 400 * DAY
    old_waiting = await _case(sessions, cipher, person, created_at=long_ago, updated_at=long_ago)
    old_taken = await _case(sessions, cipher, person, created_at=long_ago)
    async with sessions.begin() as session:
        await case_store.claim(session, admin, old_taken.reference)
    recent = await _closed(sessions, cipher, person, days_ago=89)
    expired = await _closed(sessions, cipher, person, days_ago=91)
    async with sessions.begin() as session:
        await entries.add_entry(session, cipher, expired, kind="note", body="n", author=admin)
        await entries.link_relay(session, volunteer=admin, message_id=7, case=expired)
        stored = await session.get_one(Case, expired.id)
        entry = (await session.scalars(select(CaseEntry))).one()
        doomed = [stored.key_blob, stored.answers_enc, stored.close_reason_enc, entry.body_enc]

    async with sessions.begin() as session:
        report = await retention.purge(session, closed_older_than=RETENTION)

    assert report == retention.PurgeReport(cases=1, persons=0, invites=0, relay_links=0)
    assert repr(report) == "PurgeReport(cases=1, persons=0, invites=0, relay_links=0)"
    assert not await _exists(sessions, Case, expired.id)
    for kept in (old_waiting, old_taken, recent):
        assert await _exists(sessions, Case, kept.id)
    assert await leftovers(engine, [blob for blob in doomed if blob is not None]) == []
    async with sessions() as session:
        assert case_answers(cipher, await session.get_one(Case, recent.id)) == {"a": "secret"}
        assert (await session.scalars(select(CaseEntry))).all() == []
        assert (await session.scalars(select(RelayLink))).all() == []
        assert await audit.trail(session, expired.reference) == []  # unlinked, to the day
        purged = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "purged"))
        ).all()
        assert [(e.actor_handle, e.case_reference, e.at) for e in purged] == [(None, None, today())]
        assert await find_person(session, person.pseudonym) is not None

    async with sessions.begin() as session:  # nothing left to do
        again = await retention.purge(session, closed_older_than=RETENTION)
    assert again == retention.PurgeReport(0, 0, 0, 0)


async def test_purge_forgets_people_left_with_nothing(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    gone_with_case = await _person(sessions, cipher, seen_days_ago=120)
    await _closed(sessions, cipher, gone_with_case, days_ago=100)
    never_submitted = await _person(sessions, cipher, seen_days_ago=91)
    with_open_case = await _person(sessions, cipher, seen_days_ago=200)
    await _case(sessions, cipher, with_open_case)
    with_recent_closed = await _person(sessions, cipher, seen_days_ago=200)
    await _closed(sessions, cipher, with_recent_closed, days_ago=10)
    recently_seen = await _person(sessions, cipher, seen_days_ago=5)
    blocked = await _person(sessions, cipher, seen_days_ago=300)
    blocked_case = await _closed(sessions, cipher, blocked, days_ago=200)
    async with sessions.begin() as session:
        await person_store.block_person_of_case(session, blocked_case)
    doomed = [
        value
        for person in (gone_with_case, never_submitted)
        for value in (person.key_blob, person.chat_enc, person.pseudonym.encode())
    ]

    async with sessions.begin() as session:
        report = await retention.purge(session, closed_older_than=RETENTION)

    assert (report.cases, report.persons) == (2, 2)  # the blocked person's case goes too
    assert not await _exists(sessions, Person, gone_with_case.id)
    assert not await _exists(sessions, Person, never_submitted.id)
    for kept in (with_open_case, with_recent_closed, recently_seen, blocked):
        assert await _exists(sessions, Person, kept.id)
    assert await leftovers(engine, doomed) == []
    async with sessions() as session:
        still_blocked = await session.get_one(Person, blocked.id)
        assert person_store.is_blocked(still_blocked)
        assert person_chat_id(cipher, still_blocked) == 31337


async def test_purge_drops_spent_invites_and_old_relay_links(
    sessions: Sessions, cipher: Cipher
) -> None:
    admin = await _admin(sessions, cipher)
    now = datetime.now(UTC)
    invites = {}
    async with sessions.begin() as session:
        for name in ("used-long-ago", "expired-long-ago", "used-lately", "expired-lately", "open"):
            invite = await volunteers.create_invite(
                session, code_hash=f"hash-{name}", role="volunteer", created_by=admin, ttl=DAY
            )
            invites[name] = invite.id
        changes = {
            "used-long-ago": {"used_at": now - 100 * DAY, "expires_at": now - 99 * DAY},
            "expired-long-ago": {"expires_at": now - 91 * DAY},
            "used-lately": {"used_at": now - 3 * DAY, "expires_at": now - 100 * DAY},
            "expired-lately": {"expires_at": now - 89 * DAY},
        }
        for name, values in changes.items():
            await session.execute(update(Invite).where(Invite.id == invites[name]).values(values))
    person = await _person(sessions, cipher)
    case = await _case(sessions, cipher, person)
    async with sessions.begin() as session:
        for message_id, hours in ((1, 49), (2, 47), (3, 0)):
            await entries.link_relay(session, volunteer=admin, message_id=message_id, case=case)
            await session.execute(
                update(RelayLink)
                .where(RelayLink.message_id == message_id)
                .values(created_at=now - timedelta(hours=hours))
            )

    async with sessions.begin() as session:
        report = await retention.purge(session, closed_older_than=RETENTION)

    assert report == retention.PurgeReport(cases=0, persons=0, invites=2, relay_links=1)
    async with sessions() as session:
        left = set((await session.scalars(select(Invite.code_hash))).all())
        links = set((await session.scalars(select(RelayLink.message_id))).all())
    assert left == {"hash-used-lately", "hash-expired-lately", "hash-open"}
    assert links == {2, 3}
    assert await _exists(sessions, Case, case.id)


async def test_purge_takes_now_and_refuses_nonsense(sessions: Sessions, cipher: Cipher) -> None:
    person = await _person(sessions, cipher)
    case = await _closed(sessions, cipher, person, days_ago=0)
    async with sessions.begin() as session:
        with pytest.raises(ValueError, match="positive"):
            await retention.purge(session, closed_older_than=timedelta(0))
        with pytest.raises(ValueError, match="aware"):
            await retention.purge(
                session,
                closed_older_than=RETENTION,
                now=datetime(2030, 1, 1),
            )
        report = await retention.purge(
            session, closed_older_than=RETENTION, now=datetime.now(UTC) + 91 * DAY
        )
    assert (report.cases, report.persons) == (1, 1)
    assert not await _exists(sessions, Case, case.id)


# --- stale cases and updated_at ----------------------------------------------------------------


async def _age(sessions: Sessions, case: Case, days: float = 10) -> None:
    """Pretend nothing happened to the case for `days`."""
    async with sessions.begin() as session:
        await session.execute(
            update(Case).where(Case.id == case.id).values(updated_at=datetime.now(UTC) - days * DAY)
        )


async def _stale(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        cases = await retention.stale_open_cases(session, untouched_for=3 * DAY)
    return [case.reference for case in cases]


async def test_stale_open_cases_are_waiting_or_taken_and_untouched(
    sessions: Sessions, cipher: Cipher
) -> None:
    admin = await _admin(sessions, cipher)
    person = await _person(sessions, cipher)
    waiting, taken, closed, fresh = [await _case(sessions, cipher, person) for _ in range(4)]
    async with sessions.begin() as session:
        await case_store.claim(session, admin, taken.reference)
        await case_store.close(session, cipher, closed, None)
    await _age(sessions, waiting, days=10)
    await _age(sessions, taken, days=5)
    await _age(sessions, closed, days=30)
    assert await _stale(sessions) == [waiting.reference, taken.reference]  # least recent first
    async with sessions() as session:
        with pytest.raises(ValueError, match="positive"):
            await retention.stale_open_cases(session, untouched_for=-DAY)
        later = await retention.stale_open_cases(
            session, untouched_for=3 * DAY, now=datetime.now(UTC) + 4 * DAY
        )
    assert {case.reference for case in later} == {
        waiting.reference,
        taken.reference,
        fresh.reference,
    }


@pytest.mark.parametrize(
    "action",
    ["claim", "release", "revoke", "close", "person-entry", "reply", "note"],
)
async def test_every_change_to_a_case_counts_as_touching_it(
    sessions: Sessions, cipher: Cipher, action: str
) -> None:
    admin = await _admin(sessions, cipher)
    async with sessions.begin() as session:
        await volunteers.create_invite(
            session, code_hash="h", role="volunteer", created_by=admin, ttl=DAY
        )
    async with sessions.begin() as session:
        helper = await volunteers.redeem_invite(
            session, cipher, code_hash="h", pseudonym="helper", chat_id=5, language="en"
        )
    person = await _person(sessions, cipher)
    case = await _case(sessions, cipher, person)
    if action in ("release", "revoke", "reply", "note"):
        async with sessions.begin() as session:
            case = await case_store.claim(session, helper, case.reference)
    await _age(sessions, case)
    assert await _stale(sessions) == [case.reference]
    async with sessions.begin() as session:
        if action == "claim":
            await case_store.claim(session, helper, case.reference)
        elif action == "release":
            await case_store.release(session, case)
        elif action == "revoke":
            await volunteers.revoke(session, helper.handle)
        elif action == "close":
            await case_store.close(session, cipher, case, "r")
        elif action == "person-entry":
            await entries.add_entry(session, cipher, case, kind="person", body="?", author=None)
        elif action == "reply":
            await entries.add_entry(
                session, cipher, case, kind="volunteer", body="!", author=helper
            )
        else:
            await entries.add_entry(session, cipher, case, kind="note", body="n", author=helper)
    assert await _stale(sessions) == []
    async with sessions() as session:
        stored = await session.get_one(Case, case.id)
    if action == "close":  # a closed case keeps only the day
        assert stored.updated_at == today()
    else:
        assert datetime.now(UTC) - stored.updated_at < timedelta(minutes=1)


async def test_announcing_a_case_is_not_touching_it(sessions: Sessions, cipher: Cipher) -> None:
    """Urgent cases are re-announced every few hours; that must not hide them from admins."""
    person = await _person(sessions, cipher)
    case = await _case(sessions, cipher, person)
    await _age(sessions, case)
    async with sessions.begin() as session:
        await case_store.mark_announced(session, case)
    assert await _stale(sessions) == [case.reference]


async def test_many_people_are_forgotten_in_chunks(
    sessions: Sessions, cipher: Cipher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(erasure, "_CHUNK", 2)
    people = [await _person(sessions, cipher, seen_days_ago=100) for _ in range(5)]
    kept = await _person(sessions, cipher, seen_days_ago=1)
    async with sessions.begin() as session:
        report = await retention.purge(session, closed_older_than=RETENTION)
    assert report.persons == 5
    for person in people:
        assert not await _exists(sessions, Person, person.id)
    assert await _exists(sessions, Person, kept.id)
