"""The person's questionnaire: thin translations between updates and the engine.

The submission itself, its checks and the deferred path are `casework.submission`'s.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import callback_data as cb
from bot import cleanup
from bot.context import BotContext
from bot.delivery import delete_batches, send_quietly
from bot.handlers.common import (
    PRIVATE,
    edit,
    on_help,
    on_unknown_command,
    person_of,
    reply,
    send,
    strip_keyboard,
)
from bot.handlers.desk import talk as desk_talk
from bot.handlers.person import after_submission, codeword
from bot.logs import describe
from bot.render import Screen
from casework.turns import Turn
from dialogs import events as ev
from dialogs import flagging
from dialogs.session import Session
from dialogs.spec import REVIEW

log = logging.getLogger(__name__)

COMMANDS = ("start", "back", "cancel", "language", "status", "help", "forget", "web")


def register_commands(app: Application) -> None:
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.StatusUpdate.MESSAGE_AUTO_DELETE_TIMER_CHANGED,
            on_auto_delete_changed,
        ),
        group=-1,
    )
    app.add_handler(CommandHandler("start", on_start, filters=PRIVATE))
    app.add_handler(CommandHandler("back", on_back, filters=PRIVATE))
    app.add_handler(CommandHandler("cancel", on_cancel, filters=PRIVATE))
    app.add_handler(CommandHandler("language", on_language, filters=PRIVATE))
    app.add_handler(CommandHandler("help", on_help, filters=PRIVATE))
    app.add_handler(CommandHandler("forget", on_forget, filters=PRIVATE))


def register_catch_alls(app: Application) -> None:
    """Registered last: anything no command handler took."""
    app.add_handler(MessageHandler(PRIVATE & filters.COMMAND, on_unknown_command))
    app.add_handler(MessageHandler(PRIVATE & filters.TEXT, on_text))
    app.add_handler(MessageHandler(PRIVATE & ~filters.StatusUpdate.ALL, on_media))
    app.add_handler(CallbackQueryHandler(on_button))


# -- commands ------------------------------------------------------------------------------------


async def on_start(update: Update, context: BotContext) -> None:
    async with context.turn(person_of(update)) as turn:
        if turn.deferred is not None:
            await reply(update, context, turn.deferred["language"], "outbox-waiting")
            return
        if await _refused(update, context, turn):
            return
        if turn.session is None:
            open_case = await context.services.followup.open_case(person_of(update))
            if open_case is not None:
                await after_submission.offer_new_request(update, context, *open_case)
                return
            await show(context, turn, update, turn.start())
        else:
            await show(context, turn, update, turn.apply(ev.Repeat()), ev.Notice("resumed"))


async def _refused(update: Update, context: BotContext, turn: Turn) -> bool:
    """A person blocked (and told so) hears it before they fill anything in, in the language
    of their questionnaire; an unfinished one is discarded. A silent block is not told here.

    With the database away nobody is refused here: the request is checked again on sending.
    """
    stored_language = await context.services.followup.refusal_language(person_of(update))
    if stored_language is None:
        return False
    language = turn.language if turn.session is not None else stored_language
    if turn.session is not None:
        if turn.last_prompt is not None and update.effective_chat is not None:
            await strip_keyboard(context, update.effective_chat.id, turn.last_prompt)
        turn.discard()
    await reply(update, context, language, "blocked")
    return True


async def on_back(update: Update, context: BotContext) -> None:
    await _apply_or_begin(update, context, ev.Back())


async def on_cancel(update: Update, context: BotContext) -> None:
    person = person_of(update)
    async with context.turn(person) as turn:
        if turn.session is None:
            await reply(update, context, turn.language, "cancel-nothing")
            return
        sent = turn.session.case if turn.session.sent else None
        screen = context.renderer.choice(
            turn.language,
            "cancel-confirm" if sent is None else "cancel-confirm-sent",
            [("cancel-yes", cb.encode(cb.CANCEL, "y")), ("cancel-no", cb.encode(cb.CANCEL, "n"))],
            **({} if sent is None else {"reference": sent}),
        )
        await send(update, context, screen)


async def on_language(update: Update, context: BotContext) -> None:
    async with context.turn(person_of(update)) as turn:
        screen = context.renderer.language_choice(turn.language, context.engine.spec.languages)
        await send(update, context, screen)


async def on_forget(update: Update, context: BotContext) -> None:
    async with context.turn(person_of(update)) as turn:
        language = turn.language
    screen = context.renderer.choice(
        language,
        "forget-confirm",
        [("forget-yes", cb.encode(cb.FORGET, "y")), ("forget-no", cb.encode(cb.FORGET, "n"))],
    )
    await send(update, context, screen)


async def on_auto_delete_changed(update: Update, context: BotContext) -> None:
    """Telegram's auto-delete timer was switched: thank the person, or suggest it again."""
    message = update.effective_message
    timer = message.message_auto_delete_timer_changed if message else None
    if timer is None:
        return
    async with context.turn(person_of(update)) as turn:
        language = turn.language
    if timer.message_auto_delete_time:  # a timedelta (PTB_TIMEDELTA is set in main)
        await reply(update, context, language, "autodelete-on")
    else:
        await reply(update, context, language, "autodelete-off")
    raise ApplicationHandlerStop


