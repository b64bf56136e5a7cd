"""The desk's paths to a web case: nothing is sent to a chat its person does not have.

A web case stores chat 0 and the channel "web". Closing it, /verify, a reply after a long
silence or to a flagged case, held replies, reading the thread (the holder hears it was read)
and a web /forget (the copies in volunteers' chats are deleted, as the bot's /forget does).
The desk's side is the bot's desk code, as a volunteer's commands run it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from casework import copies, relay, verification
from casework.desk import case as case_view
from casework.desk import queue, talk
from casework.desk.access import Refused, holder_or_admin
from casework.desk.inbox import Inbox
from casework.outgoing import Message
from casework.people import Person as Account
from locales.translator import Translator
from storage import entries as entry_store
from storage import signals as signal_store
from storage.crypto import generate_desk_key_pair
from storage.models import Case, CaseEntry, DeskSignal, Volunteer, today
from storage.signals import Signal
from tests.web.conftest import Door, OpenDoor
from tests.web.test_continue import PERSON, continued, telegram_case
from tests.web.test_form import PATHS, walk
from tests.web.test_thread import ADMIN, logged_in

T = Translator.load()
ACCOUNT = Account(ADMIN, ADMIN)
HOLD = {**PATHS[0], "safe_time": "when_i_write"}
"""A web request whose person asked to be written to only when they write, with a codeword."""


@pytest.fixture
async def door(open_door: OpenDoor) -> AsyncIterator[Door]:
    """A door whose desk has one admin (`ADMIN`), to take and answer web cases."""
    async with open_door(admin_ids=[ADMIN]) as opened:
        yield opened


async def web_case(door: Door, answers: dict[str, Any] = PATHS[1]) -> tuple[Case, str]:
    """A request sent through the form, taken by the admin: its case and the passphrase."""
    visitor = door.visitor()
    await walk(visitor, answers)
    page = await visitor.press("submit")
    async with door.services.sessions() as db:
        case = (await db.scalars(select(Case))).one()
    async with door.services.desk.work(ACCOUNT) as work:
        await queue.take(work, case.reference)
    return case, page.passphrase


async def reply(door: Door, reference: str, text: str) -> list[Message]:
    async with door.services.desk.work(ACCOUNT) as work:
        await talk.reply(work, reference, text)
        return list(work.sends)


async def case_lines(door: Door, reference: str) -> str:
    async with door.services.desk.work(ACCOUNT) as work:
        await case_view.view(work, reference)
        return "\n".join(m.text for m in work.sends)


async def entries(door: Door) -> list[CaseEntry]:
    async with door.services.sessions() as db:
        return list(await db.scalars(select(CaseEntry).order_by(CaseEntry.seq)))


async def test_closing_a_web_case_sends_nothing_and_the_thread_shows_it_closed(
    door: Door,
) -> None:
    case, passphrase = await web_case(door)
    async with door.services.desk.work(ACCOUNT) as work:
        await case_view.close(work, case.reference, None, "legal_consultation")
        sends = list(work.sends)
    assert not any(m.to_person for m in sends)
    assert [m.text for m in sends] == [T.text("ru", "desk-closed-web", reference=case.reference)]
    _, page = await logged_in(door, passphrase)
    assert T.text("en", "web-thread-closed") in page.notices
    assert page.textarea is None


async def test_closing_a_held_web_case_says_the_web_thread_not_when_they_write(
    door: Door,
) -> None:
    case, _ = await web_case(door, HOLD)
    async with door.services.desk.work(ACCOUNT) as work:
        await case_view.close(work, case.reference, None, "legal_consultation")
        texts = [m.text for m in work.sends]
    assert texts == [T.text("ru", "desk-closed-web", reference=case.reference)]


async def test_verify_is_refused_for_a_web_case_the_passphrase_proves_it(door: Door) -> None:
    case, _ = await web_case(door, PATHS[0])  # it has a codeword
    assert case.codeword_enc is not None
    with pytest.raises(Refused) as refused:
        async with door.services.desk.work(ACCOUNT) as work:
            await talk.verify(work, case.reference)
    assert refused.value.text == T.text("ru", "desk-verify-web", reference=case.reference)
    async with door.services.sessions() as db:
        kept = await db.get_one(Case, case.id)
    assert kept.codeword_check is None


async def test_no_codeword_hold_ever_keeps_a_reply_from_the_web_thread(door: Door) -> None:
    case, _ = await web_case(door, PATHS[0])
    async with door.services.sessions() as db, db.begin():  # flagged, and silent for long
        await db.execute(update(Case).where(Case.id == case.id).values(codeword_failed=True))
    async with door.services.desk.work(ACCOUNT) as work:
        flagged = await work.case(case.reference, holder_or_admin)
        assert await verification.reply_must_wait(work, flagged, 1) is None
        assert await verification.reply_must_wait(work, flagged, 0) is None
    told = await reply(door, case.reference, "We are here.")
    assert [m.text for m in told] == [
        T.text("ru", "desk-reply-web-waiting", reference=case.reference)
    ]
    assert [(e.kind, e.held) for e in await entries(door)] == [("volunteer", False)]


async def test_a_checked_phone_hold_does_not_apply_to_a_web_case(door: Door) -> None:
    """ "Write only when I write" is about a phone: a web reply waits in the thread anyway."""
    case, passphrase = await web_case(door, HOLD)
    told = await reply(door, case.reference, "Read this when you can.")
    assert not any(m.to_person for m in told)
    assert [m.text for m in told] == [
        T.text("ru", "desk-reply-web-waiting", reference=case.reference)
    ]
    assert [e.held for e in await entries(door)] == [False]
    _, page = await logged_in(door, passphrase)
    assert page.thread == ["Volunteer Read this when you can."]


async def test_replies_held_before_a_case_went_to_the_web_are_not_sent_to_a_chat(
    door: Door,
) -> None:
    """A reply held in Telegram (written to only when they write), then the case continued on
    the web: the thread shows it, and the person writing in Telegram gets nothing sent."""
    case, _ = await web_case(door, HOLD)
    services = door.services
    async with services.sessions() as db, db.begin():
        opened = await db.get_one(Case, case.id)
        admin = (await db.scalars(select(Volunteer))).one()
        await entry_store.add_entry(
            db, services.cipher, opened, kind="volunteer", body="Held.", author=admin, held=True
        )
    async with services.sessions() as db, db.begin():
        opened = await db.get_one(Case, case.id)
        sent = await relay.held_for_person(db, services.cipher, services.translator, opened, 0)
    assert sent == []
    assert [e.held for e in await entries(door)] == [False]


async def test_the_holder_hears_once_that_the_person_read_the_reply(door: Door) -> None:
    case, passphrase = await web_case(door)
    assert T.text("ru", "desk-case-web-unread") in await case_lines(door, case.reference)
    visitor, _ = await logged_in(door, passphrase)  # nothing to read yet: nobody is told
    await door.inside.drain()
    assert door.announced == []
    assert T.text("ru", "desk-case-web-read", day=today().date().isoformat()) in (
        await case_lines(door, case.reference)
    )
    read = T.text("ru", "desk-web-read", reference=case.reference)
    await reply(door, case.reference, "First.")
    await visitor.get("/thread")
    await visitor.get("/thread")  # read again: nothing new
    await door.inside.drain()
    assert [m.text for m in door.announced] == [read]
    await reply(door, case.reference, "Second.")
    await visitor.get("/thread")
    await door.inside.drain()
    assert [m.text for m in door.announced] == [read, read]
    async with door.services.sessions() as db:
        admin = (await db.scalars(select(Volunteer))).one()
    assert {m.chat_id for m in door.announced} == {ADMIN}
    assert admin.handle not in read


async def test_in_sealed_mode_a_read_is_signalled_only_when_replies_were_shown(
    open_door: OpenDoor,
) -> None:
    """The intake cannot reach a volunteer: it signals the desk (`WEB_READ`). Its page shows
    no replies without the person's key, so opening it says nothing was read."""
    _, public = generate_desk_key_pair()
    async with open_door(role="intake", desk_public_key=SecretStr(public)) as door:
        visitor = door.visitor()
        await walk(visitor, PATHS[1])
        passphrase = (await visitor.press("submit")).passphrase
        async with door.services.sessions() as db, db.begin():
            case = (await db.scalars(select(Case))).one()
            db.add(
                Volunteer(
                    id="v1", pseudonym="p", handle="h", role="admin", key_blob=b"k",
                    chat_enc=b"c", language="ru",
                )
            )  # fmt: skip
            await db.flush()
            await db.execute(
                update(Case).where(Case.id == case.id).values(volunteer_id="v1", status="taken")
            )
            db.add(CaseEntry(case_id=case.id, kind="volunteer", body_enc=b"sealed", seq=1))
        await logged_in(door, passphrase)

        async def kinds() -> list[str]:
            async with door.services.sessions() as db:
                return list(await db.scalars(select(DeskSignal.kind).order_by(DeskSignal.id)))

        assert "web-read" not in await kinds()
        notices = door.services.notices
        assert await notices.thread_read(case.id, replies_shown=True) == []
        assert await notices.thread_read(case.id, replies_shown=True) == []  # once
        assert (await kinds()).count("web-read") == 1
        async with door.services.sessions() as db:
            read = select(DeskSignal).where(DeskSignal.kind == "web-read")
            signal = (await db.scalars(read)).one()
            kept = await db.get_one(Case, case.id)
        assert (signal.case_id, signal.volunteer_id) == (case.id, "v1")
        assert kept.web_read_at == today()


