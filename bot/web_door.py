"""What the web door needs of Telegram: the desk's bot, to tell volunteers of web cases and to
delete what a web `/forget` leaves in their chats. One pair for `intake-bot web` and for the
web door `intake-bot run` serves beside the bot (INTAKE_WEB_LISTEN)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from telegram import Bot
from telegram.error import TelegramError

from bot.delivery import delete_batches, remove_copies, send_quietly
from bot.logs import describe
from bot.services import Services
from casework.outgoing import Message
from storage.copies import Copy
from web.app import Announce, Remove

log = logging.getLogger(__name__)


def telegram_for_the_door(bot: Bot, services: Services) -> tuple[Announce, Remove]:
    """The door's `announce` and `remove`. The bot is initialized on first use, not at start
    (a no-op once done): the web door must come up while Telegram is away."""

    async def ready(what: str) -> bool:
        try:
            await bot.initialize()
        except TelegramError as error:
            log.warning("%s: %s", what, describe(error))
            return False
        return True

    async def announce(messages: Sequence[Message]) -> None:
        if await ready("desk notice not delivered"):
            await send_quietly(bot, messages, "desk notice")

    async def remove(found: Sequence[Copy], deletions: Mapping[int, Sequence[int]]) -> None:
        """A web /forget: what the bot's /forget deletes in Telegram (`bot.cleanup`)."""
        if not await ready("messages of an erased case not deleted"):
            return
        await remove_copies(bot, services, found)
        for chat_id, message_ids in deletions.items():
            await delete_batches(bot, chat_id, message_ids)

    return announce, remove
