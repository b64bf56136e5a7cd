"""The same-calls peer (bench/same_calls_bot.py) written in aiogram 3, what a Python developer
might pick instead: the same screens (``bench/peer_screens.py``) and the same calls, on aiogram's
default aiohttp session pointed at the local server with ``TelegramAPIServer``.

/start and every other text: sendMessage of a screen; every button press: answerCallbackQuery,
then editMessageText of that message into the next screen. No state, no storage; up to 256
updates at once (``tasks_concurrency_limit``), like the other bots.

Configuration from the environment (set by surge.py): PEER_BOT_TOKEN, PEER_API_URL
(python-telegram-bot's ``base_url``, ``http://127.0.0.1:PORT/bot``: the trailing ``/bot`` is
dropped here); with PEER_WEBHOOK_URL (and PEER_WEBHOOK_PORT, PEER_WEBHOOK_SECRET) it takes
updates on a webhook instead of long polling. Stops on SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

if __package__ in (None, ""):  # run as `python bench/aiogram_bot.py`
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.peer_screens import next_step, screen

ALLOWED = ["message", "callback_query"]


def keyboard(buttons: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(text=t, callback_data=d)] for t, d in buttons]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def screens() -> Router:
    router = Router()

    @router.message(Command("start"))
    @router.message(F.text)
    async def show_first(message: Message) -> None:
        text, buttons = screen(1)
        await message.answer(text, reply_markup=keyboard(buttons))

    @router.callback_query()
    async def show_next(query: CallbackQuery) -> None:
        await query.answer()
        if isinstance(query.message, Message):
            text, buttons = screen(next_step(query.data))
            await query.message.edit_text(text, reply_markup=keyboard(buttons))

    return router


def make_bot() -> Bot:
    base = os.environ["PEER_API_URL"].removesuffix("/bot")
    session = AiohttpSession(api=TelegramAPIServer.from_base(base))
    return Bot(os.environ["PEER_BOT_TOKEN"], session=session)


async def poll() -> None:
    dispatcher = Dispatcher()
    dispatcher.include_router(screens())
    bot = make_bot()
    await bot.delete_webhook()
    await dispatcher.start_polling(
        bot, polling_timeout=30, allowed_updates=ALLOWED, tasks_concurrency_limit=256
    )


def serve_webhook(url: str) -> None:
    dispatcher = Dispatcher()
    dispatcher.include_router(screens())
    bot = make_bot()
    secret = os.environ.get("PEER_WEBHOOK_SECRET")

    async def on_startup() -> None:
        await bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED)

    dispatcher.startup.register(on_startup)
    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, secret_token=secret).register(app, urlsplit(url).path)
    setup_application(app, dispatcher, bot=bot)
    web.run_app(app, host="127.0.0.1", port=int(os.environ["PEER_WEBHOOK_PORT"]), print=None)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    webhook = os.environ.get("PEER_WEBHOOK_URL")
    if webhook:
        serve_webhook(webhook)
    else:
        asyncio.run(poll())


if __name__ == "__main__":
    main()
