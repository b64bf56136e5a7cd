"""The volunteer desk over the real bot: queue, claim, read, relay, notes, close, membership."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from bot.handlers.desk import COMMANDS
from bot.inprocess import BotThread
from bot.services import Services
from localapi import FakeUser, LocalBotApi
from storage.models import AuditEvent, CaseEntry, Volunteer
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import submit_request
from tests.support.people import command, eventually, say

ADMIN_ID = 5550001


@pytest.fixture
def desk_bot(make_settings: SettingsFactory) -> Iterator[BotThread]:
    with BotThread(make_settings(admin_ids=[ADMIN_ID])) as runner:
        yield runner


@pytest.fixture
def hasty_desk_bot(make_settings: SettingsFactory) -> Iterator[BotThread]:
    """Admins hear of an urgent case nobody took after about a second."""
    settings = make_settings(
        admin_ids=[ADMIN_ID], escalate_after_minutes=0.02, escalate_check_seconds=0.2
    )
    with BotThread(settings) as runner:
        yield runner


def admin_of(api: LocalBotApi) -> FakeUser:
    admin = api.user(ADMIN_ID, language_code="en", username="admin_username_x")
    command(admin, "/queue", expect="The queue is empty")
    return admin


def join_as_volunteer(api: LocalBotApi, admin: FakeUser, user_id: int) -> FakeUser:
    invite = command(admin, "/invite", expect="One-time invite")
    code = invite.visible_text.split("/join ")[1].split()[0].rstrip(".")
    volunteer = api.user(user_id, language_code="en", username=f"vol_{user_id}")
    command(volunteer, "/join", args=code, expect="Welcome to the desk")
    return volunteer


def rows(bot: BotThread, model: type) -> int:
    async def read(services: Services) -> int:
        async with services.sessions() as db:
            return int(await db.scalar(select(func.count()).select_from(model)) or 0)

    return bot.run(read)  # type: ignore[no-any-return]


def test_a_case_from_submission_to_closing(api: LocalBotApi, desk_bot: BotThread) -> None:
    admin = admin_of(api)
    volunteer = join_as_volunteer(api, admin, 5550002)
    person = api.user(5550100, language_code="en", username="person_username_y",
                      first_name="Personname")  # fmt: skip

    reference = submit_request(person, details="My unit holds my passport.")
    notice = volunteer.wait_for_text(f"New case {reference}")
    assert "My unit holds my passport" not in notice.visible_text  # notices carry no content
    assert "priority 3" in notice.visible_text  # a contract soldier, no deadline

    queue = command(volunteer, "/queue", expect=reference)
    assert "1 case is waiting" in queue.visible_text
    assert "· in the forces ·" in queue.visible_text  # the category in words, not its id
    taken = command(volunteer, "/take", expect="Case " + reference)
    assert "· in the forces ·" in taken.visible_text
    assert "• Situation: Contract soldier" in taken.visible_text
    assert "My unit holds my passport." in taken.visible_text
    command(person, "/status", expect="A volunteer is working on your request")

    command(volunteer, "/reply", args=f"{reference} Hello, we are here to help.",
            expect="Sent to the person")  # fmt: skip
    heard = person.wait_for_text("Your volunteer:")
    assert "Hello, we are here to help." in heard.visible_text
    assert "5550002" not in heard.visible_text
    assert "vol_5550002" not in heard.visible_text

    say(person, "Thank you, what next?", expect="passed to your volunteer")
    relayed = volunteer.wait_for_text("Thank you, what next?")
    assert reference in relayed.visible_text
    assert "person_username_y" not in relayed.visible_text
    assert "Personname" not in relayed.visible_text

    # Telegram's reply feature on a relayed message answers that person.
    mark = person.mark()
    volunteer.send_text("Reply via the reply feature.", reply_to=relayed.message_id)
    person.wait_for_text("Reply via the reply feature.", after=mark)

    command(volunteer, "/note", args=f"{reference} Looks genuine; lawyer tomorrow.",
            expect="Note added")  # fmt: skip
    command(volunteer, "/canned", expect="Canned replies")
    command(volunteer, "/canned", args=f"{reference} safety", expect="Sent to the person")
    person.wait_for_text("For your safety")
    case_view = command(volunteer, "/case", args=reference, expect="Conversation:")
    assert "Looks genuine; lawyer tomorrow." in case_view.visible_text
    assert "Thank you, what next?" in case_view.visible_text
    assert all("Looks genuine" not in m.visible_text for m in person.bot_messages())

    command(volunteer, "/mine", expect=reference)
    command(volunteer, "/close", args=f"{reference} we found a lawyer", expect="is closed")
    closed = person.wait_for_text("has been closed")
    assert "we found a lawyer" not in closed.visible_text  # the reason stays internal
    command(person, "/status", expect="was closed")
    stats = command(volunteer, "/stats", expect="Median time to first reply")
    assert "closed: 1" in stats.visible_text

    trail = command(admin, "/audit", args=reference, expect=f"Trail of {reference}")
    actions = [line.split(" · ")[2] for line in trail.visible_text.splitlines()[1:]]
    for action in ("claim", "view", "reply", "note", "canned", "close"):
        assert action in actions, trail.visible_text


def test_take_a_named_case_and_release_it(api: LocalBotApi, desk_bot: BotThread) -> None:
    admin = admin_of(api)
    first = submit_request(api.user(5550201, language_code="en"))
    urgent = submit_request(api.user(5550202, language_code="en"), urgent=True)
    queue = command(admin, "/queue", expect="2 cases are waiting")
    lines = queue.visible_text.splitlines()
    assert lines[1].startswith(urgent)  # most urgent first
    assert lines[2].startswith(first)
    volunteer = join_as_volunteer(api, admin, 5550203)
    command(admin, "/take", args=first, expect=f"You took case {first}")
    command(volunteer, "/take", args=first, expect="is not available")
    command(volunteer, "/case", args=first, expect=f"You do not hold case {first}")
    command(volunteer, "/release", args=first, expect=f"You do not hold case {first}")
    command(admin, "/release", args=first, expect="back in the queue")
    command(volunteer, "/take", expect=f"You took case {urgent}")
    command(volunteer, "/take", expect=f"You took case {first}")
    command(admin, "/take", expect="No case is waiting")


def test_an_urgent_case_nobody_takes_is_announced_again(
    api: LocalBotApi, hasty_desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    reference = submit_request(api.user(5550301, language_code="en"), urgent=True)
    admin.wait_for_text(f"New case {reference}")
    # Since issue 13: once, to the admins, by reference and priority (tests/e2e/test_duty.py).
    again = admin.wait_for_text(
        f"Urgent case {reference} (priority 1) has not been taken", timeout=15
    )
    assert "Need advice" not in again.visible_text  # a reference, never content
    command(admin, "/take", expect=f"You took case {reference}")


def test_messages_while_nobody_holds_the_case_wait_in_it(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    person = api.user(5550401, language_code="en")
    reference = submit_request(person)
    say(person, "One more detail.", expect=f"added to request {reference}")
    command(person, "/start", expect=f"You have an open request {reference}")
    taken = command(admin, "/take", expect="Conversation:")
    assert "One more detail." in taken.visible_text


def test_non_volunteers_get_the_unknown_command_reply_for_every_desk_command(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    settings = make_settings(admin_ids=[ADMIN_ID], flood_burst=500)  # ~50 commands in a row
    with BotThread(settings) as desk_bot:
        _outsider_tries_everything(api, desk_bot)


def _outsider_tries_everything(api: LocalBotApi, desk_bot: BotThread) -> None:
    admin_of(api)
    outsider = api.user(5550501, language_code="en")
    reference = submit_request(outsider)
    audit_before = rows(desk_bot, AuditEvent)
    volunteers_before = rows(desk_bot, Volunteer)
    unknown = command(outsider, "/teleport", expect="I do not know this command").visible_text
    for name in [*COMMANDS, "join"]:
        for args in ("", reference, f"{reference} some text"):
            reply = command(outsider, f"/{name}", args=args, expect="I do not know this command")
            assert reply.visible_text == unknown
    assert rows(desk_bot, AuditEvent) == audit_before
    assert rows(desk_bot, Volunteer) == volunteers_before
    help_text = command(outsider, "/help", expect="Commands:")
    assert "/queue" not in help_text.visible_text


def test_a_revoked_volunteer_loses_access_at_once(api: LocalBotApi, desk_bot: BotThread) -> None:
    admin = admin_of(api)
    volunteer = join_as_volunteer(api, admin, 5550602)
    reference = submit_request(api.user(5550601, language_code="en"))
    command(volunteer, "/take", expect=f"You took case {reference}")
    listing = command(admin, "/volunteers", expect="Volunteers:")
    handle = next(
        line.split(" · ")[0] for line in listing.visible_text.splitlines()[1:]
        if " · volunteer · " in line
    )  # fmt: skip
    assert "5550602" not in listing.visible_text
    command(admin, "/revoke", args=handle, expect="1 case went back to the queue")
    command(volunteer, "/case", args=reference, expect="I do not know this command")
    command(volunteer, "/queue", expect="I do not know this command")
    command(admin, "/queue", expect=reference)


def test_an_invite_works_once(api: LocalBotApi, desk_bot: BotThread) -> None:
    admin = admin_of(api)
    invite = command(admin, "/invite", expect="One-time invite")
    code = invite.visible_text.split("/join ")[1].split()[0].rstrip(".")
    command(api.user(5550701, language_code="en"), "/join", args=code, expect="Welcome to the desk")
    second = api.user(5550702, language_code="en")
    command(second, "/join", args=code, expect="I do not know this command")
    command(second, "/queue", expect="I do not know this command")


def test_desk_content_at_rest_is_ciphertext(api: LocalBotApi, desk_bot: BotThread) -> None:
    admin = admin_of(api)
    person = api.user(5550801, language_code="en")
    reference = submit_request(person)
    command(admin, "/take", expect=f"You took case {reference}")
    command(admin, "/reply", args=f"{reference} CANARY-REPLY-91x", expect="Sent to the person")
    command(admin, "/note", args=f"{reference} CANARY-NOTE-91x", expect="Note added")
    eventually(lambda: rows(desk_bot, CaseEntry) == 2, what="two entries stored")

    async def raw(services: Services) -> bytes:
        async with services.sessions() as db:
            result = await db.execute(select(CaseEntry.body_enc))
            return b"".join(row[0] for row in result)

    stored = desk_bot.run(raw)
    assert b"CANARY-REPLY-91x" not in stored
    assert b"CANARY-NOTE-91x" not in stored


def test_notices_go_to_the_desk_group_when_one_is_set(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    group = api.group(-100555000111)
    with BotThread(make_settings(admin_ids=[ADMIN_ID], desk_chat_id=group.id)):
        admin = admin_of(api)
        reference = submit_request(api.user(5550901, language_code="en"), details="Group test.")
        notice = group.wait_for_text(f"Новая заявка {reference}")  # the default language
        assert "Group test." not in notice.visible_text
        assert all(reference not in m.visible_text for m in admin.bot_messages())


def test_the_desk_group_gets_its_notices_in_its_own_language(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    group = api.group(-100555000112)
    settings = make_settings(admin_ids=[ADMIN_ID], desk_chat_id=group.id, desk_language="en")
    with BotThread(settings):
        reference = submit_request(api.user(5550902, language_code="ru"))
        group.wait_for_text(f"New case {reference}")
