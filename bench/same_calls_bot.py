"""A bare python-telegram-bot bot that makes the intake bot's Bot API calls: a fair peer for
`bench/surge.py` (see bench/README.md).

/start and every other text are answered with sendMessage of a screen (``bench/peer_screens.py``:
a question-sized text and five buttons); every button press with answerCallbackQuery, then
editMessageText of that message into the next screen, as the intake bot shows its next question.
No state, no lock, no encryption, no database, no rate limiter; up to 256 updates at once, like
the intake bot's update processor.

Configuration from the environment (set by surge.py): PEER_BOT_TOKEN, PEER_API_URL (the
``base_url``, e.g. ``http://127.0.0.1:PORT/bot``); with PEER_WEBHOOK_URL (and PEER_WEBHOOK_PORT,
PEER_WEBHOOK_SECRET) it takes updates on a webhook instead of long polling. Stops on SIGINT or
SIGTERM.
"""

from __future__ import annotations

import sys
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

if __package__ in (None, ""):  # run as `python bench/same_calls_bot.py`
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import ptb_peer
from bench.peer_screens import next_step, screen


def keyboard(buttons: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in buttons])


async def show_first(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None:
        text, buttons = screen(1)
        await context.bot.send_message(message.chat_id, text, reply_markup=keyboard(buttons))


async def show_next(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    if query.message is not None:
        text, buttons = screen(next_step(query.data))
        await query.edit_message_text(text, reply_markup=keyboard(buttons))


def main() -> None:
    app = ptb_peer.application()
    app.add_handler(CommandHandler("start", show_first))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, show_first))
    app.add_handler(CallbackQueryHandler(show_next))
    ptb_peer.serve(app)


if __name__ == "__main__":
    main()
