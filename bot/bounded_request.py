"""The HTTP client for Bot API calls, with a bound on how many are handed to it at once.

httpcore's connection pool walks every connection (asking each whether it is idle or expired)
and every queued request each time it hands out or takes back a connection. In a surge of a
thousand people that walk was the largest single cost of the bot (`bench/surge.py --profile`).
Waiting for a slot on an asyncio semaphore first keeps httpcore's queue empty, and a small pool
keeps the walk short; calls wait their turn just as they did in httpcore's queue.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram.request import HTTPXRequest


class BoundedHTTPXRequest(HTTPXRequest):
    """`HTTPXRequest` that lets at most `connection_pool_size` calls into httpx at once."""

    def __init__(self, connection_pool_size: int, **kwargs: Any) -> None:
        super().__init__(connection_pool_size=connection_pool_size, **kwargs)
        self._slots = asyncio.Semaphore(connection_pool_size)

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        async with self._slots:
            return await super().do_request(*args, **kwargs)
