"""Abuse limits: a per-owner flood limit and global event counters, in Redis or in memory.

The flood limit is a token bucket per owner: it holds at most `burst` tokens, a hit takes one,
and tokens flow back at `burst / window` per second. So at most `burst` hits pass in a row, a
steady sender gets `burst` hits per `window`, and an owner idle for `window` seconds has the full
burst again. When a hit is refused, `retry_after` says when the next one would pass, and
`first_refusal` marks only the first refused hit after an allowed one: the bot tells the person
to slow down once per run of refused hits, never once per flooded message.

Counters count named events ("new_case", never an owner) in fixed windows: a window starts with
the first event after the previous window ended and lasts `window` seconds. `once` answers True
the first time within `ttl` seconds, to alert admins once per window across processes.

Redis implementations share one budget between bot processes: the bucket is updated by a Lua
script (atomic, timed by the Redis server's clock, so processes on hosts whose clocks disagree
still agree); every key expires by itself. Redis errors become `StateUnavailable`; the caller
decides to fail open. Owners are pseudonyms and never appear in logs or error messages.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from storage.drafts import RedisKeys
from storage.unavailable import redis_errors


@dataclass(frozen=True)
class Decision:
    """The verdict on one hit.

    `retry_after`: seconds until the next hit would be allowed (0.0 when it would be now).
    `first_refusal`: true only for the first refused hit after an allowed one.
    """

    allowed: bool
    retry_after: float
    first_refusal: bool = False


class FloodLimiter(Protocol):
    """At most `burst` hits in a row per owner, refilled at `burst / window` per second."""

    async def hit(self, owner: str) -> Decision: ...

    async def forget(self, owner: str) -> None:
        """Drop the owner's bucket (when the person erases everything)."""

    async def aclose(self) -> None: ...


class EventCounter(Protocol):
    """Counts named global events in fixed windows; `once` for once-per-period alerts."""

    async def add(self, name: str) -> int: ...

    async def once(self, name: str, ttl: float) -> bool: ...

    async def aclose(self) -> None: ...


