"""Only one process long-polls for a bot: a second one waits a lease period, then refuses.

Telegram lets one getUpdates run per bot; a second poller makes each of them fail with 409
Conflict in turn, so updates are split at random between two processes and each failure is
logged. Before polling, a process takes a lease:

- with Redis: a key (named after a hash of the token, never the token) set with NX and a
  time-to-live of `INTAKE_POLL_LEASE_SECONDS`, renewed every third of that while running, and
  deleted at a clean stop; a process that died stops renewing, so its lease runs out;
- without Redis, in the database: a PostgreSQL advisory lock held by one connection, or on
  SQLite an exclusive lock on a file next to the database file (one per bot); both end with
  the process.

A process that finds the lease taken retries for one lease period (so a restart right after a
crash takes over once the dead holder's lease has run out), then stops with one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import secrets
from pathlib import Path
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.logs import describe
from bot.settings import SettingsError

log = logging.getLogger(__name__)

RETRY_EVERY = 0.5  # seconds between attempts while waiting for the lease


class AlreadyPolling(SettingsError):
    """Another process holds the lease: one line, exit status 2."""

    def __init__(self) -> None:
        super().__init__(
            "another intake-bot process is already receiving this bot's updates by long"
            " polling; stop it first, or run several behind a webhook (INTAKE_WEBHOOK_URL)"
        )


class Lease(Protocol):
    async def try_take(self) -> bool: ...

    async def release(self) -> None: ...


def _name(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:24]


_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLease:
    def __init__(self, redis: Redis, token: str, seconds: float) -> None:
        self._redis = redis
        self._key = f"intake:poller:{_name(token)}"
        self._mine = secrets.token_hex(8)
        self._ms = max(1000, int(seconds * 1000))
        self._seconds = seconds
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)
        self._task: asyncio.Task[None] | None = None

    async def try_take(self) -> bool:
        if not await self._redis.set(self._key, self._mine, nx=True, px=self._ms):
            return False
        self._task = asyncio.create_task(self._keep())
        return True

    async def _keep(self) -> None:
        lost = False
        while True:
            await asyncio.sleep(self._seconds / 3)
            try:
                held = bool(await self._renew(keys=[self._key], args=[self._mine, self._ms]))
            except RedisError as error:
                log.warning("long-polling lease not renewed: %s", describe(error))
                continue
            if not held and not lost:
                log.error("another process took the long-polling lease; two may now poll")
            lost = not held

    async def release(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(RedisError):
            await self._release(keys=[self._key], args=[self._mine])


class PostgresLease:
    """An advisory lock on a connection of its own: released when that connection ends."""

    def __init__(self, database: AsyncEngine, token: str) -> None:
        self._database = database
        self._key = int(_name(token)[:15], 16)  # fits a signed 64-bit key
        self._connection: AsyncConnection | None = None

    async def try_take(self) -> bool:
        connection = await self._database.connect()
        taken = await connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key})
        await connection.commit()
        if taken:
            self._connection = connection
            return True
        await connection.close()
        return False

    async def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.execute(
                    text("SELECT pg_advisory_unlock(:k)"), {"k": self._key}
                )
            await self._connection.close()
            self._connection = None


class FileLease:
    """An exclusive lock on a file beside the SQLite database: the kernel ends it with us."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    async def try_take(self) -> bool:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def lease_for(redis: Redis | None, database: AsyncEngine, token: str, seconds: float) -> Any:
    """The lease for this deployment, or None where one process is all there can be."""
    if redis is not None:
        return RedisLease(redis, token, seconds)
    if database.dialect.name == "postgresql":
        return PostgresLease(database, token)
    path = database.url.database
    if database.dialect.name == "sqlite" and path and path != ":memory:":
        # One per bot: the two bots of sealed mode may share one database file.
        return FileLease(Path(f"{path}.poller-{_name(token)[:12]}.lock"))
    return None


async def take_polling_lease(
    redis: Redis | None, database: AsyncEngine, token: str, seconds: float
) -> Lease | None:
    """Take the lease, waiting up to one lease period; AlreadyPolling if it stays taken."""
    lease: Lease | None = lease_for(redis, database, token, seconds)
    if lease is None:
        return None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    waiting = False
    while not await lease.try_take():
        if loop.time() >= deadline:
            raise AlreadyPolling
        if not waiting:
            log.info("another process holds the long-polling lease; waiting up to %gs", seconds)
            waiting = True
        await asyncio.sleep(RETRY_EVERY)
    return lease
