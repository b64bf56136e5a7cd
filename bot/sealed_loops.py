"""The two loops of sealed mode, one per bot.

The desk bot acts on the intake's signals (`casework.desk.inbox`) and tells volunteers of
messages the intake could not deliver; the intake bot sends the desk's messages to people
(`casework.deliveries`) in the order they were queued, and deletes each once sent. Both wait
only between rounds: a process stopped or down for a while catches up when it is back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.delivery import deliver, remove_copies, send_quietly
from bot.logs import describe
from bot.loops import every
from bot.services import Services
from bot.telegram_limits import split_message
from casework import copies
from storage import wakeups
from storage.crypto import DecryptionError

log = logging.getLogger(__name__)

DELIVERY_LOCK = "sealed-deliveries"
"""Held while one intake process sends, so that messages go in order however many run."""


async def inbox_loop(
    bot: Bot, services: Services, interval: float, stopping: asyncio.Event
) -> None:
    """Every `interval`, and at once when the intake notifies (PostgreSQL)."""
    await _listening(bot, services, interval, stopping, wakeups.SIGNALS, read_inbox, "desk inbox")


async def _listening(
    bot: Bot,
    services: Services,
    interval: float,
    stopping: asyncio.Event,
    channel: str,
    job: Callable[[Bot, Services, asyncio.Event], Awaitable[int]],
    what: str,
) -> None:
    wake = asyncio.Event()
    listener = wakeups.Listener(services.database, channel, wake)

    async def round_() -> None:
        await listener.ensure()  # again after a lost connection
        await job(bot, services, stopping)

    try:
        await every(interval, round_, what, log, stopping, first_now=True, wake=wake)
    finally:
        await listener.aclose()


async def read_inbox(bot: Bot, services: Services, stopping: asyncio.Event | None = None) -> int:
    """One round on the desk: every waiting signal acted on, then the failed deliveries
    reported. How many signals there were."""
    assert services.inbox is not None
    assert services.deliveries is not None
    acted = 0
    while stopping is None or not stopping.is_set():
        signals = await services.inbox.pending()
        if not signals:
            break
        for signal in signals:
            try:
                done = await services.inbox.act(signal)
            except (DecryptionError, LookupError, ValueError) as error:
                # One that can never be acted on (a row that does not open) must not hold
                # back every later one: it is dropped, and said so (without content).
                log.warning("a desk signal was dropped: %s", describe(error))
                await services.inbox.done(signal)
                continue
            if done.remove_erased_copies:
                await remove_copies(bot, services, await copies.of_erased_cases(services.sessions))
            if done.volunteer is not None:
                await deliver(bot, services, done.volunteer, done.sends)
            else:
                people = [m for m in done.sends if m.to_person]
                if people:
                    await services.deliveries.queue(people, None)
                others = [m for m in done.sends if not m.to_person]
                await send_quietly(bot, others, "desk notice")
            await services.inbox.done(signal)
            acted += 1
    await send_quietly(bot, await services.deliveries.failures(), "desk notice")
    return acted


async def delivery_loop(
    bot: Bot, services: Services, interval: float, stopping: asyncio.Event
) -> None:
    """Every `interval`, and at once when the desk notifies (PostgreSQL)."""
    await _listening(bot, services, interval, stopping, wakeups.DELIVERIES, send_deliveries,
                     "deliveries")  # fmt: skip


async def send_deliveries(
    bot: Bot, services: Services, stopping: asyncio.Event | None = None
) -> int:
    """One round on the intake: the waiting messages, oldest first; how many went. Telegram
    refusing one (the person blocked the bot) marks it failed for the desk; Telegram away
    ends the round, to be resumed from the same message; so does the bot stopping (between two
    messages, so none is cut off between being sent and being deleted)."""
    assert services.outbox is not None
    sent = 0
    async with services.turns.lock(DELIVERY_LOCK):
        while True:
            pending = await services.outbox.pending()
            if not pending:
                return sent
            for item in pending:
                if stopping is not None and stopping.is_set():
                    return sent
                try:
                    for chunk in split_message(item.text):
                        await bot.send_message(
                            item.chat_id, chunk, disable_notification=item.quiet or None
                        )
                except (Forbidden, BadRequest) as error:
                    log.warning("a message from the desk was not delivered: %s", describe(error))
                    await services.outbox.failed(item.id)
                    continue
                except TelegramError as error:
                    log.warning("deliveries paused: %s", describe(error))
                    return sent
                await services.outbox.sent(item.id)
                sent += 1
            if services.compactor is not None:  # sent ones leave the table's files too
                services.compactor.request(database=False, redis=False, deliveries=True)
