"""Serving the bot by long polling until told to stop: one path for `intake-bot run` and tests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.app import ALLOWED_UPDATES, build_application, on_startup
from bot.housekeeping import housekeeping_loop
from bot.notifications import escalation_loop
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)


async def serve_polling(
    settings: Settings,
    stop: asyncio.Event,
    *,
    started: Callable[[Services], Awaitable[None] | None] | None = None,
) -> None:
    """Start storage and the bot in this event loop, poll until `stop` is set, then shut down.

    Updates already fetched are finished before the application stops.
    """
    services = await Services.start(settings)
    try:
        app = build_application(services)
        async with app:
            await on_startup(app)
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES,
                timeout=settings.poll_timeout,
                poll_interval=0,
            )
            background = [
                asyncio.create_task(
                    escalation_loop(app.bot, services, settings.escalate_check_seconds)
                ),
                asyncio.create_task(
                    housekeeping_loop(
                        app.bot, services, settings.housekeeping_interval_minutes * 60
                    )
                ),
            ]
            log.info("bot started (long polling)")
            if started is not None:
                result = started(services)
                if result is not None:
                    await result
            await stop.wait()
            log.info("stopping: finishing updates in flight")
            for task in background:
                task.cancel()
            for task in background:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await app.updater.stop()
            await app.stop()
    finally:
        await services.aclose()
