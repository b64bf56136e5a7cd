"""Draft stores: one contract run against memory and a real Redis, then Redis-only drills."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from redis.asyncio import Redis

from storage.crypto import Cipher, DecryptionError
from storage.state import (
    DraftStore,
    MemoryDraftStore,
    RedisDraftStore,
    RedisKeys,
    StateUnavailable,
    open_draft,
    seal_draft,
)
from tests.support.servers import RedisServer

MARKER = "PLAINTEXT-MARKER-DRAFT"
DRAFT = {"step": "situation", "answers": {"situation": f"мобилизован {MARKER}"}}


@dataclass
class Backend:
    name: str
    cipher: Cipher
    redis_url: str | None = None
    stores: list[DraftStore] = field(default_factory=list)

    def make(self, ttl_seconds: int = 60) -> DraftStore:
        store: DraftStore
        if self.redis_url is None:
            store = MemoryDraftStore(self.cipher, ttl_seconds)
        else:
            store = RedisDraftStore(self.redis_url, self.cipher, ttl_seconds)
        self.stores.append(store)
        return store

    async def raw(self, store: DraftStore, owner: str) -> bytes | None:
        """The stored value exactly as the backend holds it."""
        if isinstance(store, MemoryDraftStore):
            item = store._items.get(owner)
            return None if item is None else item[1]
        assert isinstance(store, RedisDraftStore)
        client = Redis.from_url(self.redis_url or "")
        try:
            value = await client.get(store.keys.draft(owner))
            return value if value is None or isinstance(value, bytes) else value.encode()
        finally:
            await client.aclose()


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest, cipher: Cipher) -> AsyncIterator[Backend]:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    backend = Backend(request.param, cipher, url)
    try:
        yield backend
    finally:
        for store in backend.stores:
            await store.aclose()


class TestDraftStoreContract:
    async def test_round_trip(self, backend: Backend) -> None:
        store = backend.make()
        await store.ping()
        assert await store.load("owner-a") is None
        await store.save("owner-a", DRAFT)
        assert await store.load("owner-a") == DRAFT
        await store.save("owner-a", {"step": "next"})
        assert await store.load("owner-a") == {"step": "next"}
        assert await store.load("owner-b") is None

    async def test_ttl_expiry_and_refresh(self, backend: Backend) -> None:
        store = backend.make(ttl_seconds=1)
        await store.save("owner-a", DRAFT)
        await asyncio.sleep(0.6)
        await store.save("owner-a", DRAFT)  # write-through refreshes the TTL
        await asyncio.sleep(0.6)
        assert await store.load("owner-a") == DRAFT
        await asyncio.sleep(0.8)
        assert await store.load("owner-a") is None

    async def test_delete(self, backend: Backend) -> None:
        store = backend.make()
        await store.save("owner-a", DRAFT)
        await store.save("owner-b", DRAFT)
        await store.delete("owner-a")
        await store.delete("never-saved")
        assert await store.load("owner-a") is None
        assert await store.load("owner-b") == DRAFT
        assert await backend.raw(store, "owner-a") is None

    async def test_lock_serialises_one_owner_only(self, backend: Backend) -> None:
        store = backend.make()
        events: list[str] = []
        first_inside = asyncio.Event()

        async def hold(owner: str, tag: str, seconds: float) -> None:
            async with store.lock(owner):
                events.append(f"{tag}+")
                if tag == "a1":
                    first_inside.set()
                await asyncio.sleep(seconds)
                events.append(f"{tag}-")

        a1 = asyncio.create_task(hold("owner-a", "a1", 0.4))
        await first_inside.wait()
        a2 = asyncio.create_task(hold("owner-a", "a2", 0))
        b = asyncio.create_task(hold("owner-b", "b", 0))
        await asyncio.wait_for(b, 2)  # a different owner does not wait for a1
        assert events == ["a1+", "b+", "b-"]
        await asyncio.wait_for(asyncio.gather(a1, a2), 5)
        assert events == ["a1+", "b+", "b-", "a1-", "a2+", "a2-"]

    async def test_lock_then_load_loses_no_update(self, backend: Backend) -> None:
        store = backend.make()

        async def increment() -> None:
            async with store.lock("owner-a"):
                draft = await store.load("owner-a") or {"n": 0}
                await asyncio.sleep(0)
                draft["n"] += 1
                await store.save("owner-a", draft)

        await asyncio.wait_for(asyncio.gather(*(increment() for _ in range(20))), 20)
        assert await store.load("owner-a") == {"n": 20}

    async def test_lock_is_released_on_error(self, backend: Backend) -> None:
        store = backend.make()
        with pytest.raises(RuntimeError, match="boom"):
            async with store.lock("owner-a"):
                raise RuntimeError("boom")
        async with asyncio.timeout(2), store.lock("owner-a"):
            pass

    async def test_stored_value_is_ciphertext(self, backend: Backend) -> None:
        store = backend.make()
        await store.save("owner-a", DRAFT)
        raw = await backend.raw(store, "owner-a")
        assert raw is not None
        for needle in (MARKER, "мобилизован", "situation", "answers"):
            assert needle.encode() not in raw
        assert set(json.loads(raw)) == {"v", "key", "data"}

    async def test_new_data_key_per_save(self, backend: Backend) -> None:
        store = backend.make()
        await store.save("owner-a", DRAFT)
        first = await backend.raw(store, "owner-a")
        await store.save("owner-a", DRAFT)
        second = await backend.raw(store, "owner-a")
        assert first is not None
        assert second is not None
        assert first != second
        assert json.loads(first)["key"] != json.loads(second)["key"]

    async def test_rejects_bad_input(self, backend: Backend) -> None:
        store = backend.make()
        with pytest.raises(ValueError, match="owner"):
            await store.load("")
        with pytest.raises(TypeError):
            await store.save("owner-a", ["not", "a", "dict"])  # type: ignore[arg-type]


def test_draft_is_bound_to_its_owner(cipher: Cipher) -> None:
    blob = seal_draft(cipher, "owner-a", DRAFT)
    assert open_draft(cipher, "owner-a", blob) == DRAFT
    with pytest.raises(DecryptionError):
        open_draft(cipher, "owner-b", blob)
    for garbage in (b"", b"{}", b"not json", b'{"v":1,"key":"!!","data":"!!"}'):
        with pytest.raises(DecryptionError):
            open_draft(cipher, "owner-a", garbage)


async def test_memory_locks_do_not_accumulate(cipher: Cipher) -> None:
    store = MemoryDraftStore(cipher, 60)
    for i in range(50):
        async with store.lock(f"owner-{i}"):
            pass
    waiting = [asyncio.create_task(_enter(store, "same")) for _ in range(5)]
    await asyncio.gather(*waiting)
    assert len(store._locks) == 0


async def _enter(store: DraftStore, owner: str) -> None:
    async with store.lock(owner):
        await asyncio.sleep(0)


async def test_memory_store_sweeps_expired_drafts(cipher: Cipher) -> None:
    now = [1000.0]
    store = MemoryDraftStore(cipher, 10, clock=lambda: now[0])
    for i in range(30):
        await store.save(f"owner-{i}", {"i": i})
    now[0] += 11
    await store.save("fresh", {})
    assert list(store._items) == ["fresh"]


def test_one_key_builder() -> None:
    keys = RedisKeys("bot1")
    assert keys.draft("abc") == "bot1:draft:abc"
    assert keys.lock("abc") == "bot1:lock:abc"
    with pytest.raises(ValueError, match="owner"):
        keys.draft("")


async def test_redis_keys_and_ttl(redis_url: str, cipher: Cipher) -> None:
    store = RedisDraftStore(redis_url, cipher, 120, prefix="t")
    client = Redis.from_url(redis_url)
    try:
        await store.save("owner-a", DRAFT)
        assert await client.keys("*") == [b"t:draft:owner-a"]
        assert 0 < await client.ttl("t:draft:owner-a") <= 120
        async with store.lock("owner-a"):
            assert await client.exists("t:lock:owner-a")
        assert not await client.exists("t:lock:owner-a")
    finally:
        await client.aclose()
        await store.aclose()


async def test_redis_lock_serialises_across_processes(redis_url: str, cipher: Cipher) -> None:
    """Two stores with their own clients stand in for two bot processes."""
    stores = [RedisDraftStore(redis_url, cipher, 60) for _ in range(2)]

    async def increment(store: RedisDraftStore) -> None:
        async with store.lock("owner-a"):
            draft = await store.load("owner-a") or {"n": 0}
            await asyncio.sleep(0.01)
            draft["n"] += 1
            await store.save("owner-a", draft)

    try:
        await asyncio.wait_for(asyncio.gather(*(increment(stores[i % 2]) for i in range(10))), 30)
        assert await stores[0].load("owner-a") == {"n": 10}
    finally:
        for store in stores:
            await store.aclose()


async def test_redis_lock_left_by_a_crashed_process_expires(redis_url: str, cipher: Cipher) -> None:
    store = RedisDraftStore(redis_url, cipher, 60, lock_timeout=5)
    client = Redis.from_url(redis_url)
    try:
        await client.set(store.keys.lock("owner-a"), b"someone-else", px=400)
        async with asyncio.timeout(5), store.lock("owner-a"):
            assert await client.get(store.keys.lock("owner-a")) != b"someone-else"
    finally:
        await client.aclose()
        await store.aclose()


async def test_redis_lock_wait_is_bounded(redis_url: str, cipher: Cipher) -> None:
    store = RedisDraftStore(redis_url, cipher, 60, lock_wait=0.3)
    client = Redis.from_url(redis_url)
    try:
        await client.set(store.keys.lock("owner-a"), b"stuck")
        with pytest.raises(StateUnavailable, match="timed out"):
            async with store.lock("owner-a"):
                pytest.fail("entered a lock someone else holds")
    finally:
        await client.aclose()
        await store.aclose()


async def test_stopped_redis_gives_state_unavailable(
    redis_server: RedisServer, redis_url: str, cipher: Cipher
) -> None:
    store = RedisDraftStore(redis_url, cipher, 60, socket_timeout=1)
    operations: list[Callable[[], Awaitable[object]]] = [
        lambda: store.load("owner-a"),
        lambda: store.save("owner-a", DRAFT),
        lambda: store.delete("owner-a"),
        store.ping,
        lambda: _enter(store, "owner-a"),
    ]
    try:
        await store.save("owner-a", DRAFT)
        redis_server.stop()
        try:
            for operation in operations:
                with pytest.raises(StateUnavailable) as info:
                    await operation()
                assert MARKER not in str(info.value)
        finally:
            redis_server.restart()  # same port, so the store's URL stays valid
        await store.ping()  # the same store reconnects once Redis is back
        assert await store.load("owner-a") is None  # no persistence: the draft is gone
    finally:
        await store.aclose()


async def test_a_held_redis_lock_outlives_its_short_timeout_but_a_dead_holders_does_not(
    redis_url: str, cipher: Cipher
) -> None:
    """Held locks are kept alive; a lock left by a crashed process frees within seconds."""
    import redis.asyncio as aioredis

    from storage.state import RedisDraftStore

    client = aioredis.Redis.from_url(redis_url)
    store = RedisDraftStore(client, cipher, 60, lock_timeout=0.6, lock_wait=5)
    other = RedisDraftStore(client, cipher, 60, lock_timeout=0.6, lock_wait=0.3)
    owner = "c" * 64
    try:
        async with store.lock(owner):
            await asyncio.sleep(1.5)  # longer than the timeout: still ours
            with pytest.raises(StateUnavailable):
                async with other.lock(owner):
                    pass
        # A crashed holder: the lock key is there, nobody renews it.
        await client.set(store.keys.lock(owner), b"dead-token", px=600)
        started = asyncio.get_running_loop().time()
        async with store.lock(owner):
            waited = asyncio.get_running_loop().time() - started
        assert waited < 2
    finally:
        await client.aclose()
