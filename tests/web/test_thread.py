"""Coming back on the web: the passphrase, the thread with the desk, the limits, erasure.

Real HTTP against tornado on a free port, the bot's services on SQLite; the desk's side is
the bot's own desk code (`casework.desk`), as a volunteer's commands would run it.
"""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from casework.desk import case as case_view
from casework.desk import queue, talk
from casework.people import Person as Account
from locales.translator import Translator
from storage.crypto import generate_desk_key_pair
from storage.limits import MemoryFloodLimiter
from storage.models import Case, CaseEntry, DeskSignal, Person
from tests.web.conftest import Door, OpenDoor, Parsed, Visitor
from tests.web.test_form import PATHS, walk
from web import passphrases

T = Translator.load()
ADMIN = 5550001


async def sent(door: Door, language: str = "en") -> tuple[Case, str]:
    """A request sent through the form: its case and the passphrase shown."""
    visitor = door.visitor(language)
    await walk(visitor, {**PATHS[1], "language": language})
    page = await visitor.press("submit")
    assert page.passphrase
    async with door.services.sessions() as db:
        case = (await db.scalars(select(Case))).one()
    return case, page.passphrase


async def logged_in(door: Door, passphrase: str) -> tuple[Visitor, Parsed]:
    visitor = door.visitor()
    await visitor.get("/login")
    return visitor, await visitor.submit("/login", passphrase=passphrase)


def without_token(html: str) -> str:
    """A page as a comparison should see it: the XSRF token differs on every page."""
    return re.sub(r'name="_xsrf" value="[^"]*"', "", html)


async def volunteer_replies(door: Door, reference: str, text: str) -> list[str]:
    """The admin takes the case and replies: what the desk tells them."""
    account = Account(ADMIN, ADMIN)
    async with door.services.desk.work(account) as work:
        await queue.take(work, reference)
    async with door.services.desk.work(account) as work:
        await talk.reply(work, reference, text)
        return [m.text for m in work.sends]


def test_a_passphrase_has_at_least_64_bits_in_each_language() -> None:
    for language, count in passphrases.WORD_COUNT.items():
        pool = passphrases.words(language)
        assert count * math.log2(len(pool)) >= 64
        words = passphrases.generate(language).split(" ")
        assert len(words) == count
        assert all(word in pool for word in words)
    assert len(passphrases.words("en")) == 7776  # the EFF large wordlist
    assert passphrases.generate("de").count(" ") == passphrases.WORD_COUNT["en"] - 1


async def test_a_russian_request_gets_six_russian_words(door: Door) -> None:
    _, passphrase = await sent(door, "ru")
    words = passphrase.split(" ")
    assert len(words) == 6
    assert all(re.fullmatch("[а-я]+", word) for word in words)


async def test_the_passphrase_is_kept_only_as_a_slow_hash_and_a_short_lookup(door: Door) -> None:
    case, passphrase = await sent(door)
    assert case.channel == "web"
    assert case.passphrase_hash is not None
    assert case.passphrase_hash.startswith("argon2id$m=19456,t=2,p=1$")
    assert await passphrases.matches(passphrase.upper(), case.passphrase_hash)
    lookup = await passphrases.lookup_of(door.services.turns.pseudonyms, passphrase)
    assert case.passphrase_lookup == lookup
    assert len(lookup) == passphrases.LOOKUP_CHARS
    for word in passphrase.split():
        assert word not in case.passphrase_hash


async def test_login_shows_the_thread_and_a_reply_from_the_desk_waits_in_it(door: Door) -> None:
    case, passphrase = await sent(door)
    visitor, page = await logged_in(door, passphrase)
    assert page.body == T.text("en", "web-thread-empty-thread", reference=case.reference)
    assert visitor.client.cookies.get("thread")
    told = await volunteer_replies(door, case.reference, "We can help: here is what to do.")
    assert told == [T.text("ru", "desk-reply-web-waiting", reference=case.reference)]
    page = await visitor.get("/thread")
    assert page.body == T.text("en", "web-thread-intro", reference=case.reference)
    assert page.thread == ["Volunteer We can help: here is what to do."]
    # Logged in already: no footer asking whether they sent a request here before.
    assert "/login" not in page.links
    assert "/login" in (await visitor.get("/")).links