async def test_the_desk_tells_the_holder_of_a_signalled_read(door: Door) -> None:
    case, _ = await web_case(door)
    services = door.services
    async with services.sessions() as db:
        admin = (await db.scalars(select(Volunteer))).one()
    inbox = Inbox(services.desk, services.notices, services.submission.answered_more)  # type: ignore[arg-type]
    signal = Signal(0, signal_store.WEB_READ, case.id, None, None, admin.id, None, None)
    acted = await inbox.act(signal)
    assert [(m.chat_id, m.text) for m in acted.sends] == [
        (ADMIN, T.text("ru", "desk-web-read", reference=case.reference))
    ]


async def test_web_forget_deletes_the_copies_in_volunteers_chats(door: Door) -> None:
    case, passphrase = await web_case(door)
    await reply(door, case.reference, "Hello.")
    services = door.services
    async with services.sessions() as db:
        admin = (await db.scalars(select(Volunteer))).one()
    await copies.record_sent(  # a /case view in the admin's chat
        services.sessions, volunteer_id=admin.id, case_id=case.id, reference=case.reference,
        message_ids=[77],
    )  # fmt: skip
    await relay.link(services.sessions, admin, 88, case.id)  # a message relayed to them
    visitor, _ = await logged_in(door, passphrase)
    await door.inside.drain()
    door.announced.clear()
    await visitor.get("/forget")
    page = await visitor.submit("/forget", forget="1")
    assert page.body == T.text("en", "web-forgotten")
    await door.inside.drain()
    assert len(door.removed) == 1
    found, deletions = door.removed[0]
    assert [(c.volunteer_id, c.reference, c.message_id) for c in found] == [
        (admin.id, case.reference, 77)
    ]
    assert deletions == {ADMIN: [88]}
    assert [m.text for m in door.announced] == [
        T.text("ru", "desk-person-erased", reference=case.reference)
    ]
    async with services.sessions() as db:
        assert await copies.of_erased_cases(services.sessions) == []  # taken, not left over
        assert list(await db.scalars(select(Case))) == []


