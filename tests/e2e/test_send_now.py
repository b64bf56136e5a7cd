"""The fast path in danger over the real bot: "Send now" after urgency "now", then the rest.

The questionnaire is driven by its button payloads (step and option ids), not by their texts,
so that its wording and the steps around `urgency` may change without this file changing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.inprocess import BotThread
from bot.services import Services
from localapi import ChatMessage, FakeUser, LocalBotApi
from storage.cases import case_answers
from storage.models import AuditEvent, Case
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import REFERENCE
from tests.e2e.test_commands_and_outages import _break_database, _mend_database
from tests.e2e.test_desk import ADMIN_ID, admin_of, join_as_volunteer, rows
from tests.e2e.test_hostile_traffic import redeliver_and_wait, webhook_settings
from tests.support.people import command, eventually, say, toast_shown

MARKER = "hiding-at-a-friends-Q4"
CHOSEN = {"language": None, "consent": "agree", "urgency": "now"}


@pytest.fixture
def desk_bot(make_settings: SettingsFactory) -> Iterator[BotThread]:
    with BotThread(make_settings(admin_ids=[ADMIN_ID])) as runner:
        yield runner


def payloads(message: ChatMessage) -> list[str]:
    return [b.callback_data for row in message.buttons for b in row if b.callback_data]


def prompt_of(user: FakeUser) -> ChatMessage:
    """The newest bot message with buttons (the question on screen), else the newest one."""
    messages = user.bot_messages()
    for message in reversed(messages):
        if payloads(message):
            return message
    return messages[-1]


def _shown(user: FakeUser) -> tuple[Any, ...]:
    if not user.bot_messages():
        return ()
    message = prompt_of(user)
    return (message.message_id, message.visible_text, tuple(message.button_texts))


def act(user: FakeUser, do: Any) -> ChatMessage:
    """Do something, wait until the question on screen changed, return it."""
    before = _shown(user)
    do()
    try:
        eventually(lambda: _shown(user) != before, what="the bot answered")
    except AssertionError as error:
        raise AssertionError(f"{user.transcript()}\n{user.callback_answers()}") from error
    return prompt_of(user)


def press(user: FakeUser, message: ChatMessage, data: str) -> ChatMessage:
    return act(user, lambda: user.press_data(message.message_id, data))


def answer(user: FakeUser, message: ChatMessage, language: str) -> ChatMessage:
    """Answer the question on screen: the chosen option, or the first one, or some words."""
    data = payloads(message)
    choices = [d for d in data if d.startswith("c|")]
    if choices:
        step = choices[0].split("|")[1]
        wanted = CHOSEN.get(step, "") or (language if step == "language" else "")
        pick = next((d for d in choices if d == f"c|{step}|{wanted}"), choices[0])
        return press(user, message, pick)
    toggles = [d for d in data if d.startswith("t|")]
    if toggles:
        step = toggles[0].split("|")[1]
        press(user, message, toggles[0])
        return press(user, prompt_of(user), f"d|{step}")
    return act(user, lambda: user.send_text(f"I am {MARKER}."))  # a text question


def until(user: FakeUser, language: str, done: Any) -> ChatMessage:
    message = prompt_of(user)
    for _ in range(40):
        if done(message):
            return message
        message = answer(user, message, language)
    raise AssertionError(user.transcript())


def to_send_now(user: FakeUser, language: str) -> ChatMessage:
    """From /start to the first question that offers "Send now" (right after urgency now)."""
    act(user, lambda: user.send_command("/start"))
    return until(user, language, lambda m: "u" in payloads(m))


def is_review(message: ChatMessage) -> bool:
    return "S" in payloads(message)


def cases(bot: BotThread) -> list[tuple[str, int, str]]:
    async def read(services: Services) -> list[tuple[str, int, str]]:
        async with services.sessions() as db:
            found = (await db.scalars(select(Case))).all()
            return [(c.reference, c.priority, c.status) for c in found]

    return bot.run(read)  # type: ignore[no-any-return]


def test_send_now_then_the_rest_makes_one_urgent_case(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    volunteer = join_as_volunteer(api, admin, 5560002)
    person = api.user(5560100, language_code="en")

    offered = to_send_now(person, "en")
    assert "🚨 Send now" in offered.button_texts
    sent = press(person, offered, "u")
    assert "sent as urgent" in sent.visible_text
    assert sent.button_texts == ["Answer the rest"]
    found = REFERENCE.search(sent.visible_text)
    assert found is not None
    reference = found.group(0)
    notice = volunteer.wait_for_text(f"New case {reference}")
    assert "priority 1" in notice.visible_text

    taken = command(volunteer, "/take", expect="Case " + reference)
    assert "priority 1" in taken.visible_text
    assert MARKER not in taken.visible_text  # only what was answered before Send now

    # Words written now answer no question on screen: they go to the request just sent.
    say(person, "they are at the door Z8", expect="passed to your volunteer")
    volunteer.wait_for_text("they are at the door Z8")

    # The same press again (a second tap, a bot that died before Telegram heard back).
    person.press_data(sent.message_id, "u")
    eventually(
        lambda: toast_shown(person, f"Already sent. Its reference: {reference}"),
        what="the stale press answered",
    )
    assert len(cases(desk_bot)) == 1

    person.press_data(sent.message_id, "a")
    eventually(lambda: prompt_of(person).message_id > sent.message_id, what="the rest asked")
    resumed = prompt_of(person)  # a new message: the confirmation with its reference stays
    confirmation = next(m for m in person.bot_messages() if m.message_id == sent.message_id)
    assert reference in confirmation.visible_text
    assert "u" not in payloads(resumed)  # sent already: no second Send now
    review = until(person, "en", is_review)
    assert "u" not in payloads(review)
    done = press(person, review, "S")
    assert f"added to your request {reference}" in person.bot_messages()[-1].visible_text, done
    volunteer.wait_for_text("answered more questions")

    case_view = command(volunteer, "/case", args=reference, expect=MARKER)
    assert "priority 1" in case_view.visible_text
    assert cases(desk_bot) == [(reference, 1, "taken")]

    async def audit(services: Services) -> list[str]:
        async with services.sessions() as db:
            return list((await db.scalars(select(AuditEvent.action))).all())

    assert "answers_completed" in desk_bot.run(audit)


def test_send_now_from_the_review_in_russian_and_cancel_keeps_the_case(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    volunteer = join_as_volunteer(api, admin, 5560003)
    person = api.user(5560101, language_code="ru")

    to_send_now(person, "ru")
    review = until(person, "ru", is_review)
    assert "🚨 Отправить сейчас" in review.button_texts
    sent = press(person, review, "u")
    assert "отправлена как срочная" in sent.visible_text
    assert sent.button_texts == ["Ответить на остальные"]
    found = REFERENCE.search(sent.visible_text)
    assert found is not None
    reference = found.group(0)
    volunteer.wait_for_text(f"New case {reference}")
    command(volunteer, "/take", args=reference, expect=MARKER)  # all answered before sending

    person.press_data(sent.message_id, "a")
    eventually(lambda: prompt_of(person).message_id > sent.message_id, what="the rest asked")
    confirm = act(person, lambda: person.send_command("/cancel"))
    assert reference in confirm.visible_text
    press(person, confirm, "x|y")
    assert reference in person.bot_messages()[-1].visible_text
    assert cases(desk_bot) == [(reference, 1, "taken")]  # /cancel withdraws nothing sent


def test_a_redelivered_send_now_makes_no_second_case(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    with BotThread(webhook_settings(make_settings)) as runner:
        person = api.user(5560102, language_code="en")
        offered = to_send_now(person, "en")
        sent = press(person, offered, "u")
        assert "sent as urgent" in sent.visible_text
        presses: list[dict[str, Any]] = []

        def accepted() -> bool:
            presses[:] = [
                u
                for u in api.delivered_updates()
                if (u.get("callback_query") or {}).get("data") == "u"
            ]
            return bool(presses)

        eventually(accepted, what="the Send now press accepted by the webhook")
        update = presses[0]
        redeliver_and_wait(api, update["update_id"])
        found = REFERENCE.search(sent.visible_text)
        assert found is not None
        command(person, "/status", expect=found.group(0))
        assert len(cases(runner)) == 1
        assert rows(runner, Case) == 1


def answers_of(bot: BotThread, reference: str) -> dict[str, Any]:
    async def read(services: Services) -> dict[str, Any]:
        async with services.sessions() as db:
            case = await db.scalar(select(Case).where(Case.reference == reference))
            assert case is not None
            return case_answers(services.cipher, case)

    return bot.run(read)  # type: ignore[no-any-return]


def test_database_away_at_send_now_sends_it_later_at_priority_1(
    api: LocalBotApi, make_settings: SettingsFactory, redis_url: str
) -> None:
    person = api.user(5560103, language_code="en")
    settings = make_settings(redis_url=redis_url, outbox_retry_seconds=0.3)
    with BotThread(settings) as runner:
        offered = to_send_now(person, "en")
        runner.run(_break_database)
        kept = press(person, offered, "u")
        assert "could not store your request right now" in kept.visible_text
        assert cases(runner) == []
        runner.run(_mend_database)
        sent = person.wait_for_text("Your request has now been sent")
        found = REFERENCE.search(sent.visible_text)
        assert found is not None
        assert cases(runner) == [(found.group(0), 1, "waiting")]


def test_database_away_when_the_rest_is_sent_adds_it_later_to_the_same_case(
    api: LocalBotApi, make_settings: SettingsFactory, redis_url: str
) -> None:
    person = api.user(5560104, language_code="en")
    settings = make_settings(redis_url=redis_url, outbox_retry_seconds=0.3)
    with BotThread(settings) as runner:
        sent = press(person, to_send_now(person, "en"), "u")
        found = REFERENCE.search(sent.visible_text)
        assert found is not None
        reference = found.group(0)
        person.press_data(sent.message_id, "a")
        eventually(lambda: prompt_of(person).message_id > sent.message_id, what="the rest asked")
        review = until(person, "en", is_review)
        runner.run(_break_database)
        kept = press(person, review, "S")
        assert "could not store your request right now" in kept.visible_text
        runner.run(_mend_database)
        person.wait_for_text(f"Your request has now been sent. Its reference: {reference}")
        assert cases(runner) == [(reference, 1, "waiting")]
        assert MARKER in str(answers_of(runner, reference))