# -- answers -------------------------------------------------------------------------------------


async def on_text(update: Update, context: BotContext) -> None:
    if await desk_talk.on_relayed_reply(update, context):
        return
    text = update.effective_message.text if update.effective_message else None
    if text and await codeword.answer_check(update, context, text):
        return
    if text and await _flag_offered(update, context, text):
        return
    await _apply_or_begin(update, context, ev.Text(text or ""))


# A flagged text waits here, in this process's memory only, for the person's "keep" or
# "remove" (never in the draft store or the database, so "remove" leaves nothing behind).
# Lost on a restart: "keep" then asks the person to send it again.
FLAGGED_KEY = "flagged-texts"


def _flagged(context: BotContext) -> dict[int, tuple[str, int]]:
    found: dict[int, tuple[str, int]] = context.bot_data.setdefault(FLAGGED_KEY, {})
    return found


async def _flag_offered(update: Update, context: BotContext, text: str) -> bool:
    """Free text (a text answer, or a message to an open request) with a unit number, a phone
    number or a full name: the person chooses to keep it or remove it before it is kept."""
    kind = flagging.flag(text)
    message = update.effective_message
    if kind is None or message is None:
        return False
    person = person_of(update)
    async with context.turn(person) as turn:
        if turn.deferred is not None:
            return False
        if turn.session is not None:
            state = turn.session.state
            step = context.engine.spec.steps.get(state) if state != REVIEW else None
            if step is None or step.kind != "text":
                return False
            language = turn.language
        else:
            language = ""
    if not language:
        if await context.services.desk.language_of(person) is not None:
            return False  # a volunteer's stray text: not a request
        open_case = await context.services.followup.open_case(person)
        if open_case is None:
            return False
        language = open_case[1]
    _flagged(context)[person.user_id] = (text, message.message_id)
    screen = context.renderer.choice(
        language,
        f"flag-{kind}",
        [
            ("flag-keep", cb.encode(cb.FLAGGED, "k")),
            ("flag-remove", cb.encode(cb.FLAGGED, "r")),
        ],
    )
    await send(update, context, screen)
    return True


async def _flag_pressed(
    update: Update, context: BotContext, query: CallbackQuery, *, keep: bool
) -> None:
    """Keep the flagged text as written, or delete it (from the chat too) and ask again."""
    await query.answer()
    person = person_of(update)
    assert query.message is not None  # on_button returns early for a press without its message
    chat_id = query.message.chat.id
    pending = _flagged(context).pop(person.user_id, None)
    async with context.turn(person) as turn:
        language = turn.language
    if pending is None:
        await edit(context, query, Screen(context.renderer.text(language, "flag-gone")))
        return
    text, message_id = pending
    if not keep:
        await delete_batches(context.bot, chat_id, [message_id])
        await edit(context, query, Screen(context.renderer.text(language, "flag-write-again")))
        return
    await strip_keyboard(context, chat_id, query.message.message_id)
    async with context.turn(person) as turn:
        if turn.session is not None and turn.deferred is None:
            await show(context, turn, update, turn.apply(ev.Text(text)))
            return
    await after_submission.add_to_open_case(update, context, text)


