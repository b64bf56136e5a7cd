"""Pieces every handler shares: who sent an update, sending, editing and replying, and the
commands everyone gets the same way (/help, an unknown command)."""

from __future__ import annotations

import contextlib
from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import filters

from bot.context import BotContext
from bot.render import Screen
from casework.people import Person

PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE


def person_of(update: Update) -> Person:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        raise ValueError("update without a user or chat")
    return Person(user_id=user.id, chat_id=chat.id, client_language=user.language_code)


async def on_help(update: Update, context: BotContext) -> None:
    person = person_of(update)
    async with context.turn(person) as turn:
        await reply(update, context, turn.language, "help")
    language = await context.services.desk.language_of(person)
    if language is not None:  # only volunteers learn that the desk exists
        await reply(update, context, language, "desk-help")


async def on_unknown_command(update: Update, context: BotContext) -> None:
    if context.services.role == "desk":  # sealed mode's desk bot: a stranger
        await on_stranger(update, context)
        return
    async with context.turn(person_of(update)) as turn:
        await reply(update, context, turn.language, "unknown-command")


async def on_stranger(update: Update, context: BotContext) -> None:
    """Sealed mode's desk bot, to someone who is not a volunteer: the same line whatever they
    sent (a desk command too), in the language their app reports; nothing is stored."""
    language = context.engine.suggest_language(person_of(update).client_language)
    await reply(update, context, language, "desk-bot-private")


async def send(update: Update, context: BotContext, screen: Screen) -> Message:
    chat = update.effective_chat
    assert chat is not None
    return await context.bot.send_message(chat.id, screen.text, reply_markup=screen.keyboard)


async def reply(
    update: Update, context: BotContext, language: str, key: str, **args: Any
) -> Message:
    return await send(update, context, Screen(context.renderer.text(language, key, **args)))


async def edit(context: BotContext, query: CallbackQuery, screen: Screen) -> None:
    try:
        await query.edit_message_text(screen.text, reply_markup=screen.keyboard)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise


async def strip_keyboard(context: BotContext, chat_id: int, message_id: int) -> None:
    """Take the buttons off an old question so they cannot be pressed by mistake later."""
    # Already gone, too old, or never had buttons: then there is nothing to take away.
    with contextlib.suppress(BadRequest, Forbidden):
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