async def test_a_message_from_the_thread_is_stored_and_relayed_to_the_holder(door: Door) -> None:
    case, passphrase = await sent(door)
    await volunteer_replies(door, case.reference, "Hello.")
    visitor, _ = await logged_in(door, passphrase)
    await door.inside.drain()
    door.announced.clear()  # the holder heard the reply was read (`test_desk_paths`)
    page = await visitor.submit("/thread", text="Thank you, I will\r\ndo that.", write="1")
    assert page.thread == ["Volunteer Hello.", "You Thank you, I will do that."]
    await door.inside.drain()
    relayed = T.text(
        "ru", "desk-relayed", reference=case.reference, text="Thank you, I will\ndo that."
    )
    assert [m.text for m in door.announced] == [relayed]
    async with door.services.sessions() as db:
        kinds = list(await db.scalars(select(CaseEntry.kind).order_by(CaseEntry.seq)))
    assert kinds == ["volunteer", "person"]


async def test_a_message_to_a_waiting_case_is_kept_and_no_content_reaches_the_desk(
    door: Door,
) -> None:
    case, passphrase = await sent(door)
    await door.inside.drain()
    door.announced.clear()
    visitor, _ = await logged_in(door, passphrase)
    page = await visitor.submit("/thread", text="Anyone there?", write="1")
    assert page.thread == ["You Anyone there?"]
    await door.inside.drain()
    assert all("Anyone there?" not in m.text for m in door.announced)
    async with door.services.sessions() as db:
        entry = (await db.scalars(select(CaseEntry))).one()
    assert (entry.case_id, entry.kind, entry.delivered) == (case.id, "person", False)


async def test_an_empty_message_is_refused_on_the_page(door: Door) -> None:
    _, passphrase = await sent(door)
    visitor, _ = await logged_in(door, passphrase)
    page = await visitor.submit("/thread", text="   ", write="1")
    assert T.text("en", "web-thread-empty") in page.notices


async def test_a_wrong_passphrase_gives_the_same_page_as_an_unknown_one(door: Door) -> None:
    _, passphrase = await sent(door)
    words = passphrase.split(" ")
    wrong = " ".join([*words[:-1], "zzzz"])
    _, unknown_page = await logged_in(door, "nothing like it at all")
    visitor, wrong_page = await logged_in(door, wrong)
    assert T.text("en", "web-login-failed") in wrong_page.notices
    assert without_token(wrong_page.html) == without_token(unknown_page.html)
    assert visitor.client.cookies.get("thread") is None
    page = await visitor.get("/thread")  # not logged in: back to the passphrase
    assert page.body == T.text("en", "web-login-question")


async def test_a_passphrase_matches_as_a_person_would_type_it(door: Door) -> None:
    case, passphrase = await sent(door)
    _, page = await logged_in(door, "  " + passphrase.upper().replace(" ", "   ") + " ")
    assert page.body == T.text("en", "web-thread-empty-thread", reference=case.reference)


async def test_logins_are_limited_per_lookup_value(door: Door) -> None:
    case, passphrase = await sent(door)
    wrong = passphrase + " extra"
    for _ in range(5):
        _, page = await logged_in(door, wrong)
        assert T.text("en", "web-login-failed") in page.notices
    _, page = await logged_in(door, wrong)
    assert T.text("en", "web-login-busy") in page.notices
    _, page = await logged_in(door, passphrase)  # another lookup value: still let in
    assert page.body == T.text("en", "web-thread-empty-thread", reference=case.reference)


async def test_logins_are_limited_for_everyone_together(door: Door) -> None:
    door.inside.all_logins = MemoryFloodLimiter(3, 60)
    _, passphrase = await sent(door)
    for number in range(3):
        _, page = await logged_in(door, f"guess number {number}")
        assert T.text("en", "web-login-failed") in page.notices
    _, page = await logged_in(door, passphrase)  # even the right one waits
    assert T.text("en", "web-login-busy") in page.notices


async def test_forget_erases_the_case_and_the_passphrase_opens_nothing(door: Door) -> None:
    case, passphrase = await sent(door)
    await volunteer_replies(door, case.reference, "Hello.")
    visitor, _ = await logged_in(door, passphrase)
    await door.inside.drain()
    door.announced.clear()
    page = await visitor.get("/forget")
    assert page.body == T.text("en", "web-forget-question", reference=case.reference)
    page = await visitor.submit("/forget", forget="1")
    assert page.body == T.text("en", "web-forgotten")
    async with door.services.sessions() as db:
        assert list(await db.scalars(select(Case))) == []
        assert list(await db.scalars(select(Person))) == []
    await door.inside.drain()
    erased = T.text("ru", "desk-person-erased", reference=case.reference)
    assert [m.text for m in door.announced] == [erased]
    page = await visitor.get("/thread")
    assert page.body == T.text("en", "web-login-question")
    _, page = await logged_in(door, passphrase)
    assert T.text("en", "web-login-failed") in page.notices


