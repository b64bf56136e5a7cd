"""Stopping the bot ends its background loops: a round in progress is finished, not cut off
(a database call cancelled midway logs a traceback as its connection is collected), and a
loop whose cancellation was swallowed still ends."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.loops import every, stop_loops

log = logging.getLogger(__name__)


async def test_a_round_in_progress_is_finished_and_no_other_starts() -> None:
    rounds: list[str] = []
    started = asyncio.Event()

    async def slow_round() -> None:
        rounds.append("started")
        started.set()
        await asyncio.sleep(0.3)
        rounds.append("finished")

    stopping = asyncio.Event()
    task = asyncio.create_task(every(0.01, slow_round, "test", log, stopping))
    await started.wait()
    await asyncio.wait_for(stop_loops([task], stopping), timeout=10)
    assert rounds == ["started", "finished"]


async def _loop_that_swallows_one_cancel(rounds: list[str]) -> None:
    """Like a housekeeping round whose library I/O ate the CancelledError, then a long sleep."""
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(3600)
    rounds.append("swallowed")
    await asyncio.sleep(3600)


async def test_a_loop_that_swallowed_its_cancellation_still_ends() -> None:
    rounds: list[str] = []
    task = asyncio.create_task(_loop_that_swallows_one_cancel(rounds))
    await asyncio.sleep(0)
    await asyncio.wait_for(stop_loops([task], asyncio.Event(), grace=0.1), timeout=10)
    assert task.done()
    assert rounds == ["swallowed"]
