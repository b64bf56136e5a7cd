"""After an erasure, make the storage's own files forget too, in batches.

Deleting a row or a key is not erasing it from the files behind it:

- Redis writes every command to its append-only file (and, with `save` set, snapshots to
  dump.rdb): every sealed version of a draft, and key names that carry the person's pseudonym,
  stay there after `/forget` or expiry, openable with the master key. A rewrite (BGREWRITEAOF,
  BGSAVE) writes only what is alive now and removes the old files.
- PostgreSQL keeps the old row versions (with the wrapped key and ciphertext) in the table's
  pages. Plain VACUUM only marks their space free: the bytes stay in the page until a new row
  happens to overwrite them. `VACUUM (FULL)` writes the live rows into new files and drops the
  old ones, so the table files no longer hold them. It locks each table while it copies it:
  about a second in all for 10,000 cases (bench/compaction.py), during which queries on that
  table wait. It never waits more than LOCK_TIMEOUT_SECONDS for a table in use (it is retried).
- SQLite (with secure_delete) keeps old pages only in its write-ahead log until a checkpoint.

`Compactor.request()` is called after an erasure or a purge is committed; it runs at once if
the last run is at least `interval` seconds ago, otherwise when it is, so a surge of `/forget`
costs one rewrite per interval, not one per person. A failed run (Redis away, a table locked,
SQLite readers holding the log) is logged without content and retried after `interval`.

What no run can reach: copies made before it (backups, replicas, PostgreSQL's WAL segments
until they are recycled and overwritten, disk blocks of deleted files). Those hold ciphertext
whose keys are wrapped by the master key: only destroying that key (after `keys rotate`) makes
them unreadable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import vacuum_full
from storage.erasure import checkpoint

log = logging.getLogger(__name__)

# Where wrapped keys, ciphertexts and pseudonyms live (the audit trail holds none).
ERASED_TABLES = ("cases", "case_entries", "persons")
DELIVERY_TABLES = ("deliveries",)
"""Sealed mode: the desk's messages to people, deleted by the intake once sent."""

# How long a VACUUM (FULL) may wait for a table lock before it gives up (and is retried later):
# waiting longer would queue the bot's own queries behind it.
LOCK_TIMEOUT_SECONDS = 1.0

# How long to wait for Redis to finish a rewrite or a snapshot before trying again later.
REDIS_REWRITE_TIMEOUT = 600.0
_POLL = 0.05


class CompactionFailed(Exception):
    """A part could not be compacted this time; it is retried later."""


@dataclass(frozen=True)
class RedisPersistence:
    """What Redis writes to disk, as far as it lets us see."""

    append_only: bool
    snapshots: bool
    replicas: int


async def redis_persistence(redis: Redis) -> RedisPersistence | None:
    """Redis's persistence settings, or None when it refuses CONFIG (a managed service)."""
    try:
        appendonly = await redis.config_get("appendonly")
        save = await redis.config_get("save")
        replication = await redis.info("replication")
    except ResponseError:
        return None
    return RedisPersistence(
        append_only=_text(appendonly.get("appendonly", "no")) == "yes",
        snapshots=bool(_text(save.get("save", "")).strip()),
        replicas=int(replication.get("connected_slaves", 0)),
    )


