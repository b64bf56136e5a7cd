"""Message ids to delete later, kept only as long as Telegram allows deleting them.

A bot may delete messages of a private chat, its own and the person's, for 48 hours. To erase a
conversation on request, or to clean up the questionnaire once it is sent, the bot remembers the
ids it sees, per owner (a pseudonym), with the time each was sent. An id is not content, but it
is tied to a pseudonym, so nothing is kept beyond `max_age` (at most 48 hours): older entries are
never returned and are dropped on every access, by a sweep, and (Redis) with the whole key.

Times are Unix timestamps (`time.time()`, like Telegram's message dates). An id remembered twice
keeps its earliest time, which is the one Telegram's deletion limit counts from.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from redis.asyncio import Redis

from storage.drafts import RedisKeys
from storage.unavailable import redis_errors

TELEGRAM_DELETE_WINDOW = 48 * 3600  # seconds a bot may delete messages in a private chat
MAX_PER_OWNER = 1000  # the newest ids kept per owner; a flood cannot grow the log without bound


class MessageLog(Protocol):
    """Per-owner message ids younger than `max_age`, for deleting them later."""

    async def remember(self, owner: str, message_id: int, *, at: float | None = None) -> None: ...

    async def recent(self, owner: str, *, since: float | None = None) -> list[int]: ...

    async def forget(self, owner: str, message_ids: Iterable[int] | None = None) -> None: ...

    async def sweep(self) -> int: ...

    async def aclose(self) -> None: ...


def _check_owner(owner: str) -> None:
    if not isinstance(owner, str) or not owner:
        raise ValueError("owner must be a non-empty string")


def _check_id(message_id: int) -> int:
    if isinstance(message_id, bool) or not isinstance(message_id, int) or message_id <= 0:
        raise ValueError("a message id is a positive whole number")
    return message_id


def _check_settings(max_age: float, max_per_owner: int) -> None:
    if not 0 < max_age <= TELEGRAM_DELETE_WINDOW:
        raise ValueError(
            f"max_age must be positive and at most {TELEGRAM_DELETE_WINDOW} seconds (48 hours)"
        )
    if isinstance(max_per_owner, bool) or not isinstance(max_per_owner, int) or max_per_owner < 1:
        raise ValueError("max_per_owner must be a whole number of at least 1")


def _ids(message_ids: Iterable[int]) -> set[int]:
    return {_check_id(i) for i in message_ids}


class MemoryMessageLog:
    """Message ids in this process's memory.

    Each owner's entries are pruned whenever that owner is touched, and at most every
    `max_age / 48` seconds (an hour at the default) the next `remember` or `recent` also drops
    expired entries of all owners; `sweep()` does so at once, for a periodic job.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        max_age: float = TELEGRAM_DELETE_WINDOW,
        max_per_owner: int = MAX_PER_OWNER,
    ) -> None:
        _check_settings(max_age, max_per_owner)
        self._clock = clock
        self._max_age = float(max_age)
        self._max_per_owner = max_per_owner
        self._sweep_every = self._max_age / 48
        self._owners: dict[str, dict[int, float]] = {}  # owner -> {message id: sent at}
        self._next_sweep = clock() + self._sweep_every

    def __len__(self) -> int:
        """How many owners have entries (for tests and metrics; no owner is revealed)."""
        return len(self._owners)

    async def remember(self, owner: str, message_id: int, *, at: float | None = None) -> None:
        _check_owner(owner)
        _check_id(message_id)
        now = self._clock()
        self._maybe_sweep(now)
        sent = now if at is None else float(at)
        if sent <= now - self._max_age:
            return  # already too old to delete: not worth keeping
        entries = self._owners.get(owner)
        if entries is not None:
            self._prune(owner, entries, now)  # may drop the owner when nothing is left
        entries = self._owners.setdefault(owner, {})
        entries[message_id] = min(sent, entries.get(message_id, sent))
        if len(entries) > self._max_per_owner:
            newest = sorted(entries.items(), key=lambda item: item[1])[-self._max_per_owner :]
            self._owners[owner] = dict(newest)

    async def recent(self, owner: str, *, since: float | None = None) -> list[int]:
        _check_owner(owner)
        now = self._clock()
        self._maybe_sweep(now)
        entries = self._owners.get(owner)
        if entries is None:
            return []
        self._prune(owner, entries, now)
        return sorted(i for i, sent in entries.items() if since is None or sent >= since)

    async def forget(self, owner: str, message_ids: Iterable[int] | None = None) -> None:
        _check_owner(owner)
        if message_ids is None:
            self._owners.pop(owner, None)
            return
        drop = _ids(message_ids)
        entries = self._owners.get(owner)
        if entries is None:
            return
        for message_id in drop:
            entries.pop(message_id, None)
        if not entries:
            del self._owners[owner]

    async def sweep(self) -> int:
        """Drop every expired entry now; returns how many were dropped."""
        now = self._clock()
        self._next_sweep = now + self._sweep_every
        dropped = 0
        for owner, entries in list(self._owners.items()):
            dropped += self._prune(owner, entries, now)
        return dropped

    async def aclose(self) -> None:
        self._owners.clear()

    def _maybe_sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + self._sweep_every
        for owner, entries in list(self._owners.items()):
            self._prune(owner, entries, now)

    def _prune(self, owner: str, entries: dict[int, float], now: float) -> int:
        cutoff = now - self._max_age
        old = [i for i, sent in entries.items() if sent <= cutoff]
        for message_id in old:
            del entries[message_id]
        if not entries:
            self._owners.pop(owner, None)
        return len(old)


