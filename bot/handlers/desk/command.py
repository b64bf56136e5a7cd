"""One desk command: resolve the volunteer, run it, send what it produced.

A person who is not an active volunteer gets, for every desk command, exactly the reply an
unknown command gets, and nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import Update

from bot.context import BotContext
from bot.delivery import deliver
from bot.handlers.common import on_unknown_command, person_of
from bot.telegram_limits import split_message
from casework.desk.access import NotAVolunteer, Refused, Work


@dataclass(frozen=True)
class Command:
    """The words after the command, and its whole text (line breaks kept)."""

    words: list[str]
    text: str

    def rest(self, skip: int) -> str:
        """The command's text after its first `skip` words, with the line breaks kept."""
        parts = self.text.split(maxsplit=skip)
        return parts[skip].strip() if len(parts) > skip else ""


DeskHandler = Callable[[Work, Command], Awaitable[None]]


def usage(work: Work, text: str) -> Refused:
    return work.refuse("desk-usage", usage=text)


def desk_command(
    handler: DeskHandler,
) -> Callable[[Update, BotContext], Coroutine[Any, Any, None]]:
    async def run(update: Update, context: BotContext) -> None:
        person = person_of(update)
        message = update.effective_message
        command = Command(list(context.args or []), (message.text if message else None) or "")
        message_id = message.message_id if message is not None else None
        try:
            async with context.services.desk.work(person, command_message_id=message_id) as work:
                await handler(work, command)
                sends, me = work.sends, work.me
        except NotAVolunteer:
            await on_unknown_command(update, context)
            return
        except Refused as refusal:
            for chunk in split_message(refusal.text):
                await context.bot.send_message(person.chat_id, chunk)
            return
        await deliver(context.bot, context.services, me, sends)

    run.__name__ = handler.__name__
    return run
