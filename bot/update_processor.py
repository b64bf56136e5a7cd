"""Serve different people concurrently while one person's updates run strictly in order.

python-telegram-bot starts one task per update in the order it fetched them; an asyncio lock per
person is granted first come, first served, so two messages sent together are applied in order.
Across processes the Redis draft lock does the same job.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from prometheus_client import Gauge
from telegram import Update
from telegram.ext import BaseUpdateProcessor

from storage.drafts import OwnerLocks


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, in_flight: Gauge | None = None, max_concurrent_updates: int = 256) -> None:
        """`in_flight` counts updates from their start to their last handler's end."""
        super().__init__(max_concurrent_updates)
        self._locks = OwnerLocks()
        self._in_flight = in_flight or Gauge("in_flight", "Updates being handled", registry=None)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        with self._in_flight.track_inprogress():
            key = _key_of(update)
            if key is None:
                await coroutine
                return
            async with self._locks.hold(key):
                await coroutine

    async def initialize(self) -> None:
        """Nothing to prepare: locks are created on demand."""

    async def shutdown(self) -> None:
        """Nothing to release: locks vanish with their last waiter."""


def _key_of(update: object) -> str | None:
    if isinstance(update, Update) and update.effective_user is not None:
        return str(update.effective_user.id)
    return None
