"""A bound on updates fetched by long polling but not handled yet, so a surge waits at
Telegram instead of in this process's memory.

python-telegram-bot's updater fetches up to 100 updates a call and puts them in the
application's queue, and the application starts a task for each at once, so without a bound a
surge of thousands of people becomes thousands of waiting tasks held in memory (see
bench/README.md, "Open drafts and memory"). The gate is taken before each getUpdates call, never
while a fetched batch is being queued: when the bot stops, nothing fetched is dropped, and
Telegram keeps what was not fetched until the next call (it keeps updates for 24 hours).
"""

from __future__ import annotations

import asyncio


class BacklogQueue(asyncio.Queue[object]):
    """The application's update queue, counting updates from queued to handled (the
    application marks each `task_done` when its handlers have finished)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.pending = 0
        self._room = asyncio.Event()
        self._room.set()

    def put_nowait(self, item: object) -> None:
        super().put_nowait(item)
        self.pending += 1
        if self.pending >= self.limit:
            self._room.clear()

    def task_done(self) -> None:
        super().task_done()
        self.pending -= 1
        if self.pending < self.limit:
            self._room.set()

    async def room(self) -> None:
        """Return once fewer than `limit` updates are waiting or being handled."""
        await self._room.wait()
