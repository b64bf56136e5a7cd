"""Per-person limits on requests, and a global hourly cap that counts each person once."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.inprocess import BotThread
from bot.services import Services
from localapi import ChatMessage, FakeUser, LocalBotApi
from storage.models import Case
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import REFERENCE, submit_request
from tests.support.people import command, say, tap

ADMIN_ID = 6670001
FAST = {"flood_burst": 1000}  # several questionnaires in a row go past the flood limit


def count(runner: BotThread) -> int:
    async def read(services: Services) -> int:
        async with services.sessions() as db:
            return int(await db.scalar(select(func.count()).select_from(Case)) or 0)

    return runner.run(read)  # type: ignore[no-any-return]


def to_review(user: FakeUser, *, new: bool, details: str = "Need advice.") -> ChatMessage:
    """A further request from /start to its review screen (in English, whatever the client)."""
    if new:
        command(user, "/start", expect="You have an open request")
        tap(user, "Start a new request", expect="Choose your language")
    else:
        command(user, "/start", expect="Choose your language")
    tap(user, "English", expect="not end-to-end encrypted")
    tap(user, "I understand, continue", expect="Who needs help?")
    tap(user, "Someone close to me", expect="know you are writing to us?")
    tap(user, "Yes", expect="What is the situation right now?")
    tap(user, "Contract soldier", expect="Where are you (or he/she) now?")
    tap(user, "In Russia", expect="Right now, are you")
    tap(user, "In the unit", expect="is there a case against")
    tap(user, "No", expect="health problems")
    tap(user, "No", expect="How urgent is it?")
    tap(user, "No deadline", expect="What help is needed?")
    tap(user, "Legal advice", expect="✅ Legal advice")
    tap(user, "Done", expect="Which documents are at hand?")
    tap(user, "Military ID", expect="✅ Military ID")
    tap(user, "Done", expect="Might someone check your phone")
    tap(user, "No", expect="choose a codeword")
    tap(user, "Skip", expect="If you like, tell us briefly")
    return say(user, details, expect="Please check your answers")


def send(user: FakeUser, expect: str) -> ChatMessage:
    return tap(user, "Send the request", expect=expect)


def test_a_person_with_two_open_requests_is_told_so_and_keeps_the_answers(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    with BotThread(make_settings(admin_ids=[ADMIN_ID], **FAST)) as runner:
        admin = api.user(ADMIN_ID, language_code="en")
        command(admin, "/queue", expect="The queue is empty")
        person = api.user(6670101, language_code="ru")  # answers in English all the same
        first = submit_request(person)
        to_review(person, new=True, details="For my brother.")
        second = REFERENCE.search(send(person, "Your request has been sent").visible_text)
        assert second is not None
        to_review(person, new=True, details="A third one.")
        refused = send(person, "the most one person can have at a time")
        assert "You already have 2 open requests" in refused.visible_text
        assert f"open request {second.group(0)}" in refused.visible_text  # the newest
        assert "/cancel" in refused.visible_text
        assert count(runner) == 2
        review = command(person, "/start", expect="Please check your answers")  # nothing lost
        assert "A third one." in review.visible_text
        command(admin, "/take", args=first, expect=f"You took case {first}")
        command(admin, "/close", args=first, expect="is closed")
        tap(person, "Send the request", expect="Your request has been sent",
            message_id=review.message_id)  # fmt: skip
        assert count(runner) == 3


def test_a_person_who_sent_the_daily_number_of_requests_is_told_so(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    settings = make_settings(admin_ids=[ADMIN_ID], open_cases_per_person=5, **FAST,
                             new_cases_per_person_per_day=2)  # fmt: skip
    with BotThread(settings) as runner:
        admin = api.user(ADMIN_ID, language_code="en")
        command(admin, "/queue", expect="The queue is empty")
        person = api.user(6670102, language_code="en")
        first = submit_request(person)
        to_review(person, new=True)
        send(person, "Your request has been sent")
        for reference in (first,):
            command(admin, "/take", args=reference, expect=f"You took case {reference}")
            command(admin, "/close", args=reference, expect="is closed")
        to_review(person, new=True, details="Again.")
        refused = send(person, "the most one person can send in a day")
        assert "You have sent 2 new requests in the last 24 hours" in refused.visible_text
        assert count(runner) == 2
        command(person, "/start", expect="Please check your answers")


def test_the_hourly_cap_counts_each_person_once(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    """Two requests (and extra presses of Send) from one person do not use up the cap of two
    people: a second person still gets through; a third waits, with the answers kept."""
    with BotThread(make_settings(admin_ids=[ADMIN_ID], cases_per_hour_cap=2, **FAST)) as runner:
        admin = api.user(ADMIN_ID, language_code="en")
        command(admin, "/queue", expect="The queue is empty")
        busy = api.user(6670103, language_code="en")
        submit_request(busy)
        to_review(busy, new=True, details="Second.")
        send(busy, "Your request has been sent")
        to_review(busy, new=True, details="Third.")
        send(busy, "the most one person can have at a time")  # their own limit, not the cap
        other = api.user(6670104, language_code="en")
        submit_request(other)
        late = api.user(6670105, language_code="en")
        to_review(late, new=False)
        send(late, "Your answers are saved")
        admin.wait_for_text("INTAKE_CASES_PER_HOUR_CAP (2) sent a new request")
        assert count(runner) == 3
        command(late, "/start", expect="Please check your answers")