def _escape_glob(text: str) -> str:
    """Literal text for a SCAN MATCH pattern."""
    return "".join(f"\\{c}" if c in "\\*?[]" else c for c in text)


class RedisMessageLog:
    """Message ids in Redis: per owner a sorted set of ids scored by the time they were sent.

    The set lives under `RedisKeys.build("messages", owner)`. Every write and read first removes
    entries older than `max_age` (ZREMRANGEBYSCORE), and every write sets the key to expire
    `max_age` after it, so an owner who goes quiet leaves nothing behind. An entry can therefore
    sit, never returned, until the owner's next access or that expiry; `sweep()` (run it
    periodically) removes expired entries of all owners so none outlives `max_age` for long.
    """

    def __init__(
        self,
        redis: str | Redis,
        *,
        prefix: str = "intake",
        max_age: float = TELEGRAM_DELETE_WINDOW,
        max_per_owner: int = MAX_PER_OWNER,
        clock: Callable[[], float] = time.time,
        socket_timeout: float = 5.0,
    ) -> None:
        _check_settings(max_age, max_per_owner)
        if isinstance(redis, str):
            self._redis = Redis.from_url(
                redis, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout
            )
            self._owns_client = True
        else:
            self._redis = redis
            self._owns_client = False
        self.keys = RedisKeys(prefix)
        self._max_age = float(max_age)
        self._expire = max(1, math.ceil(max_age))
        self._max_per_owner = max_per_owner
        self._clock = clock

    def key(self, owner: str) -> str:
        return self.keys.build("messages", owner)

    async def remember(self, owner: str, message_id: int, *, at: float | None = None) -> None:
        key = self.key(owner)
        _check_id(message_id)
        now = self._clock()
        sent = now if at is None else float(at)
        cutoff = now - self._max_age
        if sent <= cutoff:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", cutoff)
            pipe.zadd(key, {str(message_id): sent}, lt=True)  # keep the earliest time
            pipe.zremrangebyrank(key, 0, -self._max_per_owner - 1)
            pipe.expire(key, self._expire)
            with redis_errors("message log", "remember"):
                await pipe.execute()

    async def recent(self, owner: str, *, since: float | None = None) -> list[int]:
        key = self.key(owner)
        cutoff = self._clock() - self._max_age
        low = f"({cutoff!r}" if since is None or since <= cutoff else repr(float(since))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", cutoff)
            pipe.zrangebyscore(key, low, "+inf")
            with redis_errors("message log", "recent"):
                _, members = await pipe.execute()
        return sorted({int(m) for m in members})

    async def forget(self, owner: str, message_ids: Iterable[int] | None = None) -> None:
        key = self.key(owner)
        if message_ids is None:
            with redis_errors("message log", "forget"):
                await self._redis.delete(key)
            return
        drop = _ids(message_ids)
        if not drop:
            return
        with redis_errors("message log", "forget"):
            await self._redis.zrem(key, *(str(i) for i in sorted(drop)))

    async def sweep(self) -> int:
        """Remove expired entries of every owner under this prefix; returns how many."""
        cutoff = self._clock() - self._max_age
        stem = self.keys.build("messages", "-")[:-1]  # "<prefix>:messages:"
        pattern = _escape_glob(stem) + "*"
        dropped = 0
        with redis_errors("message log", "sweep"):
            async for key in self._redis.scan_iter(match=pattern, count=500, _type="zset"):
                dropped += int(await self._redis.zremrangebyscore(key, "-inf", cutoff))
        return dropped

    async def aclose(self) -> None:
        if self._owns_client:
            await self._redis.aclose()
