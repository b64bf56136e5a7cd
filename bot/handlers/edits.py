"""Edited messages: an edited questionnaire answer replaces the answer; anything else is never
taken as a new message, and the person is told that the edit changes nothing.

Telegram sends an `edited_message` when a person edits a message they sent. A text message the
bot took as the answer to a questionnaire question is remembered (its id and the question, for
48 hours, keyed on the pseudonym, see storage/editlog.py); while that questionnaire is not sent
yet, an edit of the message replaces the answer, and the person is told so. Any other edit (a
message added to a sent request, a command, an answer whose questionnaire was already sent)
changes nothing the bot or a volunteer has, and the person gets a short note saying so and how
to correct or erase instead.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, filters

from bot.context import BotContext
from bot.handlers.common import person_of, reply
from bot.logs import describe
from bot.services import Services
from storage.editlog import EditLog, MemoryEditLog, RedisEditLog
from storage.state import StateUnavailable

log = logging.getLogger(__name__)

ANSWER = "answer:"


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
    async with context.conversations.turn(person) as turn:
        session = turn.session
        if session is None:
            return
        steps = context.engine.spec.steps
        answered = [
            step_id
            for step_id, answer in session.answers.items()
            if step_id in steps and steps[step_id].kind == "text" and answer == text and text
        ]
    if answered:
        try:
            await _edit_log(context).remember(turn.owner, message.message_id, ANSWER + answered[0])
        except StateUnavailable as error:
            log.warning("an answer's message id not remembered: %s", describe(error))


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
    async with context.conversations.turn(person) as turn:
        language = turn.language
        key = "edit-not-applied"
        if target is not None and target.startswith(ANSWER) and turn.session is not None:
            step_id = target.removeprefix(ANSWER)
            step = context.engine.spec.steps.get(step_id)
            text = (message.text or "").strip()
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
