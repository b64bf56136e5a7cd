"""The person's answer to a codeword check (`casework.verification`): compared with the kept
hash, never stored, and deleted from the chat at once, like the codeword at the intake."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import BotContext
from bot.delivery import delete_batches, send_quietly
from bot.handlers.common import person_of, reply
from bot.logs import describe
from casework.submission import STORAGE_AWAY

log = logging.getLogger(__name__)


async def answer_check(update: Update, context: BotContext, text: str) -> bool:
    """False when no check waits for this person: the message is then an ordinary one. With
    the database away no check can be answered (nor asked), and the message goes on as an
    ordinary one: a questionnaire, whose drafts live in Redis, goes on working."""
    try:
        answered = await context.services.verification.answer(person_of(update), text)
    except STORAGE_AWAY as error:
        log.warning("codeword check not looked up: %s", describe(error))
        return False
    if answered is None:
        return False
    message = update.effective_message
    if message is not None:
        await delete_batches(context.bot, message.chat.id, [message.message_id])
    await reply(update, context, answered.language, f"codeword-{answered.outcome}",
                left=answered.left)  # fmt: skip
    await send_quietly(context.bot, answered.to_desk, "desk notice")
    return True
