"""The bot's timer loops (escalation, deferred submissions, housekeeping): one way to repeat a
round."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.logs import describe


async def every(
    interval: float,
    job: Callable[[], Awaitable[object]],
    what: str,
    log: logging.Logger,
    *,
    first_now: bool = False,
) -> None:
    """Run `job` every `interval` seconds until cancelled (`first_now`: once before the first
    wait). A failed round is logged on the caller's logger by type only, never its content,
    and the next round tries again; a cancellation ends the loop (bot.runner.stop_background)."""
    if first_now:
        await _round(job, what, log)
    while True:
        await asyncio.sleep(interval)
        await _round(job, what, log)


async def _round(job: Callable[[], Awaitable[object]], what: str, log: logging.Logger) -> None:
    try:
        await job()
    except Exception as error:
        log.warning("%s round failed: %s", what, describe(error))