async def redis_warnings(redis: Redis) -> list[str]:
    """Lines for the start-up log and `intake-bot check`: where erased drafts may remain."""
    persistence = await redis_persistence(redis)
    if persistence is None:
        return [
            "Redis refuses CONFIG GET: the bot cannot rewrite its files after an erasure, so"
            " they may keep erased drafts (use a Redis the bot may configure, or no persistence)"
        ]
    if persistence.replicas:
        return [
            f"Redis has {persistence.replicas} replica(s): their files keep erased drafts until"
            " they rewrite them themselves"
        ]
    return []


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Compactor:
    """Rewrites Redis's files, vacuums PostgreSQL's erased tables, checkpoints SQLite's log."""

    def __init__(
        self,
        database: AsyncEngine | None,
        redis: Redis | None,
        *,
        interval: float,
        prefix: str = "intake",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._database = database
        self._redis = redis
        self._interval = interval
        self._prefix = prefix
        self._clock = clock
        self._sleep = sleep
        self._pending: set[str] = set()
        self._last_run: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._running = asyncio.Lock()
        self._config_refused = False
        self._closing = False
        self.runs = 0
        """Completed runs (each may cover many requests)."""
        self.requests = 0
        self.covered = 0
        """Requests made before the start of the last run that succeeded in every part."""

    @property
    def pending(self) -> frozenset[str]:
        return frozenset(self._pending)

    @property
    def idle(self) -> bool:
        """Nothing requested is waiting or running."""
        return not self._pending and not self._running.locked()

    def request(
        self, *, database: bool = True, redis: bool = True, deliveries: bool = False
    ) -> None:
        """After a committed erasure or purge: compact soon (at most once per interval).

        `deliveries` alone (sealed mode's intake, after sending the desk's messages): only that
        small table, whose deleted rows held chat ids and texts its own key opens."""
        if self._closing:
            return
        self.requests += 1
        if database and self._database is not None:
            self._pending.add("database")
        if deliveries and self._database is not None:
            self._pending.add("deliveries")
        if redis and self._redis is not None:
            self._pending.add("redis")
        if self._pending and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._drain())

    async def run(
        self, *, database: bool = True, redis: bool = True, deliveries: bool = False
    ) -> set[str]:
        """Compact these parts now; returns the parts that failed (logged, without content)."""
        parts = {"database"} if database and self._database is not None else set()
        if redis and self._redis is not None:
            parts.add("redis")
        if deliveries and self._database is not None:
            parts.add("deliveries")
        async with self._running:
            requests = self.requests
            self._pending -= parts
            self._last_run = self._clock()
            failed = set()
            for part in sorted(parts):
                try:
                    if part == "database":
                        await self._compact_database()
                    elif part == "deliveries":
                        await self._compact_database(DELIVERY_TABLES)
                    else:
                        await self._compact_redis()
                except Exception as error:  # logged (without content) and retried
                    failed.add(part)
                    log.warning("%s: %s; retrying in %.0f s", _what(part), _reason(error),
                                self._interval)  # fmt: skip
            self.runs += 1
            if not failed and not self._pending:
                self.covered = max(self.covered, requests)
        return failed

    async def _drain(self) -> None:
        while self._pending and not self._closing:
            if self._last_run is not None:
                wait = self._last_run + self._interval - self._clock()
                if wait > 0:
                    await self._sleep(wait)
            parts = set(self._pending)
            failed = await self.run(
                database="database" in parts, redis="redis" in parts,
                deliveries="deliveries" in parts,
            )  # fmt: skip
            self._pending |= failed

    async def aclose(self) -> None:
        """Stop (a run in progress is abandoned; what it did not finish is done next start)."""
        self._closing = True
        task = self._task
        while task is not None and not task.done():
            # A cancel that lands inside a database driver's I/O can be turned into an error
            # (and so swallowed): cancel again until the task is really gone.
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(task), 1.0)

    async def _compact_database(self, tables: tuple[str, ...] = ERASED_TABLES) -> None:
        assert self._database is not None
        if self._database.dialect.name == "sqlite":
            if not await checkpoint(self._database):
                raise CompactionFailed("readers keep the log busy")
            return
        await vacuum_full(self._database, tables, lock_timeout=LOCK_TIMEOUT_SECONDS)

    async def _compact_redis(self) -> None:
        assert self._redis is not None
        if self._config_refused:
            return
        persistence = await redis_persistence(self._redis)
        if persistence is None:
            self._config_refused = True  # said once at start (redis_warnings) and here
            log.warning("Redis refuses CONFIG GET: its files are not rewritten after erasures")
            return
        if not (persistence.append_only or persistence.snapshots):
            return
        # An expired key stays in memory (and so in a rewrite) until something touches it:
        # SCAN deletes the expired keys it passes.
        async for _key in self._redis.scan_iter(match=f"{self._prefix}:*", count=1000):
            pass
        if persistence.append_only:
            await _rewrite(self._redis, "BGREWRITEAOF", "aof_rewrites",
                           ("aof_rewrite_in_progress", "aof_rewrite_scheduled"),
                           "aof_last_bgrewrite_status")  # fmt: skip
        if persistence.snapshots:
            await _rewrite(self._redis, "BGSAVE SCHEDULE", "rdb_saves",
                           ("rdb_bgsave_in_progress",), "rdb_last_bgsave_status")  # fmt: skip


async def _rewrite(
    redis: Redis, command: str, counter: str, busy: tuple[str, ...], status: str
) -> None:
    """Start a rewrite that begins after now, and wait until it has finished."""
    deadline = time.monotonic() + REDIS_REWRITE_TIMEOUT
    while True:
        # Read before each attempt: a rewrite that was running then may finish meanwhile, but
        # ours (accepted only when none runs) keeps the busy flags up until it is done too.
        done_before = int((await redis.info("persistence")).get(counter, 0))
        try:
            await redis.execute_command(*command.split())
            break
        except ResponseError as error:
            # One is already running, started before our erasure: wait for it, then ours.
            if "in progress" not in str(error) or time.monotonic() > deadline:
                raise CompactionFailed(f"Redis refused {command.split()[0]}") from None
            await asyncio.sleep(_POLL)
    while True:
        info = await redis.info("persistence")
        if int(info.get(counter, 0)) > done_before and not any(int(info.get(b, 0)) for b in busy):
            break
        if time.monotonic() > deadline:
            raise CompactionFailed(f"{command.split()[0]} did not finish")
        await asyncio.sleep(_POLL)
    if _text(info.get(status, "ok")) != "ok":
        raise CompactionFailed(f"{command.split()[0]} failed")


def _what(part: str) -> str:
    return {
        "database": "database files not compacted after an erasure",
        "redis": "Redis files not rewritten after an erasure",
        "deliveries": "the deliveries table not compacted after sending",
    }[part]


def _reason(error: BaseException) -> str:
    if isinstance(error, CompactionFailed):
        return str(error)
    # The driver's own error (asyncpg's LockNotAvailableError) under SQLAlchemy's wrappers;
    # never the message: it could quote a statement or a URL.
    while isinstance(getattr(error, "orig", None), BaseException) or error.__cause__ is not None:
        error = getattr(error, "orig", None) or error.__cause__  # type: ignore[assignment]  # the loop ensures one is set
    return type(error).__name__
