"""Handlers for the person who writes: thin translations between updates and the engine."""

from __future__ import annotations

import contextlib
import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import callback_data as cb
from bot.context import BotContext
from bot.conversation import Person, Turn
from bot.render import Screen
from dialogs import events as ev

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
COMMANDS = ("start", "back", "cancel", "language", "help", "forget")


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", on_start, filters=PRIVATE))
    app.add_handler(CommandHandler("back", on_back, filters=PRIVATE))
    app.add_handler(CommandHandler("cancel", on_cancel, filters=PRIVATE))
    app.add_handler(CommandHandler("language", on_language, filters=PRIVATE))
    app.add_handler(CommandHandler("help", on_help, filters=PRIVATE))
    app.add_handler(CommandHandler("forget", on_forget, filters=PRIVATE))
    app.add_handler(MessageHandler(PRIVATE & filters.COMMAND, on_unknown_command))
    app.add_handler(MessageHandler(PRIVATE & filters.TEXT, on_text))
    app.add_handler(MessageHandler(PRIVATE & ~filters.StatusUpdate.ALL, on_media))
    app.add_handler(CallbackQueryHandler(on_button))


def person_of(update: Update) -> Person:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        raise ValueError("update without a user or chat")
    return Person(user_id=user.id, chat_id=chat.id, client_language=user.language_code)


# -- commands ------------------------------------------------------------------------------------


async def on_start(update: Update, context: BotContext) -> None:
    async with context.conversations.turn(person_of(update)) as turn:
        if turn.session is None:
            await show(context, turn, update, turn.start())
        else:
            await show(context, turn, update, turn.apply(ev.Repeat()), ev.Notice("resumed"))


async def on_back(update: Update, context: BotContext) -> None:
    await _apply_or_begin(update, context, ev.Back())


async def on_cancel(update: Update, context: BotContext) -> None:
    person = person_of(update)
    async with context.conversations.turn(person) as turn:
        if turn.session is None:
            await reply(update, context, turn.language, "cancel-nothing")
            return
        screen = context.renderer.choice(
            turn.language,
            "cancel-confirm",
            [("cancel-yes", cb.encode(cb.CANCEL, "y")), ("cancel-no", cb.encode(cb.CANCEL, "n"))],
        )
        await send(update, context, screen)


async def on_language(update: Update, context: BotContext) -> None:
    async with context.conversations.turn(person_of(update)) as turn:
        screen = context.renderer.language_choice(turn.language, context.engine.spec.languages)
        await send(update, context, screen)


async def on_help(update: Update, context: BotContext) -> None:
    async with context.conversations.turn(person_of(update)) as turn:
        await reply(update, context, turn.language, "help")


async def on_forget(update: Update, context: BotContext) -> None:
    async with context.conversations.turn(person_of(update)) as turn:
        language = turn.language
    screen = context.renderer.choice(
        language,
        "forget-confirm",
        [("forget-yes", cb.encode(cb.FORGET, "y")), ("forget-no", cb.encode(cb.FORGET, "n"))],
    )
    await send(update, context, screen)


async def on_unknown_command(update: Update, context: BotContext) -> None:
    async with context.conversations.turn(person_of(update)) as turn:
        await reply(update, context, turn.language, "unknown-command")


# -- answers -------------------------------------------------------------------------------------


async def on_text(update: Update, context: BotContext) -> None:
    text = update.effective_message.text if update.effective_message else None
    await _apply_or_begin(update, context, ev.Text(text or ""))


async def on_media(update: Update, context: BotContext) -> None:
    await _apply_or_begin(update, context, ev.Unsupported(_kind_of(update.effective_message)))


async def _apply_or_begin(update: Update, context: BotContext, event: ev.Event) -> None:
    """Apply an event to the draft; with no draft, anything a person writes starts one."""
    async with context.conversations.turn(person_of(update)) as turn:
        if turn.session is None:
            await show(context, turn, update, turn.start())
            return
        await show(context, turn, update, turn.apply(event))


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None or query.message is None or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        await query.answer()
        return
    action = cb.decode(query.data)
    person = person_of(update)
    if action is not None and action.kind == cb.FORGET:
        await _forget_pressed(update, context, query, confirmed=action.args[0] == "y")
        return
    async with context.conversations.turn(person) as turn:
        if action is None or (turn.session is None and action.kind != cb.LANGUAGE):
            await _stale(update, context, turn, query)
            return
        if action.kind == cb.CANCEL:
            await _cancel_pressed(update, context, turn, query, confirmed=action.args[0] == "y")
            return
        if turn.session is None:  # a language button with no questionnaire: begin in it
            turn.start()
            outcome: ev.Outcome = turn.apply(ev.Choose("language", action.args[0]))
        else:
            outcome = turn.apply(_event_of(action))
        if isinstance(outcome, ev.Prompt) and _is_stale(outcome):
            await _stale(update, context, turn, query)
            return
        await query.answer()
        await show(context, turn, update, outcome, edit=query)