def _check_name(value: str, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")


def _check_limits(burst: int, window: float) -> None:
    if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
        raise ValueError("burst must be a whole number of at least 1")
    if not window > 0 or math.isinf(window):
        raise ValueError("window must be a positive number of seconds")


def _check_positive(value: float, what: str) -> None:
    if not value > 0 or math.isinf(value):
        raise ValueError(f"{what} must be a positive number of seconds")


# Refills are float arithmetic: a bucket within this of a whole token counts as holding it.
_EPSILON = 1e-9


def _milliseconds(seconds: float) -> int:
    """Whole milliseconds for PX/PEXPIRE, never 0 (which Redis rejects)."""
    return max(1, math.ceil(seconds * 1000))


def _client(redis: str | Redis, socket_timeout: float) -> tuple[Redis, bool]:
    """A client from a URL (ours to close) or the caller's shared client (theirs)."""
    if isinstance(redis, str):
        client = Redis.from_url(
            redis, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout
        )
        return client, True
    return redis, False


# --- flood limit -----------------------------------------------------------------------------


@dataclass
class _Bucket:
    tokens: float
    updated: float
    refused: bool = False


class MemoryFloodLimiter:
    """Token buckets in this process's memory; an idle owner's bucket is dropped once full."""

    def __init__(
        self, burst: int, window: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        _check_limits(burst, window)
        self._burst = burst
        self._window = float(window)
        self._rate = burst / self._window
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._next_sweep = clock() + self._window

    def __len__(self) -> int:
        return len(self._buckets)

    async def forget(self, owner: str) -> None:
        self._buckets.pop(owner, None)

    async def hit(self, owner: str) -> Decision:
        _check_name(owner, "owner")
        now = self._clock()
        self._sweep(now)
        bucket = self._buckets.get(owner)
        if bucket is None:
            bucket = self._buckets[owner] = _Bucket(float(self._burst), now)
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(float(self._burst), bucket.tokens + elapsed * self._rate)
        bucket.updated = now
        first = False
        if bucket.tokens >= 1 - _EPSILON:
            bucket.tokens = max(0.0, bucket.tokens - 1)
            bucket.refused = False
            allowed = True
        else:
            first = not bucket.refused
            bucket.refused = True
            allowed = False
        retry_after = 0.0 if bucket.tokens >= 1 - _EPSILON else (1 - bucket.tokens) / self._rate
        return Decision(allowed, retry_after, first)

    async def aclose(self) -> None:
        self._buckets.clear()

    def _sweep(self, now: float) -> None:
        """At most once per window, drop buckets idle long enough to be full again."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + self._window
        idle = [o for o, b in self._buckets.items() if now - b.updated >= self._window]
        for owner in idle:
            del self._buckets[owner]


# KEYS[1]: the owner's bucket (a hash). ARGV: burst, window in milliseconds, epsilon.
# Returns {allowed (0/1), first_refusal (0/1), retry_after in ms as a string}: a Lua number
# would be truncated to an integer reply.
_BUCKET_SCRIPT = """
local burst = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local rate = burst / window
local epsilon = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated', 'refused')
local tokens = tonumber(state[1])
local updated = tonumber(state[2])
local refused = state[3] == '1'
if tokens == nil or updated == nil then
  tokens = burst
  updated = now
  refused = false
end
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local allowed = 0
local first = 0
if tokens >= 1 - epsilon then
  tokens = math.max(0, tokens - 1)
  allowed = 1
  refused = false
else
  if not refused then first = 1 end
  refused = true
end
local wait = 0
if tokens < 1 - epsilon then wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
  'updated', string.format('%.17g', now), 'refused', refused and '1' or '0')
redis.call('PEXPIRE', KEYS[1], math.ceil(window))
return {allowed, first, string.format('%.17g', wait)}
"""


class RedisFloodLimiter:
    """Token buckets in Redis, one budget per owner shared by every bot process.

    A bucket is a hash under `RedisKeys.build("flood", owner)` that expires `window` seconds
    after its last hit, by which time it would be full again anyway. Needs Redis 5 or newer
    (the script reads the server clock before writing).
    """

    def __init__(
        self,
        redis: str | Redis,
        burst: int,
        window: float,
        *,
        prefix: str = "intake",
        socket_timeout: float = 5.0,
    ) -> None:
        _check_limits(burst, window)
        self._redis, self._owns_client = _client(redis, socket_timeout)
        self._burst = burst
        self._window_ms = _milliseconds(window)
        self.keys = RedisKeys(prefix)
        self._script = self._redis.register_script(_BUCKET_SCRIPT)

    def key(self, owner: str) -> str:
        return self.keys.build("flood", owner)

    async def hit(self, owner: str) -> Decision:
        _check_name(owner, "owner")
        with redis_errors("flood limit", "hit"):
            allowed, first, wait_ms = await self._script(
                keys=[self.key(owner)], args=[self._burst, self._window_ms, repr(_EPSILON)]
            )
        return Decision(bool(int(allowed)), float(wait_ms) / 1000, bool(int(first)))

    async def forget(self, owner: str) -> None:
        _check_name(owner, "owner")
        with redis_errors("flood limit", "forget"):
            await self._redis.delete(self.key(owner))

    async def aclose(self) -> None:
        if self._owns_client:
            await self._redis.aclose()


# --- event counters --------------------------------------------------------------------------


class MemoryEventCounter:
    """Event counts and once-markers in this process's memory; expired entries are pruned."""

    def __init__(self, window: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        _check_positive(window, "window")
        self._window = float(window)
        self._clock = clock
        self._counts: dict[str, tuple[float, int]] = {}  # name -> (window ends at, count)
        self._marks: dict[str, float] = {}  # name -> expires at

    async def add(self, name: str) -> int:
        _check_name(name, "event name")
        now = self._clock()
        self._prune(now)
        ends, count = self._counts.get(name, (now + self._window, 0))
        self._counts[name] = (ends, count + 1)
        return count + 1

    async def once(self, name: str, ttl: float) -> bool:
        _check_name(name, "event name")
        _check_positive(ttl, "ttl")
        now = self._clock()
        self._prune(now)
        if name in self._marks:
            return False
        self._marks[name] = now + ttl
        return True

    async def aclose(self) -> None:
        self._counts.clear()
        self._marks.clear()

    def _prune(self, now: float) -> None:
        # Names are a handful of fixed labels, so a full pass per call is cheap.
        for name in [n for n, (ends, _) in self._counts.items() if now >= ends]:
            del self._counts[name]
        for name in [n for n, expires in self._marks.items() if now >= expires]:
            del self._marks[name]


# KEYS[1]: the counter. ARGV[1]: window in milliseconds. The first event of a window starts it.
_COUNT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
"""


class RedisEventCounter:
    """Event counts in Redis, shared by every bot process.

    A counter lives under `RedisKeys.build("count", name)` and expires `window` seconds after
    the first event of its window; a once-marker is `RedisKeys.build("once", name)`, SET NX PX.
    """

    def __init__(
        self,
        redis: str | Redis,
        window: float,
        *,
        prefix: str = "intake",
        socket_timeout: float = 5.0,
    ) -> None:
        _check_positive(window, "window")
        self._redis, self._owns_client = _client(redis, socket_timeout)
        self._window_ms = _milliseconds(window)
        self.keys = RedisKeys(prefix)
        self._script = self._redis.register_script(_COUNT)

    async def add(self, name: str) -> int:
        _check_name(name, "event name")
        with redis_errors("event counter", "add"):
            count = await self._script(
                keys=[self.keys.build("count", name)], args=[self._window_ms]
            )
        return int(count)

    async def once(self, name: str, ttl: float) -> bool:
        _check_name(name, "event name")
        _check_positive(ttl, "ttl")
        with redis_errors("event counter", "once"):
            created = await self._redis.set(
                self.keys.build("once", name), b"1", nx=True, px=_milliseconds(ttl)
            )
        return bool(created)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._redis.aclose()
