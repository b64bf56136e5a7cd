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

import sys
from pathlib import Path

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

if __package__ in (None, ""):  # run as `python bench/echo_bot.py`
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import ptb_peer


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await context.bot.send_message(message.chat_id, message.text)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


def main() -> None:
    app = ptb_peer.application()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(answer))
    ptb_peer.serve(app)


if __name__ == "__main__":
    main()
