"""The last line: log what failed without content, and tell the person calmly to retry."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.logs import describe

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    error = context.error
    if error is None:
        return
    log.error("update failed: %s", describe(error))
    context.services.metrics.errors.inc()
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    language = context.engine.suggest_language(user.language_code if user else None)
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):  # it may have been answered already
            await update.callback_query.answer()
    try:
        text = context.renderer.text(language, "error-try-again")
        await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError as follow_up:
        log.warning("could not tell the person about the failure: %s", describe(follow_up))
