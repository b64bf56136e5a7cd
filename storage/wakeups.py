"""Wake-ups between the two bots of sealed mode: PostgreSQL's LISTEN/NOTIFY, without content.

The intake notifies the desk when it records a signal, and the desk the intake when it queues a
delivery; the notification carries nothing but its channel's name and is sent when the writing
transaction commits. A listener only shortens the wait: the loops also look every
`INTAKE_SEALED_POLL_SECONDS`, so a lost connection (or SQLite, which has no notifications)
costs at most that much delay, never a message.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

log = logging.getLogger(__name__)

SIGNALS = "intake_desk_signals"
"""The desk listens: the intake recorded a signal (`storage.signals`)."""
DELIVERIES = "intake_deliveries"
"""The intake listens: the desk queued a message to a person (`storage.deliveries`)."""


async def notify(session: AsyncSession, channel: str) -> None:
    """Wake whoever listens on `channel` once the caller's transaction commits (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel})


class Listener:
    """Sets `event` whenever `channel` is notified, on a connection of its own."""

    def __init__(self, engine: AsyncEngine, channel: str, event: asyncio.Event) -> None:
        self._engine = engine
        self._channel = channel
        self._event = event
        self._connection: AsyncConnection | None = None

    @property
    def listening(self) -> bool:
        raw = self._raw()
        return raw is not None and not raw.is_closed()

    def _raw(self) -> Any:
        if self._connection is None or self._connection.closed:
            return None
        try:
            return self._connection.sync_connection.connection.driver_connection  # type: ignore[union-attr]
        except AttributeError:  # pragma: no cover - a connection already given back
            return None

    async def ensure(self) -> None:
        """Listen, if not already (PostgreSQL only; a failure is logged and tried next time)."""
        if self._engine.dialect.name != "postgresql" or self.listening:
            return
        await self.aclose()
        try:
            connection = await self._engine.connect()
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None
            await raw.add_listener(self._channel, self._heard)
        except Exception as error:
            log.warning("not listening for wake-ups (the loop polls): %s", type(error).__name__)
            return
        self._connection = connection
        self._event.set()  # something may have come while nobody listened

    def _heard(self, *_: object) -> None:
        self._event.set()

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception as error:  # a connection the server already dropped
                log.debug("listener connection not closed cleanly: %s", type(error).__name__)
