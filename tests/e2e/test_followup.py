"""Follow-up at the desk over the real bot: reminders (/remind, /reminders, sent once by the
escalation round, also after a restart, and gone with release, /forget and /revoke), outcomes
(/close REF OUTCOME), statistics (/stats and `intake-bot stats --by`), canned replies per team."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from telegram import Bot

from bot.inprocess import BotThread
from bot.notices import send_reminders
from bot.services import Services
from localapi import FakeUser, LocalBotApi
from storage import cases as case_store
from storage.models import Case, Reminder
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import submit_request
from tests.e2e.test_desk import ADMIN_ID, admin_of, join_as_volunteer
from tests.e2e.test_desk_access import handle_of
from tests.support.people import command, eventually, tap

NOTE = "Ask whether the papers came (Plover-58)."
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def desk_bot(make_settings: SettingsFactory) -> Iterator[BotThread]:
    with BotThread(make_settings(admin_ids=[ADMIN_ID])) as runner:
        yield runner


def reminder_round(bot: BotThread) -> int:
    """One round of the reminders, as the escalation loop runs it."""

    async def run(services: Services) -> int:
        settings = services.settings
        async with Bot(settings.token(), base_url=settings.api_url) as telegram:
            return await send_reminders(telegram, services)

    return bot.run(run)  # type: ignore[no-any-return]


def make_due(bot: BotThread) -> None:
    """Move every stored reminder's time into the past."""

    async def write(services: Services) -> None:
        async with services.sessions() as db, db.begin():
            then = datetime.now(UTC) - timedelta(minutes=1)
            await db.execute(update(Reminder).values(due_at=then))

    bot.run(write)


def stored_reminders(bot: BotThread) -> list[bytes]:
    async def read(services: Services) -> list[bytes]:
        async with services.sessions() as db:
            return [bytes(blob) for blob in await db.scalars(select(Reminder.text_enc))]

    return bot.run(read)  # type: ignore[no-any-return]


def reminders_shown(user: FakeUser, reference: str) -> int:
    return sum(
        m.visible_text.startswith(f"⏰ Reminder, case {reference}:") for m in user.bot_messages()
    )


