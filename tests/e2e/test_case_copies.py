"""Copies of a case in volunteers' chats go when the case goes, or when the volunteer goes.

A case view (/take, /case), a message relayed from the person and the volunteer's own /reply
carry the case's content; after /forget, /revoke of the volunteer, or the retention purge they
must leave the chats they are in, and what Telegram will not delete is reported to the admins.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.inprocess import BotThread
from bot.services import Services
from localapi import FakeUser, LocalBotApi
from storage.models import Case, CaseCopy
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import submit_request
from tests.support.people import command, eventually, say, tap

ADMIN_ID = 7770001
SECRET = "Secret detail Nightjar-57."


@pytest.fixture
def desk_bot(make_settings: SettingsFactory) -> Iterator[BotThread]:
    with BotThread(make_settings(admin_ids=[ADMIN_ID])) as runner:
        yield runner


def admin_of(api: LocalBotApi) -> FakeUser:
    admin = api.user(ADMIN_ID, language_code="en")
    command(admin, "/queue", expect="The queue is empty")
    return admin


def join_as_volunteer(api: LocalBotApi, admin: FakeUser, user_id: int) -> tuple[FakeUser, str]:
    invite = command(admin, "/invite", expect="One-time invite")
    code = invite.visible_text.split("/join ")[1].split()[0].rstrip(".")
    volunteer = api.user(user_id, language_code="en")
    joined = command(volunteer, "/join", args=code, expect="Welcome to the desk")
    handle = joined.visible_text.split("Others see you as ")[1].split(";")[0]
    return volunteer, handle


def showing(user: FakeUser, text: str) -> list[int]:
    """Ids of the messages still visible in this chat, either side, that contain `text`."""
    return [m.message_id for m in user.messages() if text in m.visible_text]


def copies(runner: BotThread) -> int:
    async def read(services: Services) -> int:
        async with services.sessions() as db:
            return int(await db.scalar(select(func.count()).select_from(CaseCopy)) or 0)

    return runner.run(read)  # type: ignore[no-any-return]


def test_forget_removes_every_copy_from_the_volunteers_and_admins_chats(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    volunteer, _ = join_as_volunteer(api, admin, 7770002)
    person = api.user(7770101, language_code="en")
    reference = submit_request(person, details=SECRET)
    command(volunteer, "/take", expect=SECRET)
    command(volunteer, "/case", args=reference, expect=SECRET)
    command(admin, "/case", args=reference, expect=SECRET)
    say(person, "Follow-up Kestrel-11.", expect="passed to your volunteer")
    volunteer.wait_for_text("Follow-up Kestrel-11.")
    command(volunteer, "/reply", args=f"{reference} Answer Heron-23.", expect="Sent to the person")
    command(volunteer, "/note", args=f"{reference} Note Plover-31.", expect="Note added")
    relayed = showing(volunteer, "Kestrel-11")[-1]
    volunteer.send_text("Replied Avocet-19.", reply_to=relayed)
    person.wait_for_text("Replied Avocet-19.")
    assert len(showing(volunteer, SECRET)) == 2
    assert showing(volunteer, "Heron-23")
    assert showing(volunteer, "Plover-31")

    command(person, "/forget", expect="Erase everything you sent")
    tap(person, "Yes, erase everything", expect="the bot has erased everything")
    volunteer.wait_for_text(f"The person of case {reference} erased their data")
    for text in (SECRET, "Kestrel-11", "Heron-23", "Plover-31", "Avocet-19"):
        eventually(lambda text=text: showing(volunteer, text) == [],  # type: ignore[misc]
                   what=f"{text!r} gone from the volunteer's chat")  # fmt: skip
    eventually(lambda: showing(admin, SECRET) == [], what="the admin's view gone")
    eventually(lambda: copies(desk_bot) == 0, what="the record of the copies gone")
    assert not any("could not be removed" in m.visible_text for m in admin.bot_messages())


def test_revoke_removes_the_revoked_volunteers_case_views(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    volunteer, handle = join_as_volunteer(api, admin, 7770003)
    reference = submit_request(api.user(7770102, language_code="en"), details=SECRET)
    command(volunteer, "/take", expect=SECRET)
    command(volunteer, "/case", args=reference, expect=SECRET)
    command(admin, "/case", args=reference, expect=SECRET)
    assert len(showing(volunteer, SECRET)) == 2

    command(admin, "/revoke", args=handle, expect="no longer has access")
    eventually(lambda: showing(volunteer, SECRET) == [], what="the revoked one's views gone")
    assert len(showing(admin, SECRET)) == 1  # the admin's own view is not theirs to lose
    command(volunteer, "/case", args=reference, expect="I do not know this command")


def test_the_retention_purge_removes_the_case_views(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    settings = make_settings(admin_ids=[ADMIN_ID], housekeeping_interval_minutes=0.01,
                             retention_days=30)  # fmt: skip
    with BotThread(settings) as runner:
        admin = admin_of(api)
        volunteer, _ = join_as_volunteer(api, admin, 7770004)
        reference = submit_request(api.user(7770103, language_code="en"), details=SECRET)
        command(volunteer, "/take", expect=SECRET)
        command(volunteer, "/close", args=f"{reference} Reason Avocet-41.", expect="is closed")
        assert showing(volunteer, SECRET)
        assert showing(volunteer, "Avocet-41")

        async def age(services: Services) -> None:
            async with services.sessions() as db, db.begin():
                case = await db.scalar(select(Case).where(Case.reference == reference))
                assert case is not None
                case.closed_at = datetime.now(UTC) - timedelta(days=31)

        runner.run(age)
        eventually(lambda: showing(volunteer, SECRET) == [], what="the view gone after purge")
        eventually(lambda: showing(volunteer, "Avocet-41") == [], what="the /close reason gone")
        eventually(lambda: copies(runner) == 0, what="the record of the copies gone")


def test_a_copy_telegram_will_not_delete_is_reported_to_the_admins(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    volunteer, handle = join_as_volunteer(api, admin, 7770005)
    person = api.user(7770104, language_code="en")
    reference = submit_request(person, details=SECRET)
    command(volunteer, "/take", expect=SECRET)
    api.advance_clock(48 * 3600 + 60)  # Telegram now refuses to delete the view

    command(person, "/forget", expect="Erase everything you sent")
    tap(person, "Yes, erase everything", expect="the bot has erased everything")
    notice = admin.wait_for_text("could not be removed")
    assert notice.visible_text == (
        f"⚠️ 1 message about case {reference} could not be removed from {handle}'s chat "
        "(older than 48 hours, or Telegram refused): ask them to delete it."
    )
    assert SECRET not in notice.visible_text
    assert len(showing(volunteer, SECRET)) == 1
    eventually(lambda: copies(desk_bot) == 0, what="the record of the copies gone")


def test_a_case_view_in_several_messages_goes_whole(api: LocalBotApi, desk_bot: BotThread) -> None:
    admin = admin_of(api)
    person = api.user(7770105, language_code="en")
    reference = submit_request(person, details=SECRET)
    command(admin, "/take", args=reference, expect=SECRET)
    for number in range(3):  # three long follow-ups: the case view no longer fits one message
        text = f"Long {number} " + "word " * 400  # Fluent keeps a placeable under 2500
        say(person, text, expect="passed to your volunteer")
        admin.wait_for_text(f"Long {number} ")
    mark = admin.mark()
    command(admin, "/case", args=reference, expect=SECRET)
    eventually(lambda: showing(admin, "Long 2 ") and max(showing(admin, "Long 2 ")) > mark,
               what="the whole view sent")  # fmt: skip
    view = [m.message_id for m in admin.bot_messages() if m.message_id > mark]
    assert len(view) >= 2

    command(person, "/forget", expect="Erase everything you sent")
    tap(person, "Yes, erase everything", expect="the bot has erased everything")
    eventually(lambda: not set(view) & {m.message_id for m in admin.messages()},
               what="every part of the view deleted")  # fmt: skip
    assert showing(admin, "Long ") == []
