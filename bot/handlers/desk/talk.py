"""/reply, /canned and Telegram replies to relayed messages: words for a case's person,
relayed by the bot; a volunteer's stray text gets a hint instead of starting a request."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.delivery import deliver
from bot.handlers.common import person_of, reply
from bot.handlers.desk.command import Command, DeskHandler, usage
from casework.desk import talk
from casework.desk.access import NotAVolunteer, Work


async def on_reply(work: Work, command: Command) -> None:
    if len(command.words) < 2:
        raise usage(work, "/reply REF text")
    await talk.reply(work, command.words[0], command.rest(2))


async def on_canned(work: Work, command: Command) -> None:
    if not command.words:
        await talk.canned_list(work)
        return
    if len(command.words) != 2:
        raise usage(work, "/canned REF KEY")
    await talk.canned(work, command.words[0], command.words[1])


async def on_verify(work: Work, command: Command) -> None:
    if len(command.words) != 1:
        raise usage(work, "/verify REF")
    await talk.verify(work, command.words[0])


async def on_relayed_reply(update: Update, context: BotContext) -> bool:
    """A volunteer's reply (Telegram's reply feature) to a relayed message goes to the person."""
    message = update.effective_message
    if message is None or message.reply_to_message is None or not message.text:
        return False
    person = person_of(update)
    desk = context.services.desk
    try:
        async with desk.work(person, command_message_id=message.message_id) as work:
            replied = message.reply_to_message.message_id
            if not await talk.reply_to_relayed(work, replied, message.text):
                return False
            sends, me = work.sends, work.me
    except NotAVolunteer:
        return False
    await deliver(context.bot, context.services, me, sends)
    return True


async def on_stray_text(update: Update, context: BotContext) -> bool:
    """A volunteer's stray text is not a new request: remind them how to write to a person."""
    language = await context.services.desk.language_of(person_of(update))
    if language is None:
        return False
    await reply(update, context, language, "desk-text-hint")
    return True


COMMANDS: dict[str, DeskHandler] = {"reply": on_reply, "canned": on_canned, "verify": on_verify}
