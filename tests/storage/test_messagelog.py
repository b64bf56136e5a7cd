"""Message logs: one contract run against memory and a real Redis, then backend-specific drills.

Both backends take a clock, so the contract runs on a fake one; only the test of Redis's own
key expiry waits for real.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from redis.asyncio import Redis

from storage.messagelog import (
    TELEGRAM_DELETE_WINDOW,
    MemoryMessageLog,
    MessageLog,
    RedisMessageLog,
)
from storage.state import StateUnavailable
from tests.support.servers import RedisServer

OWNER = "a1b2c3d4e5f6"
OTHER = "f6e5d4c3b2a1"
START = 1_700_000_000.0


@dataclass
class Backend:
    name: str
    redis_url: str | None = None
    now: float = START
    logs: list[MessageLog] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def make(self, max_age: float = 100, **options: int) -> MessageLog:
        log: MessageLog
        if self.redis_url is None:
            log = MemoryMessageLog(clock=self.clock, max_age=max_age, **options)
        else:
            log = RedisMessageLog(self.redis_url, clock=self.clock, max_age=max_age, **options)
        self.logs.append(log)
        return log

    async def stored(self, log: MessageLog) -> int:
        """How many entries the backend holds, expired or not, across all owners."""
        if isinstance(log, MemoryMessageLog):
            return sum(len(entries) for entries in log._owners.values())
        assert isinstance(log, RedisMessageLog)
        client = Redis.from_url(self.redis_url or "")
        try:
            return sum([await client.zcard(key) for key in await client.keys("*")])
        finally:
            await client.aclose()


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    backend = Backend(request.param, url)
    try:
        yield backend
    finally:
        for log in backend.logs:
            await log.aclose()


class TestMessageLogContract:
    async def test_ids_come_back_ascending_and_once(self, backend: Backend) -> None:
        log = backend.make()
        for message_id in (7, 3, 5, 3, 7):
            await log.remember(OWNER, message_id)
        assert await log.recent(OWNER) == [3, 5, 7]
        assert await log.recent(OTHER) == []
        await log.remember(OTHER, 4)
        assert await log.recent(OTHER) == [4]
        assert await log.recent(OWNER) == [3, 5, 7]

    async def test_since_filters_by_time(self, backend: Backend) -> None:
        log = backend.make()
        await log.remember(OWNER, 10, at=backend.now - 50)
        await log.remember(OWNER, 11, at=backend.now - 20)
        await log.remember(OWNER, 12)
        backend.now += 5
        await log.remember(OWNER, 13)
        assert await log.recent(OWNER, since=backend.now - 25) == [11, 12, 13]
        assert await log.recent(OWNER, since=backend.now - 5) == [12, 13]  # at `since` counts
        assert await log.recent(OWNER, since=backend.now + 1) == []
        # A `since` older than max_age does not bring back expired ids.
        backend.now += 85
        assert await log.recent(OWNER, since=START - 1000) == [12, 13]

    async def test_forget_some_or_all(self, backend: Backend) -> None:
        log = backend.make()
        for message_id in range(1, 6):
            await log.remember(OWNER, message_id)
        await log.remember(OTHER, 1)
        await log.forget(OWNER, [2, 4, 99])
        assert await log.recent(OWNER) == [1, 3, 5]
        await log.forget(OWNER, iter([5]))
        await log.forget(OWNER, [])
        assert await log.recent(OWNER) == [1, 3]
        await log.forget(OWNER)
        assert await log.recent(OWNER) == []
        await log.forget("never-seen")
        await log.forget("never-seen", [1])
        assert await log.recent(OTHER) == [1]

    async def test_never_returns_ids_older_than_max_age(self, backend: Backend) -> None:
        log = backend.make(max_age=100)
        await log.remember(OWNER, 1, at=backend.now - 100)  # too old already: not kept
        await log.remember(OWNER, 2, at=backend.now - 99)
        await log.remember(OWNER, 3)
        assert await log.recent(OWNER) == [2, 3]
        assert await backend.stored(log) == 2
        backend.now += 1
        assert await log.recent(OWNER) == [3]
        assert await backend.stored(log) == 1  # dropped, not just hidden
        backend.now += 99
        assert await log.recent(OWNER) == []
        assert await backend.stored(log) == 0

    async def test_a_write_drops_expired_entries(self, backend: Backend) -> None:
        log = backend.make(max_age=100)
        await log.remember(OWNER, 1)
        backend.now += 100
        await log.remember(OWNER, 2)
        assert await backend.stored(log) == 1
        assert await log.recent(OWNER) == [2]

    async def test_an_id_keeps_its_earliest_time(self, backend: Backend) -> None:
        log = backend.make(max_age=100)
        await log.remember(OWNER, 5, at=backend.now - 90)
        await log.remember(OWNER, 5)  # e.g. the message was edited: Telegram counts from sending
        assert await log.recent(OWNER, since=backend.now - 1) == []
        backend.now += 10
        assert await log.recent(OWNER) == []

    async def test_keeps_only_the_newest_per_owner(self, backend: Backend) -> None:
        log = backend.make(max_per_owner=3)
        for message_id in range(1, 6):
            backend.now += 1
            await log.remember(OWNER, message_id)
        assert await log.recent(OWNER) == [3, 4, 5]
        assert await backend.stored(log) == 3

    async def test_sweep_drops_expired_entries_of_every_owner(self, backend: Backend) -> None:
        log = backend.make(max_age=100)
        for i in range(10):
            await log.remember(f"{i:032x}", 1)
            await log.remember(f"{i:032x}", 2)
        backend.now += 50
        await log.remember(OWNER, 3)
        assert await log.sweep() == 0
        backend.now += 50
        assert await log.sweep() == 20
        assert await backend.stored(log) == 1
        assert await log.recent(OWNER) == [3]

    async def test_rejects_bad_input(self, backend: Backend) -> None:
        log = backend.make()
        with pytest.raises(ValueError, match="owner"):
            await log.remember("", 1)
        with pytest.raises(ValueError, match="owner"):
            await log.recent("")
        for bad in (0, -1, True, "5"):
            with pytest.raises(ValueError, match="message id"):
                await log.remember(OWNER, bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="message id"):
            await log.forget(OWNER, [1, 0])
        for max_age in (0, -1, TELEGRAM_DELETE_WINDOW + 1):
            with pytest.raises(ValueError, match="max_age"):
                backend.make(max_age=max_age)
        with pytest.raises(ValueError, match="max_per_owner"):
            backend.make(max_per_owner=0)


# --- memory only --------------------------------------------------------------------------------


async def test_memory_log_sweeps_idle_owners_by_itself() -> None:
    now = [START]
    log = MemoryMessageLog(clock=lambda: now[0], max_age=48)  # sweeps every second
    for i in range(30):
        await log.remember(f"{i:032x}", i + 1)
    assert len(log) == 30
    now[0] += 48
    await log.remember(OWNER, 1)
    assert len(log) == 1


def test_default_max_age_is_telegrams_limit() -> None:
    assert TELEGRAM_DELETE_WINDOW == 48 * 3600
    assert MemoryMessageLog()._max_age == TELEGRAM_DELETE_WINDOW


# --- Redis only ---------------------------------------------------------------------------------


async def test_redis_key_holds_only_ids_and_times(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    log = RedisMessageLog(client, prefix="t", max_age=3600)
    try:
        sent = time.time() - 60
        await log.remember(OWNER, 42, at=sent)
        await log.remember(OWNER, 43)
        key = f"t:messages:{OWNER}"
        assert await client.keys("*") == [key.encode()]
        assert await client.type(key) == b"zset"
        assert await client.zrange(key, 0, -1) == [b"42", b"43"]
        assert await client.zscore(key, b"42") == sent
        assert 3590 < await client.ttl(key) <= 3600
    finally:
        await log.aclose()
        await client.aclose()


async def test_redis_key_expires_by_itself(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    log = RedisMessageLog(redis_url, max_age=1)
    try:
        await log.remember(OWNER, 1)
        assert await client.exists(log.key(OWNER))
        await asyncio.sleep(1.1)
        assert not await client.exists(log.key(OWNER))
    finally:
        await log.aclose()
        await client.aclose()


async def test_redis_logs_share_state(redis_url: str) -> None:
    """Two logs with their own clients stand in for two bot processes."""
    first, second = RedisMessageLog(redis_url), RedisMessageLog(redis_url)
    try:
        await first.remember(OWNER, 1)
        await second.remember(OWNER, 2)
        assert await first.recent(OWNER) == await second.recent(OWNER) == [1, 2]
        await second.forget(OWNER, [1])
        assert await first.recent(OWNER) == [2]
    finally:
        await first.aclose()
        await second.aclose()


async def test_redis_shared_decoding_client(redis_url: str) -> None:
    client = Redis.from_url(redis_url, decode_responses=True)
    log = RedisMessageLog(client)
    try:
        await log.remember(OWNER, 9)
        await log.remember(OWNER, 10)
        assert await log.recent(OWNER) == [9, 10]
        await log.aclose()
        assert await client.ping()  # a shared client stays open
    finally:
        await client.aclose()


async def test_redis_sweep_stays_within_its_prefix(redis_url: str) -> None:
    now = [START]
    globbing = RedisMessageLog(redis_url, prefix="x*", max_age=10, clock=lambda: now[0])
    neighbour = RedisMessageLog(redis_url, prefix="xy", max_age=10, clock=lambda: now[0])
    try:
        await globbing.remember(OWNER, 1)
        await neighbour.remember(OWNER, 1)
        now[0] += 10
        assert await globbing.sweep() == 1
        assert await neighbour.sweep() == 1
    finally:
        await globbing.aclose()
        await neighbour.aclose()


async def test_stopped_redis_gives_state_unavailable(
    redis_server: RedisServer, redis_url: str
) -> None:
    log = RedisMessageLog(redis_url, socket_timeout=1)
    operations: list[Callable[[], Awaitable[object]]] = [
        lambda: log.remember(OWNER, 1),
        lambda: log.recent(OWNER),
        lambda: log.forget(OWNER, [1]),
        lambda: log.forget(OWNER),
        log.sweep,
    ]
    try:
        await log.remember(OWNER, 1)
        redis_server.stop()
        try:
            for operation in operations:
                with pytest.raises(StateUnavailable) as info:
                    await operation()
                assert OWNER not in str(info.value)
        finally:
            redis_server.start()  # same port, so the URL stays valid
        assert await log.recent(OWNER) == []  # no persistence: the ids are gone with Redis
        await log.remember(OWNER, 2)
        assert await log.recent(OWNER) == [2]
    finally:
        await log.aclose()
