"""Flood limiter and event counter: one contract run against memory and a real Redis.

Memory runs on a fake clock; Redis keeps time with its own clock, so its tests wait for real
(short windows, so the waits stay well under two seconds each).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from redis.asyncio import Redis

from storage.limits import (
    Decision,
    EventCounter,
    FloodLimiter,
    MemoryEventCounter,
    MemoryFloodLimiter,
    RedisEventCounter,
    RedisFloodLimiter,
)
from storage.state import StateUnavailable
from tests.support.servers import RedisServer

OWNER = "a1b2c3d4e5f6"
OTHER = "f6e5d4c3b2a1"
SLACK = 0.05  # extra real time a Redis test waits beyond the computed moment


@dataclass
class Backend:
    name: str
    redis_url: str | None = None
    now: float = 1000.0
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def flood(self, burst: int, window: float) -> FloodLimiter:
        limiter: FloodLimiter
        if self.redis_url is None:
            limiter = MemoryFloodLimiter(burst, window, clock=self.clock)
        else:
            limiter = RedisFloodLimiter(self.redis_url, burst, window)
        self.closers.append(limiter.aclose)
        return limiter

    def counter(self, window: float) -> EventCounter:
        counter: EventCounter
        if self.redis_url is None:
            counter = MemoryEventCounter(window, clock=self.clock)
        else:
            counter = RedisEventCounter(self.redis_url, window)
        self.closers.append(counter.aclose)
        return counter

    async def wait(self, seconds: float) -> None:
        if self.redis_url is None:
            self.now += seconds
        else:
            await asyncio.sleep(seconds + SLACK)


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    backend = Backend(request.param, url)
    try:
        yield backend
    finally:
        for close in backend.closers:
            await close()


async def hits(limiter: FloodLimiter, owner: str, n: int) -> list[Decision]:
    return [await limiter.hit(owner) for _ in range(n)]


class TestFloodLimiterContract:
    async def test_allows_burst_then_refuses(self, backend: Backend) -> None:
        limiter = backend.flood(3, 1.0)
        allowed = await hits(limiter, OWNER, 3)
        assert [d.allowed for d in allowed] == [True, True, True]
        assert not any(d.first_refusal for d in allowed)
        assert allowed[0].retry_after == 0
        refused = await limiter.hit(OWNER)
        assert not refused.allowed
        assert refused.first_refusal
        # One token comes back every window / burst seconds.
        assert 0.25 < refused.retry_after <= 1 / 3 + 1e-9

    async def test_first_refusal_once_per_run_of_refusals(self, backend: Backend) -> None:
        limiter = backend.flood(3, 1.0)
        await hits(limiter, OWNER, 3)
        refused = await hits(limiter, OWNER, 4)
        assert [d.allowed for d in refused] == [False] * 4
        assert [d.first_refusal for d in refused] == [True, False, False, False]
        await backend.wait(refused[-1].retry_after)
        again = await limiter.hit(OWNER)
        assert again.allowed
        assert not again.first_refusal
        # A new run of refusals after an allowed hit is told once more.
        assert [d.first_refusal for d in await hits(limiter, OWNER, 2)] == [True, False]

    async def test_recovers_after_the_window(self, backend: Backend) -> None:
        limiter = backend.flood(3, 1.0)
        await hits(limiter, OWNER, 5)
        await backend.wait(1.0)
        after = await hits(limiter, OWNER, 4)
        assert [d.allowed for d in after] == [True, True, True, False]
        assert after[-1].first_refusal

    async def test_owners_are_independent(self, backend: Backend) -> None:
        limiter = backend.flood(2, 60)
        await hits(limiter, OWNER, 3)
        other = await hits(limiter, OTHER, 3)
        assert [d.allowed for d in other] == [True, True, False]
        assert other[-1].first_refusal
        assert not (await limiter.hit(OWNER)).allowed

    async def test_rejects_bad_input(self, backend: Backend) -> None:
        limiter = backend.flood(2, 60)
        with pytest.raises(ValueError, match="owner"):
            await limiter.hit("")
        for burst, window in ((0, 60), (2, 0), (2, -1), (2, float("nan")), (1.5, 60)):
            with pytest.raises(ValueError, match=r"burst|window"):
                backend.flood(burst, window)  # type: ignore[arg-type]


class TestEventCounterContract:
    async def test_counts_within_a_window_and_resets_after_it(self, backend: Backend) -> None:
        counter = backend.counter(1.0)
        assert [await counter.add("new_case") for _ in range(3)] == [1, 2, 3]
        assert await counter.add("other") == 1
        await backend.wait(1.0)
        assert await counter.add("new_case") == 1
        assert await counter.add("new_case") == 2

    async def test_once_is_true_once_per_ttl(self, backend: Backend) -> None:
        counter = backend.counter(60)
        assert await counter.once("alert", 0.5)
        assert not await counter.once("alert", 0.5)
        assert await counter.once("other-alert", 0.5)
        await backend.wait(0.5)
        assert await counter.once("alert", 0.5)
        assert not await counter.once("alert", 0.5)

    async def test_rejects_bad_input(self, backend: Backend) -> None:
        counter = backend.counter(60)
        with pytest.raises(ValueError, match="name"):
            await counter.add("")
        with pytest.raises(ValueError, match="ttl"):
            await counter.once("alert", 0)
        with pytest.raises(ValueError, match="window"):
            backend.counter(0)


# --- memory only --------------------------------------------------------------------------------


async def test_memory_token_bucket_arithmetic() -> None:
    now = [0.0]
    limiter = MemoryFloodLimiter(2, 10, clock=lambda: now[0])
    assert await limiter.hit(OWNER) == Decision(True, 0.0, False)
    assert await limiter.hit(OWNER) == Decision(True, 5.0, False)
    assert await limiter.hit(OWNER) == Decision(False, 5.0, True)
    now[0] += 4
    assert await limiter.hit(OWNER) == Decision(False, pytest.approx(1.0), False)
    now[0] += 1
    # A steady sender at the refill rate is never refused.
    for _ in range(10):
        assert (await limiter.hit(OWNER)).allowed
        now[0] += 5


async def test_memory_limiter_drops_idle_owners() -> None:
    now = [0.0]
    limiter = MemoryFloodLimiter(3, 10, clock=lambda: now[0])
    for i in range(50):
        await limiter.hit(f"{i:032x}")
    assert len(limiter) == 50
    now[0] += 10
    await limiter.hit(OWNER)
    assert len(limiter) == 1


async def test_memory_counter_forgets_old_windows() -> None:
    now = [0.0]
    counter = MemoryEventCounter(10, clock=lambda: now[0])
    for i in range(20):
        await counter.add(f"event-{i}")
        await counter.once(f"alert-{i}", 5)
    now[0] += 10
    await counter.add("new_case")
    assert list(counter._counts) == ["new_case"]
    assert counter._marks == {}


# --- Redis only ---------------------------------------------------------------------------------


async def test_redis_limiters_share_one_budget(redis_url: str) -> None:
    """Two limiters with their own clients stand in for two bot processes."""
    first, second = (RedisFloodLimiter(redis_url, 4, 60) for _ in range(2))
    try:
        decisions = [await (first if i % 2 else second).hit(OWNER) for i in range(7)]
        assert [d.allowed for d in decisions] == [True] * 4 + [False] * 3
        assert [d.first_refusal for d in decisions] == [False] * 4 + [True, False, False]
        assert 14 < decisions[-1].retry_after <= 15
    finally:
        await first.aclose()
        await second.aclose()


async def test_redis_concurrent_hits_never_exceed_the_burst(redis_url: str) -> None:
    limiters = [RedisFloodLimiter(redis_url, 5, 60) for _ in range(3)]
    try:
        decisions = await asyncio.gather(*(limiters[i % 3].hit(OWNER) for i in range(30)))
        assert sum(d.allowed for d in decisions) == 5
        assert sum(d.first_refusal for d in decisions) == 1
    finally:
        for limiter in limiters:
            await limiter.aclose()


async def test_redis_keys_expire(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    limiter = RedisFloodLimiter(client, 3, 1.0, prefix="t")
    counter = RedisEventCounter(client, 1.0, prefix="t")
    try:
        await limiter.hit(OWNER)
        await counter.add("new_case")
        await counter.once("alert", 0.5)
        assert sorted(await client.keys("t:*")) == [
            b"t:count:new_case",
            f"t:flood:{OWNER}".encode(),
            b"t:once:alert",
        ]
        for key in await client.keys("t:*"):
            assert 0 < await client.pttl(key) <= 1000
        await asyncio.sleep(1.0 + SLACK)
        assert await client.keys("t:*") == []
    finally:
        await limiter.aclose()
        await counter.aclose()
        await client.aclose()


async def test_redis_counters_share_counts(redis_url: str) -> None:
    counters = [RedisEventCounter(redis_url, 60) for _ in range(2)]
    try:
        assert [await counters[i % 2].add("new_case") for i in range(4)] == [1, 2, 3, 4]
        assert await counters[0].once("alert", 60)
        assert not await counters[1].once("alert", 60)
    finally:
        for counter in counters:
            await counter.aclose()


async def test_redis_shared_client_is_left_open(redis_url: str) -> None:
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        limiter = RedisFloodLimiter(client, 1, 60)
        counter = RedisEventCounter(client, 60)
        assert (await limiter.hit(OWNER)).allowed
        assert not (await limiter.hit(OWNER)).allowed
        assert await counter.add("new_case") == 1
        await limiter.aclose()
        await counter.aclose()
        assert await client.ping()
    finally:
        await client.aclose()


async def test_stopped_redis_gives_state_unavailable(
    redis_server: RedisServer, redis_url: str
) -> None:
    limiter = RedisFloodLimiter(redis_url, 3, 60, socket_timeout=1)
    counter = RedisEventCounter(redis_url, 60, socket_timeout=1)
    operations: list[Callable[[], Awaitable[object]]] = [
        lambda: limiter.hit(OWNER),
        lambda: counter.add("new_case"),
        lambda: counter.once("alert", 60),
    ]
    try:
        assert (await limiter.hit(OWNER)).allowed
        redis_server.stop()
        try:
            for operation in operations:
                with pytest.raises(StateUnavailable) as info:
                    await operation()
                assert OWNER not in str(info.value)
        finally:
            redis_server.start()  # same port, so the URLs stay valid
        # The same objects reconnect; the script is loaded again into the fresh server.
        assert (await limiter.hit(OWNER)).allowed
        assert await counter.add("new_case") == 1
    finally:
        await limiter.aclose()
        await counter.aclose()


async def test_forget_drops_the_owners_bucket_in_redis(redis_url: str) -> None:
    import redis.asyncio as aioredis

    from storage.limits import RedisFloodLimiter

    client = aioredis.Redis.from_url(redis_url)
    limiter = RedisFloodLimiter(client, 1, 60)
    try:
        assert (await limiter.hit("f" * 64)).allowed
        assert not (await limiter.hit("f" * 64)).allowed
        assert await client.exists(limiter.key("f" * 64))
        await limiter.forget("f" * 64)
        assert not await client.exists(limiter.key("f" * 64))
        assert (await limiter.hit("f" * 64)).allowed
    finally:
        await client.aclose()


async def test_forget_drops_the_owners_bucket_in_memory() -> None:
    from storage.limits import MemoryFloodLimiter

    limiter = MemoryFloodLimiter(1, 60)
    assert (await limiter.hit("owner")).allowed
    assert not (await limiter.hit("owner")).allowed
    await limiter.forget("owner")
    assert (await limiter.hit("owner")).allowed
