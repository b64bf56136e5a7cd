"""Protections for the person who writes: flood limits, clean chats and erase-on-demand.

Runs before every other handler (group -2): each private message is counted against the
person's flood budget and its id is remembered, for 48 hours only, so that the conversation can
be deleted on both sides when the person asks or when the questionnaire is sent.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, TypeHandler, filters

from bot.context import BotContext
from bot.delivery import delete_batches, remove_copies
from bot.handlers.common import person_of, reply
from bot.logs import describe
from casework import copies
from casework.people import Person
from storage.erasure import ErasedCase
from storage.unavailable import StateUnavailable
from storage.volunteers import volunteer_chat_id

log = logging.getLogger(__name__)

START_MARGIN = 2.0  # seconds


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, on_any_update), group=-2)
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.StatusUpdate.MESSAGE_AUTO_DELETE_TIMER_CHANGED,
            on_auto_delete_changed,
        ),
        group=-1,
    )


async def on_any_update(update: Update, context: BotContext) -> None:
    """Count the update against the flood budget; remember the message id for deletion."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != "private":
        return
    services = context.services
    owner = services.conversations.owner(person_of(update))
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
            await _quietly(update.callback_query.answer(text))
        else:
            await _quietly(context.bot.send_message(chat.id, text))
    elif update.callback_query is not None:
        await _quietly(update.callback_query.answer())
    raise ApplicationHandlerStop


async def _try_again_shortly(
    update: Update, context: BotContext, chat_id: int, language_code: str | None
) -> None:
    text = context.renderer.text(context.engine.suggest_language(language_code), "error-try-again")
    if update.callback_query is not None:
        await _quietly(update.callback_query.answer())
    await _quietly(context.bot.send_message(chat_id, text))


async def on_auto_delete_changed(update: Update, context: BotContext) -> None:
    """Telegram's auto-delete timer was switched: thank the person, or suggest it again."""
    message = update.effective_message
    timer = message.message_auto_delete_timer_changed if message else None
    if timer is None:
        return
    async with context.conversations.turn(person_of(update)) as turn:
        language = turn.language
    if timer.message_auto_delete_time:  # a timedelta (PTB_TIMEDELTA is set in main)
        await reply(update, context, language, "autodelete-on")
    else:
        await reply(update, context, language, "autodelete-off")
    raise ApplicationHandlerStop


async def clean_questionnaire(
    context: BotContext, person: Person, *, since: float | None, keep: int
) -> None:
    """After submission: delete the questionnaire on both sides, keeping the confirmation."""
    services = context.services
    if not services.settings.clean_after_submit:
        return
    owner = services.conversations.owner(person)
    # The message that started the questionnaire was remembered a moment before it began.
    since = since - START_MARGIN if since is not None else None
    try:
        ids = [i for i in await services.messages.recent(owner, since=since) if i != keep]
    except StateUnavailable as error:
        log.warning("questionnaire not cleaned: %s", describe(error))
        return
    await delete_batches(context.bot, person.chat_id, ids)
    try:
        await services.messages.forget(owner, ids)
    except StateUnavailable as error:
        log.warning("deleted ids not forgotten: %s", describe(error))


async def _quietly(awaitable: object) -> None:
    try:
        await awaitable  # type: ignore[misc]
    except TelegramError as error:
        log.warning("flood notice not delivered: %s", describe(error))


async def forget_everything(
    context: BotContext, person: Person, language: str, *, confirm_message: object | None
) -> None:
    """`/forget`, confirmed: shred the data, delete both sides of the chat, tell the holders.

    The data goes first: if Telegram then fails, nothing readable is left behind anyway.
    """
    services = context.services
    owner = services.conversations.owner(person)
    report = await services.conversations.forget(person)
    # Every message that showed these cases in volunteers' chats (case views, relayed messages):
    # deleted, and what could not be is reported to the admins.
    removed = await copies.of_erased_cases(services.sessions)
    await remove_copies(context.bot, services, removed)
    done = {(copy.volunteer_id, copy.message_id) for copy in removed}
    for erased in report.affected:
        await _tell_volunteers(context, erased, done)
    unavailable = False
    try:
        ids = await services.messages.recent(owner)
    except StateUnavailable as error:
        log.warning("message ids unavailable for deletion: %s", describe(error))
        ids, unavailable = [], True
    message_id = getattr(confirm_message, "message_id", None)
    if isinstance(message_id, int):
        ids.append(message_id)
    failed = await delete_batches(context.bot, person.chat_id, ids)
    text = context.renderer.text(language, "forget-done", cases=report.cases)
    if failed or unavailable:
        # Only when a deletion really failed (or the ids could not be read) do we say so.
        text += "\n\n" + context.renderer.text(language, "forget-undeletable")
    # Always true, whatever happened: the bot cannot know what came before its memory (older
    # than 48 hours, or before a restart without Redis), and Telegram would refuse those anyway.
    text += "\n\n" + context.renderer.text(language, "forget-older")
    await context.bot.send_message(person.chat_id, text)
    for cleanup in (services.messages.forget(owner), services.flood.forget(owner)):
        try:
            await cleanup
        except StateUnavailable as error:
            log.warning("could not clear a short-lived key: %s", describe(error))
    edit_log = context.application.bot_data.get("edit_log")  # bot/handlers/edits.py
    if edit_log is not None:
        try:
            await edit_log.forget(owner)
        except StateUnavailable as error:
            log.warning("could not clear the edit log: %s", describe(error))
    if services.compactor is not None:
        services.compactor.request(database=False)  # those keys' names leave Redis's files


async def _tell_volunteers(
    context: BotContext, erased: ErasedCase, done: set[tuple[str, int | None]]
) -> None:
    """The holder learns the case is gone; relayed copies leave volunteers' chats.

    Copies recorded in `storage.copies` went already (`done`); relay links cover the rest
    (relayed before copies were recorded).
    """
    services = context.services
    by_chat: dict[int, list[int]] = {}
    for copy in erased.relayed:
        if (copy.volunteer.id, copy.message_id) in done:
            continue
        chat_id = volunteer_chat_id(services.cipher, copy.volunteer)
        by_chat.setdefault(chat_id, []).append(copy.message_id)
    for chat_id, message_ids in by_chat.items():
        await delete_batches(context.bot, chat_id, message_ids)
    if erased.holder is not None:
        text = context.renderer.text(
            erased.holder.language, "desk-person-erased", reference=erased.reference
        )
        chat_id = volunteer_chat_id(services.cipher, erased.holder)
        await _quietly(context.bot.send_message(chat_id, text))
