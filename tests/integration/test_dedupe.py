"""Update claims (bot.dedupe) against a real Redis and in memory: once, and at least once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from bot.dedupe import Claim, MemoryUpdateDeduper, RedisUpdateDeduper, UpdateDeduper

Make = Callable[..., UpdateDeduper]


@pytest.fixture(params=["memory", "redis"])
async def make(request: pytest.FixtureRequest) -> AsyncIterator[Make]:
    if request.param == "memory":
        yield MemoryUpdateDeduper
        return
    client = Redis.from_url(request.getfixturevalue("redis_url"))
    yield lambda **kwargs: RedisUpdateDeduper(client, **kwargs)
    await client.aclose()


async def test_a_handled_update_is_done_for_every_later_delivery(make: Make) -> None:
    first, second = make(), make()  # two processes share Redis (memory: one process)
    verdict, token = await first.claim(7)
    assert verdict is Claim.NEW
    assert (await first.claim(7))[0] is Claim.BUSY  # being handled: Telegram is asked to retry
    await first.confirm(7, token)
    assert (await first.claim(7))[0] is Claim.DONE
    if isinstance(first, RedisUpdateDeduper):
        assert (await second.claim(7))[0] is Claim.DONE
    assert (await first.claim(8))[0] is Claim.NEW  # another update is another claim


async def test_handling_that_failed_runs_again_on_redelivery(make: Make) -> None:
    deduper = make()
    _, token = await deduper.claim(9)
    await deduper.release(9, token)
    assert (await deduper.claim(9))[0] is Claim.NEW


async def test_a_process_that_died_holding_a_claim_does_not_lose_the_update(
    redis_url: str,
) -> None:
    client = Redis.from_url(redis_url)
    dead, alive = RedisUpdateDeduper(client, lease=0.3), RedisUpdateDeduper(client, lease=0.3)
    assert (await dead.claim(10))[0] is Claim.NEW
    await dead.aclose()  # ... the process dies: nobody renews its claim
    await asyncio.sleep(0.5)
    assert (await alive.claim(10))[0] is Claim.NEW
    await alive.aclose()
    await client.aclose()


async def test_a_claim_being_handled_outlives_its_lease(make: Make) -> None:
    deduper = make(lease=0.3)
    assert (await deduper.claim(11))[0] is Claim.NEW
    await asyncio.sleep(0.7)  # slow handling: the claim is renewed meanwhile
    assert (await deduper.claim(11))[0] is Claim.BUSY
    await deduper.aclose()
