"""The flood limit and the memory of message ids, ahead of every other handler.

Runs before every other handler (group -2): each private message is counted against the
person's flood budget and its id is remembered, for 48 hours only, so that the chat can be
deleted on both sides when the person asks or when the questionnaire is sent (`bot/cleanup.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.context import BotContext
from bot.handlers.common import person_of
from bot.logs import describe
from storage.unavailable import StateUnavailable

log = logging.getLogger(__name__)


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, on_any_update), group=-2)


async def on_any_update(update: Update, context: BotContext) -> None:
    """Count the update against the flood budget; remember the message id for deletion."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != "private":
        return
    services = context.services
    owner = services.turns.owner(person_of(update))
    message = update.message
    # Fail closed: when Redis refuses (down, or full under `noeviction`) the update is not
    # taken, and the person is told calmly to send it again shortly. Letting it through would
    # lift the flood limit for everyone and leave a message id that erasure cannot find.
    try:
        if message is not None:
            await services.messages.remember(owner, message.message_id)
        decision = await services.flood.hit(owner)
    except StateUnavailable as error:
        log.warning("flood limit or message ids unavailable: %s", describe(error))
        await _try_again_shortly(update, context, chat.id, user.language_code)
        raise ApplicationHandlerStop from None
    if decision.allowed:
        return
    if decision.first_refusal:
        language = context.engine.suggest_language(user.language_code)
        text = context.renderer.text(language, "too-fast")
        if update.callback_query is not None:
            await quietly(update.callback_query.answer(text))
        else:
            await quietly(context.bot.send_message(chat.id, text))
    elif update.callback_query is not None:
        await quietly(update.callback_query.answer())
    raise ApplicationHandlerStop


async def _try_again_shortly(
    update: Update, context: BotContext, chat_id: int, language_code: str | None
) -> None:
    text = context.renderer.text(context.engine.suggest_language(language_code), "error-try-again")
    if update.callback_query is not None:
        await quietly(update.callback_query.answer())
    await quietly(context.bot.send_message(chat_id, text))


async def quietly(awaitable: Awaitable[object]) -> None:
    """A notice that may fail (the person blocked the bot): logged, never raised."""
    try:
        await awaitable
    except TelegramError as error:
        log.warning("flood notice not delivered: %s", describe(error))