# What can show who a person is (a face, a voice, a document's metadata) and would sit in the
# chat for anyone who takes the phone: deleted at once, never downloaded, never stored.
IDENTIFYING_MEDIA = frozenset(
    {"photo", "document", "voice", "video", "video_note", "audio", "animation", "sticker"}
)


async def on_media(update: Update, context: BotContext) -> None:
    kind = _kind_of(update.effective_message)
    if kind in IDENTIFYING_MEDIA:
        await _delete_media(update, context)
        return
    await _apply_or_begin(update, context, ev.Unsupported(kind))


async def _delete_media(update: Update, context: BotContext) -> None:
    """Delete the file from the chat (for both sides: a private chat) and say why; the current
    question, if any, is shown again below the explanation. The file is never fetched."""
    message = update.effective_message
    assert message is not None  # on_media is registered for messages only
    try:
        await context.bot.delete_message(message.chat.id, message.message_id)
    except TelegramError as error:
        log.warning("a file a person sent was not deleted: %s", describe(error))
    async with context.turn(person_of(update)) as turn:
        if turn.session is not None and turn.deferred is None:
            await show(context, turn, update, turn.apply(ev.Repeat()), ev.Notice("media-deleted"))
            return
        language = turn.deferred["language"] if turn.deferred is not None else turn.language
    open_case = await context.services.followup.open_case(person_of(update))
    if open_case is not None:
        language = open_case[1]
    await reply(update, context, language, "media-deleted")


async def _apply_or_begin(update: Update, context: BotContext, event: ev.Event) -> None:
    """Apply an event to the draft. With no draft, a message goes to the person's open request
    if they have one; otherwise anything a person writes starts a questionnaire."""
    async with context.turn(person_of(update)) as turn:
        if turn.deferred is not None:
            await reply(update, context, turn.deferred["language"], "outbox-waiting")
            return
        if turn.session is None:
            if await _outside_questionnaire(update, context, turn, event):
                return
            if await _refused(update, context, turn):
                return
            await show(context, turn, update, turn.start())
            return
        if await _written_after_send_now(update, context, turn, event):
            return
        secret = isinstance(event, ev.Text) and context.engine.expects_secret(turn.session)
        outcome = await turn.answer(event)
        if secret:
            await _delete_codeword(update, context)
        await show(context, turn, update, outcome)


async def _delete_codeword(update: Update, context: BotContext) -> None:
    """A codeword typed into the chat would sit there for whoever takes the phone: deleted at
    once (for both sides: a private chat), whether it was taken or refused as too short."""
    message = update.effective_message
    if message is not None:
        await delete_batches(context.bot, message.chat.id, [message.message_id])


async def _written_after_send_now(
    update: Update, context: BotContext, turn: Turn, event: ev.Event
) -> bool:
    """After "Send now", words that answer no question on screen go to the sent request
    (someone in danger may write what is happening), not back as "please use the buttons"."""
    if turn.session is None or not turn.session.sent or not isinstance(event, ev.Text):
        return False
    if not event.text.strip() or context.engine.expects_typing(turn.session):
        return False
    return await after_submission.add_to_open_case(update, context, event.text.strip())


async def _outside_questionnaire(
    update: Update, context: BotContext, turn: Turn, event: ev.Event
) -> bool:
    if isinstance(event, ev.Text) and await desk_talk.on_stray_text(update, context):
        return True
    if isinstance(event, ev.Text) and event.text.strip():
        text = event.text.strip()
        if await after_submission.add_to_open_case(update, context, text):
            return True
        if await _refused(update, context, turn):
            return True
        return await after_submission.after_closed(update, context, turn, text)
    open_case = await context.services.followup.open_case(person_of(update))
    if open_case is not None:
        await reply(update, context, open_case[1], "unsupported-media")
        return True
    return False


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
    if action is not None and action.kind == cb.FLAGGED:
        await _flag_pressed(update, context, query, keep=action.args[0] == "k")
        return
    async with context.turn(person) as turn:
        if action is not None and action.kind == cb.REOPEN and turn.session is None:
            await after_submission.reopen_pressed(update, context, turn, query, action.args[0])
            return
        begins = action is not None and action.kind in (cb.NEW, cb.LANGUAGE)
        if begins and turn.session is None and await _refused(update, context, turn):
            await query.answer()
            await strip_keyboard(context, query.message.chat.id, query.message.message_id)
            return
        if action is not None and action.kind == cb.NEW and turn.session is None:
            await query.answer()
            await show(context, turn, update, turn.start(), edit=query)
            return
        stale_reopen = action is not None and action.kind == cb.REOPEN  # a questionnaire began
        if action is None or stale_reopen or (turn.session is None and action.kind != cb.LANGUAGE):
            await _stale(update, context, turn, query)
            return
        if action.kind == cb.CANCEL:
            await _cancel_pressed(update, context, turn, query, confirmed=action.args[0] == "y")
            return
        if action.kind == cb.SEND_NOW and turn.session is not None and turn.session.sent:
            # A second press (a double tap, an old button): sent once, nothing more is asked.
            text = context.renderer.text(
                turn.language, "sent-now-already", reference=turn.session.case or "-"
            )
            await query.answer(text)
            return
        if action.kind == cb.ANSWER_REST and turn.session is not None:
            await _answer_rest(update, context, turn, query)
            return
        sends = action.kind in (cb.SUBMIT, cb.SEND_NOW)
        if sends and not await _may_submit(update, context, turn, query, _event_of(action)):
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