async def test_case_shows_the_web_channel_to_the_desk(door: Door) -> None:
    case, _ = await sent(door)
    async with door.services.desk.work(Account(ADMIN, ADMIN)) as work:
        await case_view.show(work, case)
        shown = "\n".join(m.text for m in work.sends)
    channel = T.text("ru", "desk-channel-web")
    assert T.text("ru", "desk-case-channel", channel=channel) in shown


@pytest.fixture
async def door(open_door: OpenDoor) -> AsyncIterator[Door]:
    """A door whose desk has one admin (`ADMIN`), to take and answer web cases."""
    async with open_door(admin_ids=[ADMIN]) as opened:
        yield opened


async def test_in_sealed_mode_the_thread_is_the_persons_and_a_message_is_signalled(
    open_door: OpenDoor,
) -> None:
    """The web server is on the intake side: it seals the case to the desk, and the thread
    to the person's own key as well (`tests/web/test_sealed_thread.py`)."""
    _, public = generate_desk_key_pair()
    async with open_door(role="intake", desk_public_key=SecretStr(public)) as door:
        case, passphrase = await sent(door)
        visitor, page = await logged_in(door, passphrase)
        assert page.body == T.text("en", "web-thread-empty-thread", reference=case.reference)
        assert page.thread == []
        page = await visitor.submit("/thread", text="Are you there?", write="1")
        assert page.thread == ["You Are you there?"]
        async with door.services.sessions() as db:
            kinds = [s.kind for s in await db.scalars(select(DeskSignal).order_by(DeskSignal.id))]
        assert kinds == ["new-case", "person-wrote"]
        page = await visitor.submit("/forget", forget="1")
        assert page.body == T.text("en", "web-forgotten")
        async with door.services.sessions() as db:
            assert list(await db.scalars(select(Case))) == []


async def test_a_message_goes_to_the_case_logged_in_to_not_the_browsers_latest(
    door: Door,
) -> None:
    visitor = door.visitor()
    await walk(visitor, PATHS[1])
    first = (await visitor.press("submit")).passphrase
    await walk(visitor, PATHS[0])  # the same browser sends a second request
    second = (await visitor.press("submit")).passphrase
    assert first != second
    async with door.services.sessions() as db:
        older, newer = list(await db.scalars(select(Case).order_by(Case.person_order)))
    reader, _ = await logged_in(door, first)
    await reader.submit("/thread", text="About my first request.", write="1")
    async with door.services.sessions() as db:
        entry = (await db.scalars(select(CaseEntry))).one()
    assert entry.case_id == older.id != newer.id


async def test_a_closed_case_shows_its_thread_without_a_form(door: Door) -> None:
    case, passphrase = await sent(door)
    await volunteer_replies(door, case.reference, "Good luck.")
    async with door.services.desk.work(Account(ADMIN, ADMIN)) as work:
        await case_view.close(work, case.reference, None)
    visitor, page = await logged_in(door, passphrase)
    assert page.thread == ["Volunteer Good luck."]
    assert page.textarea is None
    page = await visitor.submit("/thread", text="One more thing.", write="1")
    assert T.text("en", "web-thread-closed") in page.notices


async def test_with_the_database_away_the_thread_says_try_later(
    door: Door, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, passphrase = await sent(door)
    visitor, _ = await logged_in(door, passphrase)

    async def away(*args: object, **kwargs: object) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(door.services.followup, "add_to_open_case_of", away)
    response = await visitor.client.post(
        "/thread", data={"_xsrf": visitor.page.hidden["_xsrf"], "text": "Hello", "write": "1"}
    )
    assert response.status_code == 503
    assert T.text("en", "web-try-later") in response.text
    assert "connection refused" not in response.text


async def test_send_now_shows_the_passphrase_and_the_rest_keeps_it(door: Door) -> None:
    visitor = door.visitor()
    answers = {**PATHS[1], "urgency": "now"}
    await walk(visitor, answers, until="help")
    passphrase = (await visitor.press("send_now")).passphrase
    assert passphrase
    await walk(visitor, answers)
    page = await visitor.press("submit")
    assert page.passphrase == ""  # shown once: the case keeps the first one
    async with door.services.sessions() as db:
        case = (await db.scalars(select(Case))).one()
    assert page.body == T.text("en", "web-sent-rest-added", reference=case.reference)
    _, page = await logged_in(door, passphrase)
    assert page.body == T.text("en", "web-thread-empty-thread", reference=case.reference)
