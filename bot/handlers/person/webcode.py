"""`/web`: a one-time code to continue the person's open request on the web door
(`casework.webcodes`), for someone about to be cut off from Telegram."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import BotContext
from bot.handlers.common import PRIVATE, person_of, reply


def register(app: Application) -> None:
    app.add_handler(CommandHandler("web", on_web, filters=PRIVATE))


async def on_web(update: Update, context: BotContext) -> None:
    """The code for their open request, or that they have none (in the language of /status)."""
    person = person_of(update)
    minted = await context.services.followup.web_code(person)
    if minted is None:
        language = context.engine.suggest_language(person.client_language)
        status = await context.services.followup.status(person, language)
        await reply(update, context, status.language, "continue-web-none")
        return
    await reply(update, context, minted.language, "continue-web-code", code=minted.code,
                reference=minted.reference)  # fmt: skip