async def _answer_rest(
    update: Update, context: BotContext, turn: Turn, query: CallbackQuery
) -> None:
    """After "Send now": the confirmation (with its reference) stays, the question follows."""
    await query.answer()
    assert query.message is not None  # on_button returns early for a press without its message
    await strip_keyboard(context, query.message.chat.id, query.message.message_id)
    await show(context, turn, update, turn.apply(ev.Repeat()))


async def _may_submit(
    update: Update, context: BotContext, turn: Turn, query: CallbackQuery, event: ev.Event
) -> bool:
    """Blocked people get a neutral answer; over the hourly cap the draft waits, untouched."""
    if await context.services.followup.is_blocked(person_of(update)):
        await query.answer()
        language = turn.language  # the questionnaire's, read before the draft is discarded
        if turn.last_prompt is not None and query.message is not None:
            await strip_keyboard(context, query.message.chat.id, turn.last_prompt)
        turn.discard()
        await reply(update, context, language, "blocked")
        return False
    if await _over_own_limit(update, context, turn, query, event):
        return False
    services = context.services
    cap = services.settings.cases_per_hour_cap
    alerts = await services.submission.over_hourly_cap(turn.owner, cap)
    if alerts is not None:
        await send_quietly(context.bot, alerts, "desk notice")
        await query.answer(context.renderer.text(turn.language, "busy-try-later"), show_alert=True)
        await reply(update, context, turn.language, "busy-try-later")
        return False
    return True


async def _over_own_limit(
    update: Update, context: BotContext, turn: Turn, query: CallbackQuery, event: ev.Event
) -> bool:
    """A person at their own limit of requests is told so; the draft waits, untouched."""
    if turn.session is None:
        return False
    trial = Session.from_dict(turn.session.to_dict())  # the draft itself is not moved
    completed = context.engine.handle(trial, event)
    if not isinstance(completed, ev.Completed):
        return False  # not on the review screen: the engine answers this press itself
    if completed.sent is not None:
        return False  # the rest of a request already sent ("Send now"): no new request
    settings = context.services.settings
    limit = await context.services.submission.own_limit(
        person_of(update),
        completed,
        open_cases=settings.open_cases_per_person,
        new_per_day=settings.new_cases_per_person_per_day,
    )
    if limit is None:
        return False
    renderer = context.renderer
    text = renderer.text(
        turn.language, f"limit-{limit.kind}", count=limit.count, hours=settings.draft_ttl_hours
    )
    if limit.reference is not None:
        extra = renderer.text(turn.language, "limit-write-in-open", reference=limit.reference)
        text = f"{text}\n\n{extra}"
    await query.answer()
    await send(update, context, Screen(text))
    return True


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
        case cb.SEND_NOW, ():
            return ev.SendNow()
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
    assert message is not None  # on_button returns early for a press without its message
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
    assert query.message is not None  # on_button returns early for a press without its message
    if confirmed:
        if turn.last_prompt is not None:
            await strip_keyboard(context, query.message.chat.id, turn.last_prompt)
        language = turn.language
        sent = turn.session.case if turn.session is not None and turn.session.sent else None
        turn.discard()  # a request sent with "Send now" stays sent: only the draft goes
        if sent is None:
            text = context.renderer.text(language, "cancelled")
        else:
            text = context.renderer.text(language, "cancelled-sent", reference=sent)
        await edit(context, query, Screen(text))
        return
    await show(context, turn, update, turn.apply(ev.Repeat()), edit=query)