async def test_web_forget_of_a_continued_case_deletes_its_telegram_chat_too(door: Door) -> None:
    """As the bot's /forget: the person's own chat with the bot loses what Telegram allows."""
    case = await telegram_case(door)
    owner = door.services.turns.owner(PERSON)
    await door.services.messages.remember(owner, 501)
    await door.services.messages.remember(owner, 502)
    minted = await door.services.followup.web_code(PERSON)
    assert minted is not None
    _, page = await continued(door, minted.code)
    visitor, _ = await logged_in(door, page.passphrase)
    await visitor.get("/forget")
    await visitor.submit("/forget", forget="1")
    await door.inside.drain()
    assert [deletions for _, deletions in door.removed] == [{PERSON.chat_id: [501, 502]}]
    assert await door.services.messages.recent(owner) == []
    async with door.services.sessions() as db:
        assert await db.get(Case, case.id) is None


async def test_without_a_bot_the_copies_stay_for_the_desk_bots_housekeeping(
    open_door: OpenDoor,
) -> None:
    async with open_door(admin_ids=[ADMIN]) as door:
        door.inside.remove = None
        door.inside.announce = None
        case, passphrase = await web_case(door)
        async with door.services.sessions() as db:
            admin = (await db.scalars(select(Volunteer))).one()
        await copies.record_sent(
            door.services.sessions, volunteer_id=admin.id, case_id=case.id,
            reference=case.reference, message_ids=[77],
        )  # fmt: skip
        visitor, _ = await logged_in(door, passphrase)
        await visitor.get("/forget")
        await visitor.submit("/forget", forget="1")
        await door.inside.drain()
        assert door.removed == []
        left = await copies.of_erased_cases(door.services.sessions)
        assert [c.message_id for c in left] == [77]
