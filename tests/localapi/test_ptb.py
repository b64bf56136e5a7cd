"""The local server against the real python-telegram-bot: polling, webhooks, errors, retries."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from localapi import LocalBotApi
from tests.support.servers import free_port

MENU = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Red", callback_data="color:red")],
        [InlineKeyboardButton("Blue", callback_data="color:blue")],
    ]
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(
        "<b>Welcome!</b> Pick one:", parse_mode="HTML", reply_markup=MENU, protect_content=True
    )


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(f"echo: {update.message.text}", do_quote=True)


async def media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.message
    assert message is not None
    attachment = message.effective_attachment
    kind = type(attachment[-1] if isinstance(attachment, tuple) else attachment).__name__
    await message.reply_text(f"got {kind}")


async def picked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    await query.answer(f"picked {query.data}")
    await query.edit_message_text(f"You picked {query.data.removeprefix('color:')}")


class Errors:
    """Collects exceptions raised in handlers (PTB would otherwise only log them)."""

    def __init__(self) -> None:
        self.seen: list[BaseException] = []
        self.event = asyncio.Event()

    async def __call__(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        self.seen.append(context.error)
        self.event.set()


def build(
    api: LocalBotApi,
    errors: Errors,
    *,
    rate_limiter: AIORateLimiter | None = None,
    read_timeout: float | None = None,
) -> Application:
    builder = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
    )
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    if read_timeout is not None:
        builder = builder.read_timeout(read_timeout)
    app = builder.build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(MessageHandler(filters.ATTACHMENT | filters.LOCATION, media))
    app.add_handler(CallbackQueryHandler(picked, pattern=r"^color:"))
    app.add_error_handler(errors)
    return app


@contextlib.asynccontextmanager
async def polling(app: Application) -> AsyncIterator[Application]:
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=dt.timedelta(seconds=2))
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def test_conversation_through_polling(api: LocalBotApi) -> None:
    user = api.user(language_code="en", first_name="Anna")
    errors = Errors()
    async with polling(build(api, errors)):
        user.send_command("/start")
        menu = await user.wait_for_text_async("Welcome!")
        assert menu.text == "Welcome! Pick one:"
        assert menu.button_texts == ["Red", "Blue"]
        assert menu.protect_content
        mark = user.mark()
        user.send_text("hello there")
        echoed = await user.wait_for_text_async("echo: hello there", after=mark)
        assert echoed.reply_to == mark + 1
        user.press("Blue")
        edited = await user.wait_for_async(lambda m: m.text == "You picked blue")
        assert (edited.message_id, edited.edited, edited.buttons) == (menu.message_id, True, [])
        assert [a["text"] for a in user.callback_answers()] == ["picked color:blue"]
        for send, kind in (
            (user.send_sticker, "Sticker"),
            (user.send_photo, "PhotoSize"),
            (user.send_voice, "Voice"),
            (user.send_document, "Document"),
            (user.send_location, "Location"),
        ):
            mark = user.mark()
            send()
            await user.wait_for_text_async(f"got {kind}", after=mark)
    assert errors.seen == []
    # PTB confirmed every update on shutdown, and the wire carried what the bot asked for.
    assert api.pending_updates() == 0
    first_reply = api.calls("sendMessage")[0]
    assert first_reply.params["protect_content"] is True
    assert first_reply.params["parse_mode"] == "HTML"
    assert first_reply.params["reply_markup"] == MENU.to_dict()
    # On stop PTB confirms what it processed with a short getUpdates (which may cut off its
    # cancelled long poll with a 409 that nobody receives any more).
    assert any(c.params["timeout"] == 0 and c.status == 200 for c in api.calls("getUpdates"))


async def test_bot_api_errors_map_to_ptb_exceptions(api: LocalBotApi) -> None:
    user = api.user()
    async with polling(build(api, Errors())) as app:
        with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
            await app.bot.send_message(user.id, "hi")
        with pytest.raises(BadRequest, match="Chat not found"):
            await app.bot.send_message(424242, "hi")
        user.send_command("/start")
        menu = await user.wait_for_text_async("Welcome!")
        with pytest.raises(BadRequest, match="Message is not modified"):
            await app.bot.edit_message_text(
                "<b>Welcome!</b> Pick one:",
                chat_id=user.id,
                message_id=menu.message_id,
                parse_mode="HTML",
                reply_markup=MENU,
            )
        user.block()
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await app.bot.send_message(user.id, "still there?")
        assert await app.bot.delete_message(user.id, menu.message_id) is True
    assert menu.message_id in user.deleted_message_ids()


async def test_429_is_retried_by_the_rate_limiter_and_delivered_once(
    api: LocalBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB 22.8 builds RetryAfter by reading its own deprecated int ``retry_after``, which warns
    # (an error under our filterwarnings) unless timedelta mode is opted into.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    user = api.user()
    api.inject_fault("sendMessage", "429", retry_after=1)
    errors = Errors()
    async with polling(build(api, errors, rate_limiter=AIORateLimiter(max_retries=2))):
        user.send_text("once")
        await user.wait_for_text_async("echo: once")
    assert errors.seen == []
    assert [m.text for m in user.bot_messages()] == ["echo: once"]
    assert [(c.status, c.fault) for c in api.calls("sendMessage")] == [(429, "429"), (200, None)]


async def test_timeout_fault_surfaces_as_timed_out(api: LocalBotApi) -> None:
    user = api.user()
    api.inject_fault("sendMessage", "timeout")
    errors = Errors()
    async with polling(build(api, errors, read_timeout=0.3)):
        user.send_text("lost reply")
        await asyncio.wait_for(errors.event.wait(), timeout=5)
    assert [type(e) for e in errors.seen] == [TimedOut]
    assert user.bot_messages() == []
    (call,) = api.calls("sendMessage")
    assert (call.fault, call.applied) == ("timeout", False)


async def test_webhook_mode_with_secret_token(api: LocalBotApi) -> None:
    user = api.user()
    port = free_port()
    app = build(api, Errors())
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="hook",
        webhook_url=f"http://127.0.0.1:{port}/hook",
        secret_token="webhook-secret",
    )
    try:
        assert api.webhook_info()["url"] == f"http://127.0.0.1:{port}/hook"
        assert api.calls("setWebhook")[0].params["secret_token"] == "webhook-secret"
        user.send_text("via webhook")
        await user.wait_for_text_async("echo: via webhook")
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert api.calls("getUpdates") == []
