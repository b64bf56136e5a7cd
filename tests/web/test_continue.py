"""Continuing a Telegram case on the web: `/web` mints a one-time code, `/continue` binds a
passphrase to the case with it, and the volunteer's replies then wait in the web thread.

The code is minted by the bot's own casework function (`Followup.web_code`, what `/web`
calls); the web side is real HTTP against tornado on a free port, the services on SQLite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from bot.handlers.person import webcode as webcode_handler
from casework import webcodes
from casework.people import Person as Account
from dialogs.events import Completed
from locales.translator import Translator
from storage import cases as case_store
from storage.crypto import generate_desk_key_pair
from storage.limits import MemoryFloodLimiter
from storage.models import AuditEvent, Case, utcnow
from tests.web.conftest import Door, OpenDoor, Parsed, Visitor
from tests.web.test_thread import ADMIN, logged_in, sent, volunteer_replies
from web import passphrases

T = Translator.load()
PERSON = Account(user_id=7770001, chat_id=7770001, client_language="en")


@pytest.fixture
async def door(open_door: OpenDoor) -> AsyncIterator[Door]:
    """A door whose desk has one admin (`ADMIN`), to take and answer the cases."""
    async with open_door(admin_ids=[ADMIN]) as opened:
        yield opened


async def telegram_case(door: Door, person: Account = PERSON) -> Case:
    """A request sent in Telegram (its answers as the bot would store them)."""
    completed = Completed(answers={"details": "Help me."}, priority=2, category="c", language="en")
    return await door.services.submission.submit(person, completed)


async def continued(door: Door, code: str) -> tuple[Visitor, Parsed]:
    """A visitor types `code` on the page behind the login page's link."""
    visitor = door.visitor()
    login = await visitor.get("/login")
    assert "/continue" in login.links
    page = await visitor.get("/continue")
    assert page.body == T.text("en", "web-continue-question")
    return visitor, await visitor.submit("/continue", code=code, **{"continue": "1"})


async def stored(door: Door, case_id: str) -> Case:
    async with door.services.sessions() as db:
        case = await db.get(Case, case_id)
        assert case is not None
        return case


async def test_web_gives_no_code_without_an_open_case(door: Door) -> None:
    followup = door.services.followup
    assert await followup.web_code(PERSON) is None  # never wrote
    case = await telegram_case(door)
    async with door.services.sessions() as db, db.begin():
        opened = await db.get(Case, case.id)
        assert opened is not None
        await case_store.close(db, door.services.cipher, opened, None)
    assert await followup.web_code(PERSON) is None  # only a closed one


async def test_the_code_is_kept_only_as_a_keyed_hash_for_an_hour(door: Door) -> None:
    case = await telegram_case(door)
    before = utcnow()
    minted = await door.services.followup.web_code(PERSON)
    assert minted is not None
    assert (minted.reference, minted.language) == (case.reference, "en")
    assert webcodes.normalize_code(minted.code) == minted.code
    kept = await stored(door, case.id)
    expected = door.services.turns.pseudonyms("webcode", minted.code)
    assert kept.web_code_hash == expected
    assert kept.web_code_expires_at is not None
    assert before + timedelta(minutes=59) <= kept.web_code_expires_at
    assert kept.web_code_expires_at <= before + timedelta(hours=1)
    assert (kept.channel, kept.passphrase_hash) == ("telegram", None)
    assert minted.code.replace("-", "") not in repr(
        {c: getattr(kept, c) for c in Case.__table__.columns.keys()}  # noqa: SIM118
    )


async def test_a_code_continues_the_telegram_case_on_the_web(door: Door) -> None:
    case = await telegram_case(door)
    minted = await door.services.followup.web_code(PERSON)
    assert minted is not None
    typed = " " + minted.code.lower().replace("-", " ") + " "  # as a person might type it
    _, page = await continued(door, typed)
    assert page.body == T.text("en", "web-continued", reference=case.reference)
    assert page.passphrase.count(" ") == passphrases.WORD_COUNT["en"] - 1
    kept = await stored(door, case.id)
    assert kept.channel == "web"
    assert kept.passphrase_hash is not None
    assert await passphrases.matches(page.passphrase, kept.passphrase_hash)
    assert (kept.web_code_hash, kept.web_code_expires_at) == (None, None)
    async with door.services.sessions() as db:
        actions = list(await db.scalars(select(AuditEvent.action)))
    assert "web-continued" in actions

    visitor, thread = await logged_in(door, page.passphrase)
    assert thread.body == T.text("en", "web-thread-empty-thread", reference=case.reference)
    told = await volunteer_replies(door, case.reference, "We read you here now.")
    assert told == [T.text("ru", "desk-reply-web-waiting", reference=case.reference)]
    # The Telegram chat still works: what the person writes there joins the same thread.
    added = await door.services.followup.add_to_open_case(PERSON, "Written in Telegram.")
    assert added is not None
    assert added.reference == case.reference
    thread = await visitor.get("/thread")
    assert thread.thread == ["Volunteer We read you here now.", "You Written in Telegram."]


