"""A bare python-telegram-bot echo bot: the baseline `bench/surge.py` compares the intake bot with.

Long polling; every text message (commands included) is answered with its own text, every
callback query with an empty answerCallbackQuery. No storage, no encryption, no rate limiter.
It processes up to 256 updates at once, like the intake bot's update processor, so the
comparison measures the work per update rather than python-telegram-bot's default of handling
updates one at a time.

Configuration from the environment (set by surge.py): PEER_BOT_TOKEN, PEER_API_URL (the
``base_url``, e.g. ``http://127.0.0.1:PORT/bot``); with PEER_WEBHOOK_URL (and PEER_WEBHOOK_PORT,
PEER_WEBHOOK_SECRET) it takes updates on a webhook instead of long polling. Stops on SIGINT or
SIGTERM.
"""

from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await context.bot.send_message(message.chat_id, message.text)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    builder = (
        ApplicationBuilder()
        .token(os.environ["PEER_BOT_TOKEN"])
        .base_url(os.environ["PEER_API_URL"])
        .request(HTTPXRequest(connection_pool_size=64))
        .get_updates_request(HTTPXRequest())
        .concurrent_updates(256)
    )
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(answer))
    allowed = ["message", "callback_query"]
    webhook = os.environ.get("PEER_WEBHOOK_URL")
    if webhook:
        app.run_webhook(
            listen="127.0.0.1",
            port=int(os.environ["PEER_WEBHOOK_PORT"]),
            url_path=urlsplit(webhook).path.lstrip("/"),
            webhook_url=webhook,
            secret_token=os.environ.get("PEER_WEBHOOK_SECRET"),
            allowed_updates=allowed,
            close_loop=True,
        )
    else:
        app.run_polling(allowed_updates=allowed, poll_interval=0, timeout=30, close_loop=True)


if __name__ == "__main__":
    main()
