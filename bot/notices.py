"""Two loops beside the bot that send what casework produces (with `bot.delivery`): urgent
cases escalated (`casework.notices`) and due reminders (`casework.desk.reminders`), every
INTAKE_ESCALATE_CHECK_SECONDS; deferred submissions retried (`casework.submission`).
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot

from bot.delivery import deliver, send_quietly
from bot.loops import every
from bot.services import Services
from casework.desk import reminders

log = logging.getLogger(__name__)


async def escalation_loop(
    bot: Bot, services: Services, interval: float, stopping: asyncio.Event
) -> None:
    """Runs until `stopping`; a failed round is logged (without content) and retried later."""
    await every(interval, lambda: escalate(bot, services), "escalation", log, stopping)


async def escalate(bot: Bot, services: Services) -> None:
    """One round (`Notices.escalate`); the tests call it directly after moving times back."""
    await send_quietly(bot, await services.notices.escalate(), "desk notice")
    await send_reminders(bot, services)


async def send_reminders(bot: Bot, services: Services) -> int:
    """One round of `/remind`: every due reminder to its volunteer, once (taken out of the
    database before sending: a crash in between loses it rather than sending it twice); its
    message is a copy of the case's content, deleted with the case. How many went."""
    due = await reminders.due(services.desk)
    for volunteer, message in due:
        await deliver(bot, services, volunteer, [message])
    return len(due)


async def deferred_loop(
    bot: Bot, services: Services, interval: float, stopping: asyncio.Event
) -> None:
    """Submit questionnaires deferred while the database was away; tell each person when done."""
    await every(
        interval, lambda: submit_deferred(bot, services), "deferred submissions", log, stopping
    )


async def submit_deferred(bot: Bot, services: Services) -> int:
    """One round: every deferred submission the database now takes; how many went."""
    sent = 0
    for owner in await services.submission.deferred.members():
        messages = await services.submission.submit_deferred(owner)
        if messages is None:
            continue
        await send_quietly(bot, messages, "desk notice")
        sent += 1
    return sent
