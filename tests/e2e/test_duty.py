"""Duty shifts and escalation over the real bot: /duty, urgent notices to who is on duty first,
admins told once of an urgent case nobody takes, a holder then the team told of an urgent case
with no reply, and a person writing on a waiting case re-alerting its team.

The escalation loop is slowed to an hour so that only the test runs its rounds (bot/notices.py
`escalate`, called directly) after moving stored times into the past: nothing sleeps for minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from telegram import Bot

from bot.inprocess import BotThread
from bot.notices import escalate
from bot.services import Services
from bot.settings import Settings
from localapi import FakeUser, LocalBotApi
from storage.models import AuditEvent, Case
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import submit_request
from tests.e2e.test_desk import ADMIN_ID, admin_of, join_as_volunteer
from tests.e2e.test_desk_access import handle_of
from tests.support.people import command, say

FIRST_ID, SECOND_ID, OTHER_ADMIN_ID = 5580002, 5580003, 5580004


def quiet_loop(make_settings: SettingsFactory) -> Settings:
    """Escalation rounds only when the test runs one."""
    return make_settings(admin_ids=[ADMIN_ID], escalate_check_seconds=3600)


@pytest.fixture
def duty_bot(make_settings: SettingsFactory) -> Iterator[BotThread]:
    with BotThread(quiet_loop(make_settings)) as runner:
        yield runner


def escalation_round(runner: BotThread) -> None:
    """One round of the loop (bot/notices.py `escalate`), sent before this returns."""

    async def go(services: Services) -> None:
        settings = services.settings
        async with Bot(settings.token(), base_url=settings.api_url) as bot:
            await escalate(bot, services)

    runner.run(go)


def move_back(runner: BotThread, reference: str, minutes: float, *columns: str) -> None:
    """Set these times of a case to `minutes` ago, as if that long had passed."""

    async def write(services: Services) -> None:
        then = datetime.now(UTC) - timedelta(minutes=minutes)
        async with services.sessions() as db, db.begin():
            await db.execute(
                update(Case).where(Case.reference == reference).values(dict.fromkeys(columns, then))
            )

    runner.run(write)


def count(user: FakeUser, text: str) -> int:
    return sum(text in m.visible_text for m in user.bot_messages())


def settled(*users: FakeUser) -> None:
    """A round trip for each: whatever the bot sent them before has arrived."""
    for user in users:
        command(user, "/mine", expect="")


def duty_team(api: LocalBotApi, runner: BotThread) -> tuple[FakeUser, FakeUser, FakeUser]:
    """An admin in no team (who works every queue), two volunteers in Duty."""
    admin = admin_of(api)
    first = join_as_volunteer(api, admin, FIRST_ID)
    second = join_as_volunteer(api, admin, SECOND_ID)
    for user_id in (FIRST_ID, SECOND_ID):
        handle = handle_of(runner, user_id)
        command(admin, "/team", args=f"{handle} +duty", expect=f"{handle} is now in")
    return admin, first, second


def test_urgent_notices_go_to_the_volunteers_on_duty_first(
    api: LocalBotApi, duty_bot: BotThread
) -> None:
    admin, first, second = duty_team(api, duty_bot)
    first_handle = handle_of(duty_bot, FIRST_ID)
    nobody = command(second, "/duty", expect="On duty:").visible_text.splitlines()
    assert "Duty (urgent): nobody (urgent cases go to the whole team)" in nobody
    assert nobody[-1] == "You are not on duty. /duty on to start."

    command(first, "/duty", args="on", expect="You are on duty")
    listing = command(second, "/duty", expect="On duty:").visible_text.splitlines()
    assert f"Duty (urgent): {first_handle}" in listing
    assert "Legal: nobody (urgent cases go to the whole team)" in listing
    command(first, "/duty", expect="You are on duty.")

    # Urgent: only the team's volunteer on duty hears of it (not the rest of the team, nor
    # the admin in no team, who hears of every team's cases otherwise).
    urgent = submit_request(api.user(5580100, language_code="en"), urgent=True)
    first.wait_for_text(f"New case {urgent} · priority 1")
    settled(second, admin)
    assert count(second, f"New case {urgent}") == 0
    assert count(admin, f"New case {urgent}") == 0
    # Not urgent: as before, duty plays no part (Legal: who is in no team, the admin here).
    calm = submit_request(api.user(5580101, language_code="en"))
    admin.wait_for_text(f"New case {calm} · priority 3")
    settled(first)
    assert count(first, f"New case {calm}") == 0

    # Nobody of the team on duty: the whole team again (with who is in no team).
    command(first, "/duty", args="OFF", expect="You are off duty.")
    again = submit_request(api.user(5580102, language_code="en"), urgent=True)
    for user in (admin, first, second):
        user.wait_for_text(f"New case {again} · priority 1")
    assert "Duty (urgent): nobody" in command(admin, "/duty", expect="On duty:").visible_text
    command(first, "/duty", args="maybe", expect="Usage: /duty [on|off]")
    command(first, "/duty", args="on now", expect="Usage: /duty [on|off]")

    # Anyone on duty in no team is listed on a line of their own.
    command(admin, "/duty", args="on", expect="You are on duty")
    admin_handle = handle_of(duty_bot, ADMIN_ID)
    listing = command(first, "/duty", expect="On duty:").visible_text.splitlines()
    assert f"In no team (they work every queue): {admin_handle}" in listing

    async def trail(services: Services) -> list[tuple[str | None, str | None]]:
        async with services.sessions() as db:
            rows = await db.execute(
                select(AuditEvent.actor_handle, AuditEvent.detail).where(
                    AuditEvent.action == "duty"
                )
            )
            return [(handle, detail) for handle, detail in rows.all()]

    assert duty_bot.run(trail) == [
        (first_handle, "on"),
        (first_handle, "off"),
        (admin_handle, "on"),
    ]


def test_an_urgent_case_nobody_takes_reaches_every_admin_once(
    api: LocalBotApi, duty_bot: BotThread
) -> None:
    admin, first, second = duty_team(api, duty_bot)
    invite = command(admin, "/invite", args="admin", expect="One-time invite")
    code = invite.visible_text.split("/join ")[1].split()[0].rstrip(".")
    other_admin = api.user(OTHER_ADMIN_ID, language_code="en", username="other_admin_x")
    command(other_admin, "/join", args=code, expect="Welcome to the desk")
    command(first, "/duty", args="on", expect="You are on duty")

    urgent = submit_request(api.user(5580200, language_code="en"), urgent=True)
    first.wait_for_text(f"New case {urgent}")
    calm = submit_request(api.user(5580201, language_code="en"))
    admin.wait_for_text(f"New case {calm}")
    escalation_round(duty_bot)  # not yet INTAKE_ESCALATE_AFTER_MINUTES (15) since its notice
    move_back(duty_bot, calm, 16, "announced_at", "created_at")  # not urgent: never escalated
    move_back(duty_bot, urgent, 14, "announced_at", "created_at")
    escalation_round(duty_bot)
    settled(admin, other_admin, first, second)
    for user in (admin, other_admin, first, second):
        assert count(user, "has not been taken") == 0

    move_back(duty_bot, urgent, 16, "announced_at", "created_at")
    escalation_round(duty_bot)
    for user in (admin, other_admin):
        alert = user.wait_for_text(f"Urgent case {urgent}")
        # The reference and the priority, never content.
        assert alert.visible_text == (
            f"🚨 Urgent case {urgent} (priority 1) has not been taken. /take {urgent}"
        )
    # Once per case: later rounds tell nobody again, and volunteers who are not admins never.
    escalation_round(duty_bot)
    move_back(duty_bot, urgent, 60, "announced_at", "created_at")
    escalation_round(duty_bot)
    settled(admin, other_admin, first, second)
    assert count(admin, "has not been taken") == 1
    assert count(other_admin, "has not been taken") == 1
    assert count(first, "has not been taken") + count(second, "has not been taken") == 0
    assert count(admin, f"Urgent case {calm}") == 0
    assert not any("Need advice" in m.visible_text for m in admin.bot_messages())
    command(first, "/take", expect=f"You took case {urgent}")


def test_an_urgent_case_without_a_reply_goes_to_its_holder_then_the_team(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    settings = quiet_loop(make_settings)
    with BotThread(settings) as runner:
        admin, first, second = duty_team(api, runner)
        first_handle = handle_of(runner, FIRST_ID)
        silent = submit_request(api.user(5580300, language_code="en"), urgent=True)
        answered_by = api.user(5580301, language_code="en")
        answered = submit_request(answered_by, urgent=True)
        command(first, "/take", args=silent, expect=f"You took case {silent}")
        command(second, "/take", args=answered, expect=f"You took case {answered}")
        command(second, "/reply", args=f"{answered} We are here.", expect="Sent to the person")
        answered_by.wait_for_text("We are here.")

        # Within INTAKE_REPLY_ESCALATE_MINUTES (120) of taking: nothing.
        move_back(runner, silent, 119, "taken_at")
        escalation_round(runner)
        # One period: the holder is reminded; a case replied to after it was taken is not.
        move_back(runner, silent, 121, "taken_at")
        move_back(runner, answered, 300, "taken_at")
        escalation_round(runner)
        reminder = first.wait_for_text(f"Urgent case {silent} (priority 1): no reply")
        assert reminder.visible_text.startswith(
            f"⏰ Urgent case {silent} (priority 1): no reply to the person for 2 h "
        )  # 2 h 1 min, or 2 h 2 min: stored times are kept to the minute
        assert reminder.visible_text.endswith(
            f"since you took it. /reply {silent}, or /release {silent}"
        )
        escalation_round(runner)
        settled(first, second, admin)
        assert count(first, "no reply to the person") == 1
        assert count(second, "no reply to the person") == 0
        assert count(admin, "no reply to the person") == 0

    # A restart repeats nothing: each step is recorded in the case.
    with BotThread(settings) as runner:
        escalation_round(runner)
        settled(first)
        assert count(first, "no reply to the person") == 1
        # A second period: the team (and who is in no team) is told, by the holder's handle.
        move_back(runner, silent, 241, "taken_at")
        escalation_round(runner)
        told = f"Urgent case {silent} (priority 1), taken by {first_handle}: no reply"
        for user in (admin, first, second):
            notice = user.wait_for_text(told)
            assert "no reply to the person for 4 h " in notice.visible_text
        move_back(runner, silent, 600, "taken_at")
        escalation_round(runner)
        settled(admin, first, second)
        assert count(second, "no reply to the person") == 1
        assert count(second, f"Urgent case {answered}") == 0


def test_a_person_writing_on_a_waiting_case_realerts_the_team(
    api: LocalBotApi, duty_bot: BotThread
) -> None:
    admin = admin_of(api)
    legal = join_as_volunteer(api, admin, FIRST_ID)
    other = join_as_volunteer(api, admin, SECOND_ID)
    command(admin, "/team", args=f"{handle_of(duty_bot, FIRST_ID)} +legal", expect="now in")
    command(admin, "/team", args=f"{handle_of(duty_bot, SECOND_ID)} +psych", expect="now in")
    command(admin, "/team", args=f"{handle_of(duty_bot, ADMIN_ID)} +psych", expect="now in")
    person = api.user(5580400, language_code="en")
    reference = submit_request(person)
    legal.wait_for_text(f"New case {reference}")
    wrote = f"The person of waiting case {reference} (priority 3) wrote again."

    # Just announced: the new-case notice counts as the alert.
    say(person, "Another thing.", expect=f"added to request {reference}")
    settled(legal)
    assert count(legal, wrote) == 0
    # Later: the team is alerted, without what the person wrote; other teams are not.
    move_back(duty_bot, reference, 31, "announced_at", "created_at")
    say(person, "They came to my flat.", expect=f"added to request {reference}")
    alert = legal.wait_for_text(wrote)
    assert alert.visible_text == f"💬 {wrote} /take {reference}"
    # At most once per 30 minutes (casework/notices.py REALERT_EVERY) per case.
    say(person, "And again.", expect=f"added to request {reference}")
    settled(legal, other, admin)
    assert count(legal, wrote) == 1
    assert count(other, wrote) + count(admin, wrote) == 0
    move_back(duty_bot, reference, 31, "realerted_at")
    mark = legal.mark()
    say(person, "Please answer.", expect=f"added to request {reference}")
    second_alert = legal.wait_for_text(wrote, after=mark)
    assert "Please answer" not in second_alert.visible_text
    # Once someone holds it, what the person writes goes to them, and nobody is alerted.
    command(legal, "/take", expect=f"You took case {reference}")
    move_back(duty_bot, reference, 31, "realerted_at")
    mark = legal.mark()
    say(person, "Thank you.", expect="")
    legal.wait_for_text("Thank you.", after=mark)
    settled(legal)
    assert count(legal, wrote) == 2


def test_duty_from_a_non_volunteer_looks_unknown(api: LocalBotApi, duty_bot: BotThread) -> None:
    admin = admin_of(api)
    stranger = api.user(5580499, language_code="en")
    unknown = command(stranger, "/teleport", expect="I do not know this command").visible_text
    for args in ("", "on", "off"):
        mark = stranger.mark()
        stranger.send_command("/duty", args)
        answer = stranger.wait_for(lambda m: True, after=mark)
        assert answer.visible_text == unknown, args
    command(admin, "/duty", expect="On duty:")
