"""Stopping the bot ends its background loops even when a cancellation is swallowed."""

from __future__ import annotations

import asyncio
import contextlib

from bot.runner import stop_background


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
    await asyncio.wait_for(stop_background([task]), timeout=10)
    assert task.done()
    assert rounds == ["swallowed"]
