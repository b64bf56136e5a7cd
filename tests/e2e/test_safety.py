"""Safety of the person who writes: erase on demand, clean chats, abuse limits, blocking."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import func, select

from bot.inprocess import BotThread
from bot.services import Services
from localapi import FakeUser, LocalBotApi
from storage.models import Case, CaseEntry, Person
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import answer_up_to_details, submit_request
from tests.support.people import command, eventually, say, tap

ADMIN_ID = 6660001


def count(runner: BotThread, model: type) -> int:
    async def read(services: Services) -> int:
        async with services.sessions() as db:
            return int(await db.scalar(select(func.count()).select_from(model)) or 0)

    return runner.run(read)  # type: ignore[no-any-return]


def pseudonym_of(runner: BotThread, user: FakeUser) -> str:
    async def compute(services: Services) -> str:
        return services.turns.pseudonyms("person", user.id)

    return runner.run(compute)  # type: ignore[no-any-return]


@pytest.fixture
def safe_bot(make_settings: SettingsFactory, redis_url: str) -> Iterator[BotThread]:
    with BotThread(make_settings(redis_url=redis_url, admin_ids=[ADMIN_ID])) as runner:
        yield runner


def test_the_questionnaire_is_deleted_after_submission(
    api: LocalBotApi, safe_bot: BotThread
) -> None:
    person = api.user(6660101, language_code="en")
    reference = submit_request(person, details="Something to clean up.")
    eventually(lambda: len(person.messages()) == 1, what="only the confirmation left")
    [left] = person.messages()
    assert left.from_bot
    assert reference in left.visible_text
    assert len(person.deleted_message_ids()) >= 3  # the /start, the description, the prompts


def test_forget_erases_data_and_deletes_the_conversation(
    api: LocalBotApi, safe_bot: BotThread, redis_url: str
) -> None:
    admin = api.user(ADMIN_ID, language_code="en")
    command(admin, "/queue", expect="The queue is empty")
    person = api.user(6660102, language_code="en")
    reference = submit_request(person)
    command(admin, "/take", expect=f"You took case {reference}")
    say(person, "A follow-up to be erased.", expect="passed to your volunteer")
    relayed = admin.wait_for_text("A follow-up to be erased.")
    owner = pseudonym_of(safe_bot, person)

    command(person, "/forget", expect="Erase everything you sent")
    done = tap(person, "Yes, erase everything", expect="the bot has erased everything")
    assert "That includes 1 sent request and its conversation" in done.visible_text
    eventually(lambda: [m.message_id for m in person.messages()] == [done.message_id],
               what="the whole conversation deleted but the last word")  # fmt: skip
    admin.wait_for_text(f"The person of case {reference} erased their data")
    eventually(lambda: relayed.message_id in admin.deleted_message_ids(),
               what="the relayed copy deleted from the volunteer's chat")  # fmt: skip
    assert count(safe_bot, Case) == 0
    assert count(safe_bot, Person) == 0
    assert count(safe_bot, CaseEntry) == 0
    client = redis.Redis.from_url(redis_url)
    leftovers = [key for key in client.scan_iter() if owner.encode() in key]
    assert leftovers == [], leftovers
    command(admin, "/case", args=reference, expect="There is no case")


def test_forget_says_what_it_could_not_delete(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    settings = make_settings()  # no Redis: message ids live in memory
    person = api.user(6660103, language_code="en")
    with BotThread(settings):
        first = command(person, "/start", expect="Choose your language")
    with BotThread(settings):  # after a restart the bot no longer knows the earlier ids
        command(person, "/forget", expect="Erase everything you sent")
        done = tap(person, "Yes, erase everything", expect="the bot has erased everything")
        assert "Whatever is left stays here until you delete this chat" in done.visible_text
        assert first.message_id not in person.deleted_message_ids()


def test_forget_does_not_claim_a_failure_when_every_deletion_worked(
    api: LocalBotApi, safe_bot: BotThread
) -> None:
    # Message ids of a private chat are not 1-based per the bot's memory (here: the first
    # /forget's messages came before), and every message below is minutes old.
    person = api.user(6660108, language_code="en")
    command(person, "/start", expect="Choose your language")
    command(person, "/forget", expect="Erase everything you sent")
    tap(person, "Yes, erase everything", expect="the bot has erased everything")
    mark = person.mark()
    command(person, "/start", expect="Choose your language")
    command(person, "/forget", expect="Erase everything you sent")
    done = tap(person, "Yes, erase everything", expect="the bot has erased everything")
    assert done.message_id > mark
    assert "could not be deleted" not in done.visible_text
    assert "younger than 48 hours" not in done.visible_text
    assert "Telegram refused" not in done.visible_text
    assert "only messages from the last 48 hours" in done.visible_text
    left = [m.message_id for m in person.messages() if m.message_id > mark]
    assert left == [done.message_id]


def test_forget_says_so_when_telegram_refuses_a_deletion(
    api: LocalBotApi, safe_bot: BotThread
) -> None:
    person = api.user(6660109, language_code="en")
    command(person, "/start", expect="Choose your language")
    command(person, "/forget", expect="Erase everything you sent")
    api.advance_clock(48 * 3600 + 60)  # Telegram now refuses to delete what came before
    done = tap(person, "Yes, erase everything", expect="the bot has erased everything")
    assert "Telegram refused to delete some of the messages here" in done.visible_text


def test_the_auto_delete_timer_is_noticed(api: LocalBotApi, safe_bot: BotThread) -> None:
    person = api.user(6660104, language_code="en")
    command(person, "/start", expect="Choose your language")
    mark = person.mark()
    person.set_auto_delete(86400)
    person.wait_for_text("Auto-delete is on", after=mark)
    mark = person.mark()
    person.set_auto_delete(0)
    person.wait_for_text("Auto-delete is off", after=mark)


def test_a_flood_gets_one_calm_answer_and_the_person_can_go_on(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    # A token bucket: 5 at once, then one every 6 s, so a burst spread over a loaded machine's
    # few seconds still gets no more than one extra answer.
    settings = make_settings(flood_burst=5, flood_window_seconds=30)
    with BotThread(settings):
        person = api.user(6660105, language_code="en")
        for n in range(12):
            person.send_text(f"spam {n}")
        eventually(lambda: any("very fast" in m.visible_text for m in person.bot_messages()),
                   what="the flood notice")  # fmt: skip
        time.sleep(1.0)
        calm = [m for m in person.bot_messages() if "very fast" in m.visible_text]
        assert len(calm) == 1
        answered = [m for m in person.bot_messages() if "very fast" not in m.visible_text]
        assert len(answered) <= 6
        time.sleep(6.5)  # the bucket has a token again
        command(person, "/help", expect="Commands:")


def test_the_hourly_cap_keeps_the_draft_and_alerts_admins_once(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    with BotThread(make_settings(cases_per_hour_cap=1, admin_ids=[ADMIN_ID])) as runner:
        admin = api.user(ADMIN_ID, language_code="en")
        command(admin, "/queue", expect="The queue is empty")
        submit_request(api.user(6660106, language_code="en"))
        late = api.user(6660107, language_code="en")
        command(late, "/start", expect="Choose your language")
        tap(late, "English", expect="not end-to-end encrypted")
        tap(late, "I understand, continue", expect="Who needs help?")
        answer_up_to_details(late)
        say(late, "Need advice.", expect="Please check your answers")
        # "Send" does not go through while over the cap: the answers stay.
        tap(late, "Send the request", expect="Your answers are saved")
        admin.wait_for_text("INTAKE_CASES_PER_HOUR_CAP (1) sent a new request")
        assert count(runner, Case) == 1
        review = command(late, "/start", expect="Please check your answers")  # nothing lost
        tap(late, "Send the request", expect="Your answers are saved", message_id=review.message_id)
        alerts = [m for m in admin.bot_messages() if "sent a new request" in m.text]
        assert len(alerts) == 1


def test_a_blocked_person_cannot_open_new_requests(api: LocalBotApi, safe_bot: BotThread) -> None:
    admin = api.user(ADMIN_ID, language_code="en")
    command(admin, "/queue", expect="The queue is empty")
    person = api.user(6660108, language_code="en")
    reference = submit_request(person)
    command(admin, "/block", args=reference, expect="can no longer open new requests")
    command(admin, "/close", args=reference, expect="is closed")
    command(person, "/start", expect="We cannot accept new requests from this account")
    trail = command(admin, "/audit", args=reference, expect="Trail of")
    assert "block" in trail.visible_text


def _age_case(
    runner: BotThread, reference: str, *, closed_days: int = 0, idle_days: int = 0
) -> None:
    """Move a case back in time, as if days had passed."""

    async def age(services: Services) -> None:
        async with services.sessions() as db, db.begin():
            case = await db.scalar(select(Case).where(Case.reference == reference))
            assert case is not None
            now = datetime.now(UTC)
            if closed_days:
                case.closed_at = now - timedelta(days=closed_days)
            if idle_days:
                case.updated_at = now - timedelta(days=idle_days)

    runner.run(age)


def test_housekeeping_warns_about_stale_cases_and_shreds_old_closed_ones(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    settings = make_settings(admin_ids=[ADMIN_ID], housekeeping_interval_minutes=0.01,
                             retention_days=30, stale_warning_days=7)  # fmt: skip
    with BotThread(settings) as runner:
        admin = api.user(ADMIN_ID, language_code="en")
        command(admin, "/queue", expect="The queue is empty")
        old_person = api.user(6660201, language_code="en")
        old = submit_request(old_person)
        idle = submit_request(api.user(6660202, language_code="en"))
        command(admin, "/take", args=old, expect=f"You took case {old}")
        command(admin, "/close", args=old, expect="is closed")
        _age_case(runner, old, closed_days=31)
        _age_case(runner, idle, idle_days=8)
        warning = admin.wait_for_text("Open cases untouched for 7 days", timeout=15)
        assert idle in warning.visible_text
        assert old not in warning.visible_text
        eventually(lambda: count(runner, Case) == 1, what="the old closed case shredded")
        command(old_person, "/status", expect="You have no requests")
        # The purged case's trail no longer names it (storage.coarse.forget_trail).
        command(admin, "/audit", args=old, expect=f"Nothing recorded for {old}")


def test_drafts_expire_in_redis(
    api: LocalBotApi, make_settings: SettingsFactory, redis_url: str
) -> None:
    with BotThread(make_settings(redis_url=redis_url, draft_ttl_hours=2)):
        person = api.user(6660203, language_code="en")
        command(person, "/start", expect="Choose your language")
        client = redis.Redis.from_url(redis_url)
        eventually(lambda: bool(client.keys("*:draft:*")), what="a draft stored")
        [key] = client.keys("*:draft:*")
        assert 2 * 3600 - 60 < client.ttl(key) <= 2 * 3600
        [messages] = client.keys("*:messages:*")
        assert 0 < client.ttl(messages) <= 48 * 3600  # message ids: no longer than Telegram allows
