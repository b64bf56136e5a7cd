"""Failure drills: Telegram answering 429, 5xx and not at all; nothing lost, nothing twice."""

from __future__ import annotations

from bot.localapi import LocalBotApi
from tests.e2e.flows import submit_request
from tests.support.botrunner import BotRunner
from tests.support.people import command, tap


def test_telegram_errors_are_retried_and_no_reply_is_lost_or_doubled(
    api: LocalBotApi, bot: BotRunner
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