async def _forget_pressed(
    update: Update, context: BotContext, query: CallbackQuery, *, confirmed: bool
) -> None:
    await query.answer()
    person = person_of(update)
    async with context.turn(person) as turn:
        language = turn.language
    if not confirmed:
        await edit(context, query, Screen(context.renderer.text(language, "forget-kept")))
        return
    message_id = query.message.message_id if query.message is not None else None
    await cleanup.forget_everything(
        context.bot, context.services, person, language, confirm_message_id=message_id
    )


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
    if isinstance(outcome, ev.Completed) and outcome.partial:
        await _sent_now(context, turn, update, outcome, edit)
        return
    if isinstance(outcome, ev.Completed):
        person = person_of(update)
        services = context.services
        case = await services.submission.submit_or_defer(turn, person, outcome)
        if case is None:
            # The database is away: the answers are kept and submitted as soon as it is back.
            screen = Screen(renderer.text(outcome.language, "outbox-kept"))
            await _replace_prompt(context, turn, update, screen, edit, keep=False)
            return
        started = turn.started
        turn.discard()
        added = case.reference == outcome.sent  # the rest of a request sent with "Send now"
        key = "sent-rest-added" if added else "submitted"
        screen = Screen(renderer.text(outcome.language, key, reference=case.reference))
        shown = await _replace_prompt(context, turn, update, screen, edit, keep=False)
        await cleanup.clean_questionnaire(context.bot, services, person, since=started, keep=shown)
        if added:
            await send_quietly(
                context.bot, await services.submission.answered_more(case.id), "desk notice"
            )
            return
        announcements = await services.notices.announce_new_case(case.id)
        await send_quietly(context.bot, announcements, "desk notice")
        return
    if isinstance(outcome, ev.Finished):
        screen = Screen(renderer.text(outcome.language, f"{outcome.step}-question"))
        await _replace_prompt(context, turn, update, screen, edit, keep=False)
        return
    await _replace_prompt(context, turn, update, renderer.prompt(outcome, *extra), edit, keep=True)


async def _sent_now(
    context: BotContext,
    turn: Turn,
    update: Update,
    outcome: ev.Completed,
    query: CallbackQuery | None,
) -> None:
    """Sent with "Send now": the desk hears of it at once; the questionnaire stays in the
    draft (remembering its case) for "Answer the rest"; if the person never presses it,
    nothing more is asked."""
    services = context.services
    case = await services.submission.submit_or_defer(turn, person_of(update), outcome)
    if case is None:
        # The database is away: the answers are kept and sent as soon as it is back.
        screen = Screen(context.renderer.text(outcome.language, "outbox-kept"))
        await _replace_prompt(context, turn, update, screen, query, keep=False)
        return
    screen = context.renderer.sent_now(outcome.language, case.reference)
    await _replace_prompt(context, turn, update, screen, query, keep=False)
    announcements = await services.notices.announce_new_case(case.id)
    await send_quietly(context.bot, announcements, "desk notice")


async def _replace_prompt(
    context: BotContext,
    turn: Turn,
    update: Update,
    screen: Screen,
    query: CallbackQuery | None,
    *,
    keep: bool,
) -> int | None:
    chat_id = update.effective_chat.id if update.effective_chat else None
    if chat_id is None:
        return None
    previous = turn.last_prompt
    # The answer is kept before the next question appears: if the draft store is away, the
    # person sees "try again" with the question they were on, not a step that is then lost.
    if query is not None and query.message is not None:
        shown_id = query.message.message_id
        turn.last_prompt = shown_id if keep and turn.session is not None else None
        await context.turns.save(turn)
        await edit(context, query, screen)
    else:
        await context.turns.save(turn)
        shown_id = (await send(update, context, screen)).message_id
        turn.last_prompt = shown_id if keep and turn.session is not None else None
    if previous is not None and previous != shown_id:
        await strip_keyboard(context, chat_id, previous)
    return shown_id


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
