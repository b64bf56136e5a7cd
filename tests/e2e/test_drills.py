"""Failure drills: Telegram answering 429, 5xx and not at all; nothing lost, nothing twice."""

from __future__ import annotations

import time

from bot.inprocess import BotThread
from localapi import LocalBotApi
from storage.models import Case
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import submit_request, submit_request_from_language
from tests.e2e.test_commands_and_outages import (
    _break_database,
    _mend_database,
    count,
    review_up_to_send,
)
from tests.support.people import command, tap


def test_telegram_errors_are_retried_and_no_reply_is_lost_or_doubled(
    api: LocalBotApi, bot: BotThread
) -> None:
    person = api.user(7110101, language_code="en")
    api.inject_fault("sendMessage", "429", times=2, retry_after=1)
    command(person, "/start", expect="Choose your language")
    api.inject_fault("editMessageText", "500", times=2)
    tap(person, "English", expect="not end-to-end encrypted")
    api.inject_fault("answerCallbackQuery", "timeout", times=1, hold=30)
    tap(person, "I understand, continue", expect="Who needs help?")
    api.inject_fault("sendMessage", "500", times=1)
    command(person, "/help", expect="Commands:")
    faults = [call for call in api.calls() if call.fault]
    assert len(faults) == 6, [(c.method, c.fault) for c in faults]
    texts = [m.visible_text for m in person.bot_messages()]
    assert sum("Commands:" in t for t in texts) == 1  # delivered once, not twice
    assert sum("Who needs help?" in t for t in texts) == 1
    reference = submit_request(api.user(7110102, language_code="en"))
    assert reference


def test_database_down_for_ten_seconds_while_people_submit(
    api: LocalBotApi, make_settings: SettingsFactory, redis_url: str
) -> None:
    people = [api.user(7110200 + n, language_code="en") for n in range(5)]
    settings = make_settings(redis_url=redis_url, outbox_retry_seconds=1)
    with BotThread(settings) as runner:
        for n, person in enumerate(people):
            review_up_to_send(person, details=f"outage person {n}")
        runner.run(_break_database)
        down_since = time.monotonic()
        for person in people:
            tap(person, "Send the request", expect="We could not store your request right now")
        time.sleep(max(0.0, 10 - (time.monotonic() - down_since)))
        assert count(runner, Case) == 0
        runner.run(_mend_database)
        references = []
        for person in people:
            sent = person.wait_for_text("Your request has now been sent", timeout=30)
            references.append(sent.visible_text.split("reference: ")[1][:9])
        assert len(set(references)) == len(people)
        assert count(runner, Case) == len(people)  # every case once, none twice


def test_the_same_answers_sent_twice_make_one_case(
    api: LocalBotApi, make_settings: SettingsFactory, redis_url: str
) -> None:
    """What a re-delivered "Send" looks like after a crash: the same answers, moments later."""
    person = api.user(7110301, language_code="en")
    # Two questionnaires within a minute are ~34 updates: more than the default flood budget.
    with BotThread(make_settings(redis_url=redis_url, flood_burst=100)) as runner:
        first = submit_request(person, details="only once")
        command(person, "/start", expect="You have an open request")
        tap(person, "Start a new request", expect="Choose your language")
        second = submit_request_from_language(person, details="only once")
        assert second == first
        assert count(runner, Case) == 1
