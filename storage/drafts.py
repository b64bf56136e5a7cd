"""Drafts: the questionnaire a person is filling in, kept encrypted with a TTL.

Every save uses a fresh data key wrapped under the master key, so a draft left in Redis or in a
memory dump is ciphertext, and an abandoned draft simply expires. Redis's own files (the
append-only file, dump.rdb) keep every saved version until they are rewritten: after `/forget`
and every housekeeping round `storage.compaction` has them rewritten. Updates for one owner are
serialised ("lock, then load") so two quick messages cannot overwrite each other's answers.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.lock import Lock as RedisLock
from redis.exceptions import LockError, LockNotOwnedError, RedisError

from storage.crypto import Cipher, DecryptionError
from storage.unavailable import StateUnavailable, redis_errors

logger = logging.getLogger(__name__)

_ENVELOPE_VERSION = 1
_DRAFT_FIELD = "draft"


class DraftStore(Protocol):
    """Where drafts live between updates; owners are opaque strings (pseudonyms)."""

    async def load(self, owner: str) -> dict[str, Any] | None: ...

    async def save(self, owner: str, draft: dict[str, Any]) -> None: ...

    async def delete(self, owner: str) -> None: ...

    def lock(self, owner: str) -> AbstractAsyncContextManager[None]: ...

    async def ping(self) -> None: ...

    async def aclose(self) -> None: ...


def draft_record(owner: str) -> str:
    return f"draft:{owner}"


def _check_owner(owner: str) -> None:
    if not isinstance(owner, str) or not owner:
        raise ValueError("owner must be a non-empty string")


def seal_draft(cipher: Cipher, owner: str, draft: dict[str, Any]) -> bytes:
    """Encrypt a draft under a new data key into one opaque JSON envelope."""
    if not isinstance(draft, dict):
        raise TypeError("a draft is a dict")
    sealed, wrapped = cipher.new_record(draft_record(owner))
    envelope = {
        "v": _ENVELOPE_VERSION,
        "key": base64.b64encode(wrapped).decode(),
        "data": base64.b64encode(sealed.seal_json(_DRAFT_FIELD, draft)).decode(),
    }
    return json.dumps(envelope, separators=(",", ":")).encode()


def open_draft(cipher: Cipher, owner: str, blob: bytes) -> dict[str, Any]:
    """Decrypt an envelope made by `seal_draft` for the same owner; DecryptionError otherwise."""
    try:
        envelope = json.loads(blob)
        if envelope["v"] != _ENVELOPE_VERSION:
            raise DecryptionError("stored draft has an unknown envelope version")
        wrapped = base64.b64decode(envelope["key"], validate=True)
        sealed = base64.b64decode(envelope["data"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise DecryptionError("stored draft is not a valid envelope") from None
    draft = cipher.record(draft_record(owner), wrapped).open_json(_DRAFT_FIELD, sealed)
    if not isinstance(draft, dict):
        raise DecryptionError("stored draft is not a mapping")
    return draft


@dataclass
class _LockEntry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class OwnerLocks:
    """One asyncio lock per owner, dropped as soon as nobody holds or waits for it."""

    def __init__(self) -> None:
        self._entries: dict[str, _LockEntry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @asynccontextmanager
    async def hold(self, owner: str) -> AsyncIterator[None]:
        entry = self._entries.get(owner)
        if entry is None:
            entry = self._entries[owner] = _LockEntry()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._entries[owner]


class MemoryDraftStore:
    """Drafts in this process's memory: for tests and single-process deployments."""

    def __init__(
        self,
        cipher: Cipher,
        ttl_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._cipher = cipher
        self._ttl = ttl_seconds
        self._clock = clock
        self._items: dict[str, tuple[float, bytes]] = {}
        self._locks = OwnerLocks()
        self._next_sweep = clock() + ttl_seconds

    async def load(self, owner: str) -> dict[str, Any] | None:
        _check_owner(owner)
        item = self._items.get(owner)
        if item is None:
            return None
        expires_at, blob = item
        if self._clock() >= expires_at:
            del self._items[owner]
            return None
        return open_draft(self._cipher, owner, blob)

    async def save(self, owner: str, draft: dict[str, Any]) -> None:
        _check_owner(owner)
        self._sweep()
        blob = seal_draft(self._cipher, owner, draft)
        self._items[owner] = (self._clock() + self._ttl, blob)

    async def delete(self, owner: str) -> None:
        _check_owner(owner)
        self._items.pop(owner, None)

    def lock(self, owner: str) -> AbstractAsyncContextManager[None]:
        _check_owner(owner)
        return self._locks.hold(owner)

    async def ping(self) -> None:
        return None

    async def aclose(self) -> None:
        self._items.clear()

    def _sweep(self) -> None:
        """Drop expired drafts at most once per TTL, so abandoned ones do not pile up."""
        now = self._clock()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self._ttl
        for owner in [o for o, (expires_at, _) in self._items.items() if now >= expires_at]:
            del self._items[owner]


@dataclass(frozen=True)
class RedisKeys:
    """The one place Redis key names are built: "<prefix>:<part>:<owner>"."""

    prefix: str = "intake"

    def build(self, part: str, owner: str) -> str:
        _check_owner(owner)
        return f"{self.prefix}:{part}:{owner}"

    def draft(self, owner: str) -> str:
        return self.build("draft", owner)

    def lock(self, owner: str) -> str:
        return self.build("lock", owner)


class RedisDraftStore:
    """Drafts in Redis, shared by every bot process, with a Redis lock per owner.

    The lock is renewed while held and expires `lock_timeout` seconds after a crashed process
    stopped renewing it, so that person waits seconds, not minutes;
    `lock_wait` (default: a little longer than that) bounds how long a caller waits for it.
    """

    def __init__(
        self,
        redis: str | Redis,
        cipher: Cipher,
        ttl_seconds: int,
        *,
        prefix: str = "intake",
        lock_timeout: float = 6.0,
        lock_wait: float | None = None,
        socket_timeout: float = 5.0,
    ) -> None:
        if ttl_seconds <= 0 or int(ttl_seconds) != ttl_seconds:
            raise ValueError("ttl_seconds must be a positive whole number of seconds")
        if isinstance(redis, str):
            self._redis = Redis.from_url(
                redis, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout
            )
            self._owns_client = True
        else:
            self._redis = redis
            self._owns_client = False
        self._cipher = cipher
        self._ttl = int(ttl_seconds)
        self.keys = RedisKeys(prefix)
        self._lock_timeout = lock_timeout
        self._lock_wait = lock_timeout + 5.0 if lock_wait is None else lock_wait
        self._local = OwnerLocks()

    async def load(self, owner: str) -> dict[str, Any] | None:
        with redis_errors("draft store", "load"):
            blob = await self._redis.get(self.keys.draft(owner))
        if blob is None:
            return None
        # An injected client may decode responses; the envelope is ASCII JSON either way.
        return open_draft(self._cipher, owner, blob if isinstance(blob, bytes) else blob.encode())

    async def save(self, owner: str, draft: dict[str, Any]) -> None:
        blob = seal_draft(self._cipher, owner, draft)
        with redis_errors("draft store", "save"):
            await self._redis.set(self.keys.draft(owner), blob, ex=self._ttl)

    async def delete(self, owner: str) -> None:
        with redis_errors("draft store", "delete"):
            await self._redis.delete(self.keys.draft(owner))

    def lock(self, owner: str) -> AbstractAsyncContextManager[None]:
        _check_owner(owner)
        return self._hold(owner)

    @asynccontextmanager
    async def _hold(self, owner: str) -> AsyncIterator[None]:
        # The in-process lock first: tasks of this process queue here instead of polling Redis.
        async with self._local.hold(owner):
            redis_lock = self._redis.lock(
                self.keys.lock(owner),
                timeout=self._lock_timeout,
                blocking=True,
                blocking_timeout=self._lock_wait,
                thread_local=False,
            )
            with redis_errors("draft store", "lock"):
                acquired = await redis_lock.acquire()
            if not acquired:
                raise StateUnavailable("timed out waiting for a draft lock")
            # Keep the lock alive while we hold it: the timeout can then be short, so a lock
            # left by a crashed process frees its person within seconds, not minutes.
            # It is stopped by an event, not by cancellation: a cancel that lands inside
            # redis-py's I/O can be swallowed, which left turns (and shutdown) waiting forever.
            done = asyncio.Event()
            keeper = asyncio.create_task(self._keep_alive(redis_lock, done))
            try:
                yield
            finally:
                done.set()
                try:
                    await asyncio.wait_for(asyncio.shield(keeper), self._lock_timeout)
                except TimeoutError:
                    keeper.cancel()
                finally:
                    await self._release(redis_lock)

    async def _keep_alive(self, redis_lock: RedisLock, done: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), self._lock_timeout / 3)
            if done.is_set():
                return
            try:
                await redis_lock.reacquire()
            except (LockError, RedisError):
                logger.warning("could not extend a draft lock")
                return

    @staticmethod
    async def _release(redis_lock: RedisLock) -> None:
        # Failing to release must not hide the caller's own exception; the lock expires anyway.
        try:
            await redis_lock.release()
        except LockNotOwnedError:
            logger.warning("draft lock expired before release; its holder ran past lock_timeout")
        except (LockError, RedisError):
            logger.warning("could not release a draft lock; it will expire by itself")

    async def ping(self) -> None:
        with redis_errors("draft store", "ping"):
            await self._redis.ping()

    async def aclose(self) -> None:
        if self._owns_client:
            await self._redis.aclose()
