"""What the two python-telegram-bot peers (bench/echo_bot.py, bench/same_calls_bot.py) share:
the application as the surge configures it, and serving it by long polling or a webhook.

Configuration from the environment (set by surge.py): PEER_BOT_TOKEN, PEER_API_URL (the
``base_url``, e.g. ``http://127.0.0.1:PORT/bot``); with PEER_WEBHOOK_URL (and PEER_WEBHOOK_PORT,
PEER_WEBHOOK_SECRET) updates come on a webhook instead of long polling.
"""

from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit

from telegram.ext import Application, ApplicationBuilder
from telegram.request import HTTPXRequest

ALLOWED = ["message", "callback_query"]


def application() -> Application:  # type: ignore[type-arg]
    """Up to 256 updates at once, like the intake bot's update processor, so the comparison
    measures the work per update; a bare httpx pool of 64; no rate limiter."""
    logging.basicConfig(level=logging.WARNING)
    return (
        ApplicationBuilder()
        .token(os.environ["PEER_BOT_TOKEN"])
        .base_url(os.environ["PEER_API_URL"])
        .request(HTTPXRequest(connection_pool_size=64))
        .get_updates_request(HTTPXRequest())
        .concurrent_updates(256)
        .build()
    )


def serve(app: Application) -> None:  # type: ignore[type-arg]
    """Until SIGINT or SIGTERM."""
    webhook = os.environ.get("PEER_WEBHOOK_URL")
    if webhook:
        app.run_webhook(
            listen="127.0.0.1",
            port=int(os.environ["PEER_WEBHOOK_PORT"]),
            url_path=urlsplit(webhook).path.lstrip("/"),
            webhook_url=webhook,
            secret_token=os.environ.get("PEER_WEBHOOK_SECRET"),
            allowed_updates=ALLOWED,
            close_loop=True,
        )
    else:
        app.run_polling(allowed_updates=ALLOWED, poll_interval=0, timeout=30, close_loop=True)
