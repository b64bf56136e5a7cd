"""A press answered in the webhook's HTTP answer (bot.webhook_reply), over the real bot.

The local Bot API runs the method a webhook answer carries, as Telegram does, and records the
press answers it applied; its call log holds only real HTTP calls, so "no answerCallbackQuery
call" there means every press cost one outgoing call fewer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes

from bot.inprocess import BotThread
from bot.recording_bot import RecordingBot
from bot.webhook import WebhookServer
from localapi import FakeUser, LocalBotApi
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import submit_request
from tests.e2e.test_hostile_traffic import redeliver_and_wait, webhook_settings
from tests.support.people import command, eventually, tap


def delivered_presses(api: LocalBotApi, person: FakeUser) -> list[dict[str, Any]]:
    return [
        update["callback_query"]
        for update in api.delivered_updates()
        if (update.get("callback_query") or {}).get("from", {}).get("id") == person.id
    ]


def settled(api: LocalBotApi, person: FakeUser) -> list[dict[str, Any]]:
    """The person's presses, once the webhook accepted every update (one at a time, in order;
    a method an answer carried has run by the time its update counts as accepted)."""
    eventually(lambda: not api.pending_updates(), what="every update accepted by the webhook")
    return delivered_presses(api, person)


def test_every_press_is_answered_in_the_webhook_answer_and_by_no_call(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    with BotThread(webhook_settings(make_settings)):
        person = api.user(5570100, language_code="en")
        reference = submit_request(person)
        # A button no longer valid, answered with a toast: an answer's text rides along too.
        person.press_data(person.bot_messages()[-1].message_id, "no-such|button")
        command(person, "/status", expect=reference)
        presses = settled(api, person)
        count = len(presses)
        assert count > 10
        answers = person.callback_answers()
        answered = [answer["callback_query_id"] for answer in answers]
        assert answered == [press["id"] for press in presses]  # each once, in order
        assert answers[-1]["text"], answers[-1]
        assert api.calls("answerCallbackQuery") == []
        replies = api.webhook_replies()
        assert [(r.method, r.status, r.applied) for r in replies] == [
            ("answerCallbackQuery", 200, True)
        ] * count
        # Telegram delivers a press again (it did not see the answer): the bot ran it already,
        # so it answers it emptily, in case its first answer was lost with that HTTP answer.
        redeliver_and_wait(api, _update_id_of(api, presses[-1]["id"]))
        again = api.webhook_replies()[-1]
        assert (again.method, again.params["callback_query_id"]) == (
            "answerCallbackQuery",
            presses[-1]["id"],
        )
        assert again.status == 400  # answered already: Telegram refuses and drops it
        assert api.calls("answerCallbackQuery") == []
        assert person.callback_answers() == answers


def _update_id_of(api: LocalBotApi, query_id: str) -> int:
    for update in api.delivered_updates():
        if (update.get("callback_query") or {}).get("id") == query_id:
            return int(update["update_id"])
    raise AssertionError("press not delivered")


def test_long_polling_still_answers_a_press_by_a_call(api: LocalBotApi, bot: BotThread) -> None:
    person = api.user(5570101, language_code="en")
    command(person, "/start", expect="Choose your language")
    query_id = person.press("English")
    eventually(lambda: bool(person.callback_answers()), what="the press answered")
    # The answer comes before the next screen: wait for that screen before pressing on it.
    eventually(
        lambda: any("not end-to-end encrypted" in m.visible_text for m in person.bot_messages()),
        what="the consent screen",
    )
    assert [c.params["callback_query_id"] for c in api.calls("answerCallbackQuery")] == [query_id]
    assert api.webhook_replies() == []
    tap(person, "I understand, continue", expect="Who needs help?")


# ------------------------------------------- the seam itself, with handlers written for it

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def a_press(update_id: int, data: str = "any") -> dict[str, Any]:
    person = {"id": 5570200, "is_bot": False, "first_name": "A"}
    query = {"id": f"query-{update_id}", "from": person, "chat_instance": "1", "data": data}
    return {"update_id": update_id, "callback_query": query}


async def answers_of(api: LocalBotApi, handler: Handler, *payloads: dict[str, Any]) -> list[Any]:
    """What the webhook answers for each update, with `handler` on every press."""
    bot = RecordingBot(token=api.token, base_url=api.base_url)
    app = ApplicationBuilder().bot(bot).build()
    app.add_handler(CallbackQueryHandler(handler))
    async with app:
        server = WebhookServer(app, "secret")
        results = [await server.handle(payload) for payload in payloads]
        await asyncio.sleep(0.3)  # a task a handler left behind has finished by now
        await server.stop()
    return results


async def test_the_first_answer_rides_a_second_is_no_call(api: LocalBotApi) -> None:
    async def twice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("first", show_alert=True)
        await update.callback_query.answer("second")  # e.g. the error handler's, after a crash

    (answer,) = await answers_of(api, twice, a_press(1))
    body = {"method": "answerCallbackQuery", "callback_query_id": "query-1", "text": "first",
            "show_alert": True}  # fmt: skip
    assert answer == (200, body)
    assert api.calls() == [api.calls("getMe")[0]]  # nothing but python-telegram-bot's getMe


async def test_a_press_no_handler_answered_is_answered_and_a_late_answer_is_a_call(
    api: LocalBotApi,
) -> None:
    async def later(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        query = update.callback_query

        async def answer() -> None:
            await asyncio.sleep(0.1)  # after the webhook answered: the slot is closed
            await query.answer("late")

        context.application.create_task(answer())

    first, again = await answers_of(api, later, a_press(2), a_press(2))
    empty = {"method": "answerCallbackQuery", "callback_query_id": "query-2"}
    assert first == (200, empty)  # nobody answered in time: an empty answer, not a spinner
    assert again == (200, empty)  # handled already (dedupe): answered again, in case
    (late,) = api.calls("answerCallbackQuery")
    assert late.params == {"callback_query_id": "query-2", "text": "late"}
