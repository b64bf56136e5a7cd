"""The bot's timer loops (escalation, deferred submissions, housekeeping): one way to repeat a
round, and one way to stop them between rounds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.logs import describe


async def every(
    interval: float,
    job: Callable[[], Awaitable[object]],
    what: str,
    log: logging.Logger,
    stopping: asyncio.Event,
    *,
    first_now: bool = False,
    wake: asyncio.Event | None = None,
) -> None:
    """Run `job` every `interval` seconds until `stopping` is set (`first_now`: once before the
    first wait). A failed round is logged on the caller's logger by type only, never its
    content, and the next round tries again. A round in progress when `stopping` is set is
    finished, not cut off: a round cancelled inside a database call leaves its connection to
    be reset by the garbage collector, which logs a traceback (see `stop_loops`). `wake`, when
    set, starts the next round at once (it is cleared as the round starts)."""
    if first_now:
        await _round(job, what, log)
    while not await _stopped_within(stopping, interval, wake):
        if wake is not None:
            wake.clear()
        await _round(job, what, log)


async def _stopped_within(
    stopping: asyncio.Event, seconds: float, wake: asyncio.Event | None = None
) -> bool:
    waits = [asyncio.ensure_future(stopping.wait())]
    if wake is not None:
        waits.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
    return stopping.is_set()


async def _round(job: Callable[[], Awaitable[object]], what: str, log: logging.Logger) -> None:
    try:
        await job()
    except Exception as error:
        log.warning("%s round failed: %s", what, describe(error))


GRACE_SECONDS = 10.0
RECANCEL_SECONDS = 1.0


async def stop_loops(
    tasks: list[asyncio.Task[None]], stopping: asyncio.Event, *, grace: float = GRACE_SECONDS
) -> None:
    """Ask the loops to stop after their current round, wait `grace` seconds for that, then
    cancel what is still running and wait until each has ended.

    A cancellation that lands inside a library's I/O can be swallowed (redis-py, a database
    driver): the loop would then go on to wait for its whole interval, an hour for
    housekeeping, and the bot would not stop. So a loop still running a moment later is
    cancelled again.
    """
    stopping.set()
    if tasks:
        await asyncio.wait(tasks, timeout=grace)
    for task in tasks:
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=RECANCEL_SECONDS)
        with contextlib.suppress(asyncio.CancelledError):
            await task
