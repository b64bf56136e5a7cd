"""The desk bot of sealed mode: volunteers only.

Its desk commands are those of the single bot (`bot.handlers.desk`); what is left is here.
A volunteer's /start or /help shows the desk's help, a Telegram reply to a relayed message
goes to the person, other text gets the usual hint. Anyone else gets one neutral line for
whatever they send, in the language their app reports, and nothing about them is stored.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler

from bot.context import BotContext
from bot.handlers.common import PRIVATE, on_stranger, person_of, reply
from bot.handlers.desk import talk

COMMANDS = ("help",)
"""The desk bot's menu (shown to anyone who opens it): nothing that tells what it is."""


def register_catch_alls(app: Application) -> None:
    """After the desk commands: /start and /help, texts, everything else."""
    app.add_handler(CommandHandler(["start", "help"], on_help, filters=PRIVATE))
    app.add_handler(MessageHandler(PRIVATE, on_message))
    app.add_handler(CallbackQueryHandler(on_button))


async def on_help(update: Update, context: BotContext) -> None:
    language = await context.services.desk.language_of(person_of(update))
    if language is None:
        await on_stranger(update, context)
        return
    await reply(update, context, language, "desk-help")


async def on_message(update: Update, context: BotContext) -> None:
    if await talk.on_relayed_reply(update, context):
        return
    if await talk.on_stray_text(update, context):
        return
    await on_stranger(update, context)


async def on_button(update: Update, context: BotContext) -> None:
    """The desk bot shows no buttons: one pressed is from elsewhere (an old message)."""
    if update.callback_query is not None:
        await update.callback_query.answer()