async def test_a_code_works_once(door: Door) -> None:
    case = await telegram_case(door)
    minted = await door.services.followup.web_code(PERSON)
    assert minted is not None
    _, first = await continued(door, minted.code)
    assert first.passphrase
    _, again = await continued(door, minted.code)
    assert T.text("en", "web-continue-failed") in again.notices
    assert not again.passphrase
    _, thread = await logged_in(door, first.passphrase)  # the first passphrase still opens it
    assert thread.body == T.text("en", "web-thread-empty-thread", reference=case.reference)


async def test_a_mistyped_expired_replaced_or_closed_code_opens_nothing(door: Door) -> None:
    case = await telegram_case(door)
    followup = door.services.followup
    old = await followup.web_code(PERSON)
    new = await followup.web_code(PERSON)
    assert old is not None
    assert new is not None
    failed = T.text("en", "web-continue-failed")
    for typed in (old.code, "not a code", "0000-0000-0000", "x" * 200):
        _, page = await continued(door, typed)
        assert failed in page.notices
        assert not page.passphrase
    async with door.services.sessions() as db, db.begin():
        await db.execute(
            update(Case)
            .where(Case.id == case.id)
            .values(web_code_expires_at=utcnow() - timedelta(minutes=1))
        )
    _, page = await continued(door, new.code)
    assert failed in page.notices
    latest = await followup.web_code(PERSON)
    assert latest is not None
    async with door.services.sessions() as db, db.begin():
        opened = await db.get(Case, case.id)
        assert opened is not None
        await case_store.close(db, door.services.cipher, opened, None)
    _, page = await continued(door, latest.code)
    assert failed in page.notices
    kept = await stored(door, case.id)
    assert (kept.channel, kept.passphrase_hash) == ("telegram", None)
    assert (kept.web_code_hash, kept.web_code_expires_at) == (None, None)  # gone with the close


async def test_a_new_code_binds_a_new_passphrase_and_the_old_one_opens_nothing(
    door: Door,
) -> None:
    case = await telegram_case(door)
    followup = door.services.followup
    first = await followup.web_code(PERSON)
    assert first is not None
    _, page = await continued(door, first.code)
    old_visitor, _ = await logged_in(door, page.passphrase)
    second = await followup.web_code(PERSON)
    assert second is not None
    assert second.reference == case.reference
    _, again = await continued(door, second.code)
    assert again.passphrase
    assert again.passphrase != page.passphrase
    _, refused = await logged_in(door, page.passphrase)
    assert T.text("en", "web-login-failed") in refused.notices
    gone = await old_visitor.get("/thread")  # the login with the old passphrase ended
    assert gone.body == T.text("en", "web-login-question")


async def test_codes_tried_are_limited_for_everyone_together(door: Door) -> None:
    door.inside.all_logins = MemoryFloodLimiter(2, 60)
    await telegram_case(door)
    minted = await door.services.followup.web_code(PERSON)
    assert minted is not None
    for _ in range(2):
        _, page = await continued(door, "0000-0000-0000")
        assert T.text("en", "web-continue-failed") in page.notices
    _, page = await continued(door, minted.code)  # even the right one waits
    assert T.text("en", "web-login-busy") in page.notices
    assert not page.passphrase


async def test_in_sealed_mode_a_code_continues_the_case_too(open_door: OpenDoor) -> None:
    """The intake side mints and uses codes (case rows, no case content); from then on the
    thread is sealed to the person's own key too, as for any web case in sealed mode."""
    _, public = generate_desk_key_pair()
    async with open_door(role="intake", desk_public_key=SecretStr(public)) as door:
        case = await telegram_case(door)
        minted = await door.services.followup.web_code(PERSON)
        assert minted is not None
        _, page = await continued(door, minted.code)
        assert page.body == T.text("en", "web-continued", reference=case.reference)
        _, thread = await logged_in(door, page.passphrase)
        assert thread.body == T.text("en", "web-thread-empty-thread", reference=case.reference)
        kept = await stored(door, case.id)
        assert kept.channel == "web"
        assert kept.person_public_key is not None


async def test_a_web_case_has_no_telegram_request_to_continue(door: Door) -> None:
    """A person of the web form has no Telegram account: a code is only for Telegram people."""
    await sent(door)
    assert await door.services.followup.web_code(PERSON) is None


class _Bot:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send_message(self, chat_id: int, text: str, **_: Any) -> None:
        self.sent.append((chat_id, text))


def _update(person: Account) -> Any:
    user = SimpleNamespace(id=person.user_id, language_code=person.client_language)
    return SimpleNamespace(effective_user=user, effective_chat=SimpleNamespace(id=person.chat_id))


async def test_the_web_command_answers_with_the_code_or_that_there_is_no_request(
    door: Door,
) -> None:
    services = door.services
    bot = _Bot()
    context: Any = SimpleNamespace(
        services=services, engine=services.engine, renderer=services.renderer, bot=bot
    )
    await webcode_handler.on_web(_update(PERSON), context)
    assert bot.sent == [(PERSON.chat_id, T.text("en", "continue-web-none"))]
    case = await telegram_case(door)
    await webcode_handler.on_web(_update(PERSON), context)
    chat_id, text = bot.sent[-1]
    assert chat_id == PERSON.chat_id
    [code] = [word for word in text.split() if webcodes.normalize_code(word) == word]
    assert text == T.text("en", "continue-web-code", code=code, reference=case.reference)
    _, page = await continued(door, code)
    assert page.body == T.text("en", "web-continued", reference=case.reference)
