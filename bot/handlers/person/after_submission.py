"""After a request is sent: the person's further messages, /status, and reopening.

The person's messages are stored in their open case (encrypted) and copied, as text, to the
volunteer who holds it; neither side ever sees the other's Telegram account.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.ext import Application, CommandHandler, MessageHandler

from bot import callback_data as cb
from bot.context import BotContext
from bot.delivery import deliver, send_quietly, to_person
from bot.handlers.common import PRIVATE, edit, person_of, reply, send
from bot.logs import describe
from bot.render import Screen
from casework.submission import STORAGE_AWAY
from casework.turns import Turn

log = logging.getLogger(__name__)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("status", on_status, filters=PRIVATE))
    # After whatever answered the message (group 0) and `edits.remember_answer` (group 1: one
    # handler per group runs): the person has the phone in hand now.
    app.add_handler(MessageHandler(PRIVATE, deliver_held_replies), group=2)


async def deliver_held_replies(update: Update, context: BotContext) -> None:
    """Replies kept until this person wrote (`casework.checked_phone.held`): "N messages are
    waiting", then the messages. With the database away they simply wait for the next time."""
    try:
        messages = await context.services.followup.held_replies(person_of(update))
    except STORAGE_AWAY as error:
        log.warning("held replies not looked up: %s", describe(error))
        return
    await to_person(context.bot, messages)


async def on_status(update: Update, context: BotContext) -> None:
    person = person_of(update)
    language = context.engine.suggest_language(person.client_language)
    status = await context.services.followup.status(person, language)
    if status.status is None:
        await reply(update, context, status.language, "status-none")
        return
    text = context.renderer.text(
        status.language, f"status-{status.status}", reference=status.reference
    )
    await send(update, context, Screen(text))


async def offer_new_request(update: Update, context: BotContext, reference: str, lang: str) -> None:
    screen = context.renderer.choice(
        lang, "open-request", [("new-request", cb.encode(cb.NEW))], reference=reference
    )
    await send(update, context, screen)


async def add_to_open_case(update: Update, context: BotContext, text: str) -> bool:
    """Store a message in the person's open case and pass it on; False if there is none."""
    added = await context.services.followup.add_to_open_case(person_of(update), text)
    if added is None:
        return False
    if added.passed.holder is not None:
        await deliver(context.bot, context.services, added.passed.holder, added.passed.sends)
        await reply(update, context, added.language, "message-delivered")
    else:
        text = context.renderer.text(added.language, "message-added", reference=added.reference)
        await send(update, context, Screen(text))
        alerts = await context.services.notices.realert(added.case_id)
        await send_quietly(context.bot, alerts, "desk notice")
    return True


async def after_closed(update: Update, context: BotContext, turn: Turn, text: str) -> bool:
    """A message from someone whose latest request is closed: kept, and they choose what next
    (`Followup.after_closed`). False if they have no closed request."""
    closed = await context.services.followup.after_closed(person_of(update), turn, text)
    if closed is None:
        return False
    reference, language = closed
    screen = context.renderer.choice(
        language,
        "after-close-offer",
        [("reopen-request", cb.encode(cb.REOPEN, reference)), ("new-request", cb.encode(cb.NEW))],
        reference=reference,
    )
    await send(update, context, screen)
    return True


async def reopen_pressed(
    update: Update, context: BotContext, turn: Turn, query: CallbackQuery, reference: str
) -> None:
    """ "Reopen": the closed request goes back to the queue with what they wrote since."""
    services = context.services
    await query.answer()
    reopened = await services.followup.reopen(person_of(update), turn, reference)
    renderer = context.renderer
    if reopened.outcome == "gone":
        text = renderer.text(reopened.language, "no-draft")
    elif reopened.outcome == "blocked":
        text = renderer.text(reopened.language, "blocked")
    elif reopened.outcome == "not-closed":
        text = renderer.text(reopened.language, "reopen-not-closed", reference=reference)
    else:
        text = renderer.text(reopened.language, "reopened", reference=reference)
    await edit(context, query, Screen(text))
    if reopened.holder is not None:
        await deliver(context.bot, services, reopened.holder, reopened.to_holder)
    if reopened.case_id is not None:
        announcements = await services.notices.announce_new_case(reopened.case_id)
        await send_quietly(context.bot, announcements, "desk notice")
