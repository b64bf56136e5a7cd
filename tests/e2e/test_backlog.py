"""Long polling stops fetching while the backlog is full (INTAKE_UPDATES_BACKLOG), so a surge
waits at Telegram and not in the bot's memory, and nothing fetched is lost or stuck."""

from __future__ import annotations

import asyncio

from bot.backlog import BacklogQueue
from bot.inprocess import BotThread
from bot.recording_bot import RecordingBot
from localapi import LocalBotApi
from tests.e2e.conftest import SettingsFactory


def test_no_update_is_fetched_while_the_backlog_is_full(api: LocalBotApi) -> None:
    async def scenario() -> tuple[int, int]:
        backlog = BacklogQueue(limit=1)
        bot = RecordingBot(token=api.token, base_url=api.base_url)
        bot.set_backlog(backlog.room)
        async with bot:
            backlog.put_nowait("an update being handled")
            fetch = asyncio.create_task(bot.get_updates(timeout=0))
            await asyncio.sleep(0.5)
            while_full = len(api.calls("getUpdates"))
            backlog.task_done()  # its handlers have finished
            await asyncio.wait_for(fetch, 10)
            return while_full, len(api.calls("getUpdates"))

    assert asyncio.run(scenario()) == (0, 1)


def test_a_surge_through_a_backlog_of_one_is_answered_in_full(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    people = [api.user(5590000 + n, language_code="en") for n in range(12)]
    with BotThread(make_settings(updates_backlog=1)):
        for person in people:
            person.send_command("/start")
        for person in people:
            person.wait_for_text("Choose your language", timeout=30)
            person.press("English")
        for person in people:
            person.wait_for_text("not end-to-end encrypted", timeout=30)
