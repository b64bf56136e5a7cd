"""Edited messages: never taken as new answers, never silently ignored.

Telegram sends an `edited_message` when a person edits a message they sent. The bot does not
apply edits: what it received first is what it stored (an answer, or a message added to a
request). Rather than let the person believe an edit took a name out, the bot says so, once
per edit, in the person's language, and says how to correct or erase instead.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, filters

from bot.context import BotContext
from bot.handlers.common import person_of, reply


def register(app: Application) -> None:  # type: ignore[type-arg]
    # Group -1: before the commands and catch-alls, which would take an edit for a new message.
    app.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.ChatType.PRIVATE, on_edit),
        group=-1,
    )


async def on_edit(update: Update, context: BotContext) -> None:
    async with context.conversations.turn(person_of(update)) as turn:
        language = turn.language
    await reply(update, context, language, "edit-not-applied")
    raise ApplicationHandlerStop