def _event_of(action: cb.Action) -> ev.Event:
    match action.kind, action.args:
        case cb.CHOOSE, (step, option):
            return ev.Choose(step, option)
        case cb.TOGGLE, (step, option):
            return ev.Toggle(step, option)
        case cb.DONE, (step,):
            return ev.Done(step)
        case cb.SKIP, (step,):
            return ev.Skip(step)
        case cb.EDIT, (step,):
            return ev.Edit(step)
        case cb.SUBMIT, ():
            return ev.Submit()
        case cb.BACK, ():
            return ev.Back()
        case cb.LANGUAGE, (language,):
            return ev.SetLanguage(language)
    return ev.Repeat()


def _is_stale(prompt: ev.Prompt) -> bool:
    return any(n.key == "stale-button" for n in prompt.notices)


async def _stale(update: Update, context: BotContext, turn: Turn, query: CallbackQuery) -> None:
    """An old button: say so politely, and show the current question (if any) again."""
    await query.answer(context.renderer.text(turn.language, "stale-button"))
    message = query.message
    if turn.session is None:
        await strip_keyboard(context, message.chat.id, message.message_id)
        await reply(update, context, turn.language, "no-draft")
        return
    prompt = turn.apply(ev.Repeat())
    if message.message_id == turn.last_prompt:
        await show(context, turn, update, prompt, edit=query)
    else:
        await strip_keyboard(context, message.chat.id, message.message_id)
        await show(context, turn, update, prompt, ev.Notice("stale-button"))


async def _cancel_pressed(
    update: Update, context: BotContext, turn: Turn, query: CallbackQuery, *, confirmed: bool
) -> None:
    await query.answer()
    if confirmed:
        if turn.last_prompt is not None:
            await strip_keyboard(context, query.message.chat.id, turn.last_prompt)
        turn.discard()
        await edit(context, query, Screen(context.renderer.text(turn.language, "cancelled")))
        return
    await show(context, turn, update, turn.apply(ev.Repeat()), edit=query)


async def _forget_pressed(
    update: Update, context: BotContext, query: CallbackQuery, *, confirmed: bool
) -> None:
    await query.answer()
    person = person_of(update)
    async with context.conversations.turn(person) as turn:
        language = turn.language
    if not confirmed:
        await edit(context, query, Screen(context.renderer.text(language, "forget-kept")))
        return
    erased = await context.conversations.forget(person)
    text = context.renderer.text(language, "forget-done", cases=erased)
    await edit(context, query, Screen(text))


# -- showing outcomes ----------------------------------------------------------------------------


async def show(
    context: BotContext,
    turn: Turn,
    update: Update,
    outcome: ev.Outcome,
    *extra: ev.Notice,
    edit: CallbackQuery | None = None,
) -> None:
    """Show an outcome: edit the pressed message in place, or send a new one."""
    renderer = context.renderer
    if isinstance(outcome, ev.Completed):
        reference = await context.conversations.submit(person_of(update), outcome)
        turn.discard()
        screen = Screen(renderer.text(outcome.language, "submitted", reference=reference))
        await _replace_prompt(context, turn, update, screen, edit, keep=False)
        return
    if isinstance(outcome, ev.Finished):
        screen = Screen(renderer.text(outcome.language, f"{outcome.step}-question"))
        await _replace_prompt(context, turn, update, screen, edit, keep=False)
        return
    await _replace_prompt(context, turn, update, renderer.prompt(outcome, *extra), edit, keep=True)


async def _replace_prompt(
    context: BotContext,
    turn: Turn,
    update: Update,
    screen: Screen,
    query: CallbackQuery | None,
    *,
    keep: bool,
) -> None:
    chat_id = update.effective_chat.id if update.effective_chat else None
    if chat_id is None:
        return
    previous = turn.last_prompt
    if query is not None and query.message is not None:
        shown_id = query.message.message_id
        await edit(context, query, screen)
    else:
        shown_id = (await send(update, context, screen)).message_id
    if previous is not None and previous != shown_id:
        await strip_keyboard(context, chat_id, previous)
    turn.last_prompt = shown_id if keep and turn.session is not None else None


async def send(update: Update, context: BotContext, screen: Screen) -> Message:
    chat = update.effective_chat
    assert chat is not None
    return await context.bot.send_message(chat.id, screen.text, reply_markup=screen.keyboard)


async def reply(update: Update, context: BotContext, language: str, key: str) -> Message:
    return await send(update, context, Screen(context.renderer.text(language, key)))


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
        await context.bot.edit_message_reply_markup(
            chat_id, message_id, reply_markup=InlineKeyboardMarkup([])
        )


def _kind_of(message: Message | None) -> str:
    if message is None:
        return "unknown"
    for kind in (
        "sticker",
        "photo",
        "voice",
        "video",
        "video_note",
        "audio",
        "document",
        "location",
        "contact",
        "animation",
        "poll",
        "venue",
        "dice",
    ):
        if getattr(message, kind, None):
            return kind
    return "other"
