"""The in-flight gauge: operators read a backlog from it, and tests wait on it for a bot to
finish what a person's reply does not show (handlers of later groups)."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.metrics import Metrics
from bot.update_processor import PerPersonUpdateProcessor


def _update(update_id: int, user_id: int) -> Update:
    user = User(id=user_id, first_name="x", is_bot=False)
    chat = Chat(id=user_id, type="private")
    message = Message(message_id=update_id, date=None, chat=chat, from_user=user)  # type: ignore[arg-type]
    return Update(update_id=update_id, message=message)


def test_an_update_counts_as_in_flight_until_its_last_handler_returns() -> None:
    async def scenario() -> list[float]:
        metrics = Metrics()
        processor = PerPersonUpdateProcessor(metrics.in_flight)
        release = asyncio.Event()
        seen = [metrics.updates_in_flight()]

        async def handlers() -> None:
            await release.wait()

        first = asyncio.create_task(processor.do_process_update(_update(1, 7), handlers()))
        second = asyncio.create_task(processor.do_process_update(_update(2, 7), handlers()))
        await asyncio.sleep(0.01)
        seen.append(metrics.updates_in_flight())  # one running, one waiting for its person
        release.set()
        await asyncio.gather(first, second)
        seen.append(metrics.updates_in_flight())
        return seen

    assert asyncio.run(scenario()) == [0.0, 2.0, 0.0]
