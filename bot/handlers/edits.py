"""Edited messages: an edited questionnaire answer or follow-up replaces the stored text; any
other edit is never taken as a new message, and the person is told that it changes nothing.

Telegram sends an `edited_message` when a person edits a message they sent. A text message the
bot took as the answer to a questionnaire question is remembered (its id and the question, for
48 hours, keyed on the pseudonym, see storage/editlog.py); while that questionnaire is not sent
yet, an edit of the message replaces the answer, and the person is told so. A message added to
an open request is remembered the same way (with the id of its case entry): an edit replaces
the entry's text (encrypted under the case's key, as before), and the volunteer who holds the
case and was shown the message gets the edited text as a new message marked as an edit (their
copy of the first text is not changed). Any other edit (a command, an answer whose
questionnaire was already sent, a message to a closed request) changes nothing the bot or a
volunteer has, and the person gets a short note saying so and how to correct or erase instead.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, filters

from bot.context import BotContext
from bot.delivery import deliver
from bot.handlers.common import person_of, reply
from bot.logs import describe
from bot.services import Services
from casework import relay
from storage import cases, persons
from storage.editlog import (
    EditLog,
    MemoryEditLog,
    RedisEditLog,
    find_person_entry,
    replace_person_entry,
)
from storage.unavailable import StateUnavailable

log = logging.getLogger(__name__)

ANSWER = "answer:"
ENTRY = "entry:"


def register(app: Application) -> None:  # type: ignore[type-arg]
    services: Services = app.bot_data["services"]
    app.bot_data["edit_log"] = (
        RedisEditLog(services.redis) if services.redis is not None else MemoryEditLog()
    )
    # Group -1: before the commands and catch-alls, which would take an edit for a new message.
    app.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.ChatType.PRIVATE, on_edit),
        group=-1,
    )
    # Group 1: after the handlers, to see what a new text message became.
    app.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND,
            remember_answer,
        ),
        group=1,
    )


def _edit_log(context: BotContext) -> EditLog:
    return context.application.bot_data["edit_log"]  # type: ignore[no-any-return]


async def remember_answer(update: Update, context: BotContext) -> None:
    """If this message is now the answer to a text question of the draft, remember that."""
    message = update.message
    if message is None or message.text is None:
        return
    text = message.text.strip()
    person = person_of(update)
    if not text:
        return
    async with context.conversations.turn(person) as turn:
        session = turn.session
        steps = context.engine.spec.steps
        answered = [
            step_id
            for step_id, answer in (session.answers.items() if session is not None else ())
            if step_id in steps and steps[step_id].kind == "text" and answer == text
        ]
    target = ANSWER + answered[0] if answered else None
    if session is None:
        entry_id = await _added_to_open_case(context, turn.owner, text)
        target = ENTRY + entry_id if entry_id is not None else None
    if target is not None:
        try:
            await _edit_log(context).remember(turn.owner, message.message_id, target)
        except StateUnavailable as error:
            log.warning("a message id not remembered for edits: %s", describe(error))


async def _added_to_open_case(context: BotContext, owner: str, text: str) -> str | None:
    services = context.services
    async with services.lookups() as db:
        row = await persons.find_person(db, owner)
        case = await cases.latest_open_case_of_person(db, row.id) if row is not None else None
        if case is None:
            return None
        return await find_person_entry(db, services.cipher, case, text)


async def _edit_entry(context: BotContext, entry_id: str, text: str) -> bool:
    """Replace a follow-up's stored text; the volunteer who was shown it gets the edit."""
    services = context.services
    async with services.sessions() as db, db.begin():
        found = await replace_person_entry(db, services.cipher, entry_id, text)
        if found is None:
            return False
        case, entry = found
        passed = await relay.edited_to_holder(
            db, services.cipher, services.translator, case, entry.delivered, text
        )
    if passed.holder is not None:
        await deliver(context.bot, services, passed.holder, passed.sends)
    return True


async def on_edit(update: Update, context: BotContext) -> None:
    message = update.edited_message
    if message is None:
        raise ApplicationHandlerStop
    person = person_of(update)
    owner = context.conversations.owner(person)
    try:
        target = await _edit_log(context).target(owner, message.message_id)
    except StateUnavailable as error:
        log.warning("edit log unavailable: %s", describe(error))
        target = None
    text = (message.text or "").strip()
    if target is not None and target.startswith(ENTRY) and text:
        async with context.conversations.turn(person) as turn:
            language = turn.language
        applied = await _edit_entry(context, target.removeprefix(ENTRY), text)
        await reply(
            update, context, language, "edit-entry-applied" if applied else "edit-not-applied"
        )
        raise ApplicationHandlerStop
    async with context.conversations.turn(person) as turn:
        language = turn.language
        key = "edit-not-applied"
        if target is not None and target.startswith(ANSWER) and turn.session is not None:
            step_id = target.removeprefix(ANSWER)
            step = context.engine.spec.steps.get(step_id)
            answers = turn.session.answers
            if step is not None and step_id in answers and text:
                if len(text) <= step.max_length:
                    # A new dict: the turn saves what differs from the draft it loaded.
                    turn.session.answers = {**answers, step_id: text}
                    key = "edit-applied"
                else:
                    key = "edit-too-long"
    await reply(update, context, language, key)
    raise ApplicationHandlerStop