def test_a_reminder_reaches_its_holder_once_even_after_a_restart(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    settings = make_settings(admin_ids=[ADMIN_ID])
    with BotThread(settings) as bot:
        admin = admin_of(api)
        reference = submit_request(api.user(5580100, language_code="en"))
        command(admin, "/take", args=reference, expect="Conversation:")
        bad = command(admin, "/remind", args=f"{reference} 2x {NOTE}", expect="not a time")
        assert bad.visible_text == (
            "“2x” is not a time: a whole number and m, h, d or w, like 30m, 4h, 2d or 1w "
            "(at most 52w)."
        )
        command(admin, "/remind", args=f"{reference} 2d", expect="Usage: /remind REF 2d text")
        assert stored_reminders(bot) == []
        command(admin, "/remind", args=f"{reference} 2d {NOTE}",
                expect=f"Reminder set: case {reference}, in 2 days")  # fmt: skip
        listed = command(admin, "/reminders", expect=NOTE).visible_text
        assert listed.startswith(f"{reference} · in 1 day 23 h")
        (sealed,) = stored_reminders(bot)
        assert b"Plover" not in sealed  # sealed under the case's key
        assert reminder_round(bot) == 0  # not due yet
        assert reminders_shown(admin, reference) == 0

    with BotThread(settings) as bot:  # stored in the database: it survives the restart
        make_due(bot)
        reminder_round(bot)  # the loop's own round may have sent it first: once either way
        admin.wait_for_text(f"⏰ Reminder, case {reference}: {NOTE}")
        assert reminder_round(bot) == 0
        assert reminders_shown(admin, reference) == 1
        command(admin, "/reminders", expect="You have no pending reminders.")
        assert stored_reminders(bot) == []


def test_reminders_go_with_release_forget_and_revocation(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    volunteer = join_as_volunteer(api, admin, 5580002)
    person = api.user(5580110, language_code="en")
    first = submit_request(person)
    command(volunteer, "/take", args=first, expect="Conversation:")
    command(volunteer, "/remind", args=f"{first} 1h {NOTE}", expect="Reminder set")
    # Released: the reminder was the holder's follow-up, and nobody holds the case now.
    command(volunteer, "/release", args=first, expect="back in the queue")
    command(volunteer, "/reminders", expect="You have no pending reminders.")
    assert stored_reminders(desk_bot) == []

    # Erased by its person (/forget): gone with the case.
    command(admin, "/take", args=first, expect="Conversation:")
    command(admin, "/remind", args=f"{first} 30m {NOTE}", expect="Reminder set")
    command(person, "/forget", expect="Erase everything you sent")
    tap(person, "Yes, erase everything", expect="the bot has erased everything")
    eventually(lambda: stored_reminders(desk_bot) == [], what="the reminder erased")

    # Revoked: their reminders go with their access, and none reaches them.
    second = submit_request(api.user(5580111, language_code="en"))
    command(volunteer, "/take", args=second, expect="Conversation:")
    command(volunteer, "/remind", args=f"{second} 1w {NOTE}", expect="Reminder set")
    command(admin, "/revoke", args=handle_of(desk_bot, 5580002), expect="no longer has access")
    assert stored_reminders(desk_bot) == []
    assert reminder_round(desk_bot) == 0
    assert reminders_shown(volunteer, second) == 0


def stored_outcome(bot: BotThread, reference: str) -> tuple[str, str | None, str | None]:
    async def read(services: Services) -> tuple[str, str | None, str | None]:
        async with services.sessions() as db:
            case = (await db.scalars(select(Case).where(Case.reference == reference))).one()
            return case.status, case.outcome, case_store.close_reason(services.cipher, case)

    return bot.run(read)  # type: ignore[no-any-return]


def test_close_with_an_outcome_tells_the_person_the_same_and_is_counted(
    api: LocalBotApi, desk_bot: BotThread, database_url: str, master_keys: str
) -> None:
    admin = admin_of(api)
    person = api.user(5580120, language_code="en")
    reference = submit_request(person)
    command(admin, "/take", args=reference, expect="Conversation:")

    # A mistyped outcome closes nothing: the case stays open, the person hears nothing.
    mark = person.mark()
    refused = command(admin, "/close", args=f"{reference} left_rusia",
                      expect="There is no outcome left_rusia").visible_text  # fmt: skip
    assert "left_russia, safe_inside, legal_consultation" in refused
    assert stored_outcome(desk_bot, reference) == ("taken", None, None)

    command(admin, "/close", args=f"{reference} LEFT_RUSSIA Took the night bus.",
            expect=f"Case {reference} is closed")  # fmt: skip
    told = person.wait_for_text("closed", after=mark).visible_text
    assert stored_outcome(desk_bot, reference) == ("closed", "left_russia", "Took the night bus.")
    view = command(admin, "/case", args=reference, expect="Outcome: left Russia").visible_text
    assert "Took the night bus." in view

    # The old form still works: the words are the internal note, no outcome is recorded,
    # and the person gets the very same notice.
    other = api.user(5580121, language_code="en")
    second = submit_request(other)
    command(admin, "/take", args=second, expect="Conversation:")
    command(admin, "/close", args=f"{second} we found a lawyer",
            expect="No outcome recorded. Next time: /close REF OUTCOME [note]")  # fmt: skip
    assert other.wait_for_text("closed").visible_text == told.replace(reference, second)
    assert stored_outcome(desk_bot, second) == ("closed", None, "we found a lawyer")
    assert "Took the night bus" not in told

    stats = command(admin, "/stats", expect="Last 30 days").visible_text
    assert "Legal · left Russia: <5" in stats
    assert "Legal · closed without an outcome: <5" in stats
    assert reference not in stats
    assert second not in stats

    clean = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    clean.update({"INTAKE_DATABASE_URL": database_url, "INTAKE_MASTER_KEYS": master_keys})
    printed = subprocess.run(
        [sys.executable, "-m", "bot", "stats", "--by", "month,team,outcome"], env=clean,
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    month = datetime.now(UTC).strftime("%Y-%m")
    assert printed.stdout.splitlines() == [
        "month\tteam\toutcome\tcases",
        f"{month}\tlegal\tleft_russia\t<5",
        f"{month}\tlegal\tnone\t<5",
    ]


def test_canned_replies_are_the_teams_first_then_the_shared_ones(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    legal = join_as_volunteer(api, admin, 5580003)
    command(admin, "/team", args=f"{handle_of(desk_bot, 5580003)} +legal", expect="is now in")
    listed = command(legal, "/canned", expect="Canned replies").visible_text
    assert "Team Legal" in listed
    assert "Team Evacuation" not in listed  # another team's own replies are not offered

    calm_person = api.user(5580130, language_code="en")
    calm = submit_request(calm_person)
    command(legal, "/take", args=calm, expect="Conversation:")
    command(legal, "/canned", args=f"{calm} legal", expect="Sent to the person")
    calm_person.wait_for_text("Our legal team has your request")

    urgent_person = api.user(5580131, language_code="en")
    urgent = submit_request(urgent_person, urgent=True)
    command(admin, "/take", args=urgent, expect="Conversation:")
    command(admin, "/canned", args=f"{urgent} legal", expect="Sent to the person")
    urgent_person.wait_for_text("A lawyer of our group will look at your situation")
    refused = command(admin, "/canned", args=f"{urgent} route", expect="is not for cases of")
    assert refused.visible_text == (
        "Canned reply route is not for cases of Duty (urgent). /canned lists them."
    )
    command(admin, "/canned", args=f"{urgent} teleport", expect="There is no canned reply")


def test_followup_commands_from_a_non_volunteer_look_unknown(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    reference = submit_request(api.user(5580140, language_code="en"))
    stranger = api.user(5580199, language_code="en")
    unknown = command(stranger, "/teleport", expect="I do not know this command").visible_text
    for name, args in (("/remind", f"{reference} 2d {NOTE}"), ("/reminders", ""),
                       ("/close", f"{reference} no_contact")):  # fmt: skip
        mark = stranger.mark()
        stranger.send_command(name, args)
        answer = stranger.wait_for(lambda m: True, after=mark)
        assert answer.visible_text == unknown, name
    assert stored_reminders(desk_bot) == []
    command(admin, "/queue", expect=reference)
