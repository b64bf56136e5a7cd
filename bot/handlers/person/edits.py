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

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, filters

from bot.context import BotContext
from bot.delivery import deliver
from bot.handlers.common import person_of, reply
from casework.edits import ANSWER, ENTRY


def register(app: Application) -> None:
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


async def remember_answer(update: Update, context: BotContext) -> None:
    """If this message is now the answer to a text question of the draft, remember that."""
    message = update.message
    if message is None or message.text is None:
        return
    text = message.text.strip()
    person = person_of(update)
    if not text:
        return
    turn = context.last_turn  # what the handler of group 0 left, if it took a turn
    if turn is None or turn.owner != context.turns.owner(person):
        async with context.turn(person) as turn:
            pass
    session = turn.session
    steps = context.engine.spec.steps
    answered = [
        step_id
        for step_id, answer in (session.answers.items() if session is not None else ())
        if step_id in steps and steps[step_id].kind == "text" and answer == text
    ]
    edits = context.services.edits
    target = ANSWER + answered[0] if answered else None
    if session is None:
        entry_id = await edits.entry_in_open_case(turn.owner, text)
        target = ENTRY + entry_id if entry_id is not None else None
    if target is not None:
        await edits.remember(turn.owner, message.message_id, target)


async def _edit_entry(context: BotContext, entry_id: str, text: str) -> bool:
    """Replace a follow-up's stored text; the volunteer who was shown it gets the edit."""
    passed = await context.services.edits.edit_entry(entry_id, text)
    if passed is None:
        return False
    if passed.holder is not None:
        await deliver(context.bot, context.services, passed.holder, passed.sends)
    return True


async def on_edit(update: Update, context: BotContext) -> None:
    message = update.edited_message
    if message is None:
        raise ApplicationHandlerStop
    person = person_of(update)
    owner = context.turns.owner(person)
    target = await context.services.edits.target(owner, message.message_id)
    text = (message.text or "").strip()
    if target is not None and target.startswith(ENTRY) and text:
        async with context.turn(person) as turn:
            language = turn.language
        applied = await _edit_entry(context, target.removeprefix(ENTRY), text)
        await reply(
            update, context, language, "edit-entry-applied" if applied else "edit-not-applied"
        )
        raise ApplicationHandlerStop
    async with context.turn(person) as turn:
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
