"""Builds the python-telegram-bot Application: transport settings, handlers, ordering."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from telegram import BotCommand, BotCommandScopeAllPrivateChats, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
    TypeHandler,
)

from bot import clients, flood
from bot.backlog import BacklogQueue
from bot.context import BotContext, attach
from bot.handlers import desk, desk_bot, errors
from bot.handlers.person import after_submission, edits, questionnaire, webcode
from bot.recording_bot import RecordingBot
from bot.services import ALL, DESK, INTAKE, Services
from bot.update_processor import PerPersonUpdateProcessor
from storage.slow_pseudonyms import SlowPseudonymizer

ALLOWED_UPDATES = ["message", "callback_query", "edited_message"]


def build_application(services: Services) -> Application:
    settings = services.settings
    bot = RecordingBot(
        token=settings.token(),
        base_url=settings.api_url,
        base_file_url=settings.api_url.removesuffix("/bot") + "/file/bot",
        defaults=Defaults(protect_content=settings.protect_content),
        # No proactive global cap: Telegram's 30/s is for bulk notices, and a 429 from it is
        # waited out (retry_after); group chats keep their 20-a-minute limit.
        rate_limiter=AIORateLimiter(overall_max_rate=0, max_retries=3),
        request=clients.bot_request(settings),
        get_updates_request=clients.plain_request(settings),
    )
    bot.set_recorder(_remember_sent(services))
    backlog = BacklogQueue(settings.updates_backlog)
    bot.set_backlog(backlog.room)
    app = (
        ApplicationBuilder()
        .bot(bot)
        .update_queue(backlog)
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(PerPersonUpdateProcessor(services.metrics.in_flight))
        .build()
    )
    attach(app, services)
    app.add_handler(TypeHandler(Update, _count_update), group=-3)
    if services.role == INTAKE:
        app.add_handler(TypeHandler(Update, _person_pseudonym_off_loop), group=-4)
    flood.register(app)
    if services.role == DESK:  # sealed mode: the volunteers' bot, nobody else's
        desk.register(app)
        desk_bot.register_catch_alls(app)
    else:
        questionnaire.register_commands(app)
        after_submission.register(app)
        webcode.register(app)
        if services.role == ALL:  # on the intake bot every desk command is unknown
            desk.register(app)
        questionnaire.register_catch_alls(app)
        edits.register(app)  # group -1: ahead of the handlers above for edited messages
    app.add_error_handler(errors.on_error)
    return app


async def _person_pseudonym_off_loop(update: Update, context: BotContext) -> None:
    """Sealed mode: a person's first pseudonym is slow to make on purpose; make it on a worker
    thread before any handler asks for it, so the event loop keeps serving everyone else. At
    most `PSEUDONYM_SLOTS` at once: each takes 19 MiB, and a surge of new people would
    otherwise take one per worker thread."""
    user = update.effective_user
    pseudonyms = context.services.turns.pseudonyms
    if user is None or not isinstance(pseudonyms, SlowPseudonymizer):
        return
    if pseudonyms.cached("person", user.id):
        return
    async with context.services.pseudonym_slots:
        await asyncio.to_thread(pseudonyms, "person", user.id)


async def _count_update(update: Update, context: BotContext) -> None:
    context.services.metrics.updates.inc()


def _remember_sent(services: Services) -> Callable[[int, int], Awaitable[None]]:
    """In a private chat the chat id is the person's id: key the message on their pseudonym."""

    async def remember(chat_id: int, message_id: int) -> None:
        await services.messages.remember(services.turns.pseudonyms("person", chat_id),
                                         message_id)  # fmt: skip

    return remember


async def on_startup(app: Application) -> None:
    """Once the bot is initialised: the command menu in each language, shown by Telegram."""
    services: Services = app.bot_data["services"]
    translator = services.translator
    default = services.engine.spec.default_language
    names = desk_bot.COMMANDS if services.role == DESK else questionnaire.COMMANDS
    for language in (None, *services.engine.spec.languages):
        lang = language or default
        commands = [BotCommand(name, translator.text(lang, f"command-{name}")) for name in names]
        await app.bot.set_my_commands(
            commands, scope=BotCommandScopeAllPrivateChats(), language_code=language
        )
