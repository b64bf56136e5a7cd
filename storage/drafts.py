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
from redis.commands.core import AsyncScript
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

    def locked(self, owner: str) -> AbstractAsyncContextManager[Held]:
        """`lock`, with the draft fetched as the lock is taken and what `Held.leave` was given
        written as it is released: one Redis round trip each."""
        ...

    async def ping(self) -> None: ...

    async def aclose(self) -> None: ...


class Held:
    """An owner's lock, held: the draft as it was when the lock was taken, and what to leave
    in its place when the lock is released (written in the same round trip as the release)."""

    def __init__(self, cipher: Cipher, owner: str, blob: bytes | None) -> None:
        self._cipher, self._owner, self._blob = cipher, owner, blob
        self.leaving: tuple[dict[str, Any] | None] | None = None

    def read(self) -> dict[str, Any] | None:
        """The draft fetched with the lock (DecryptionError, as `DraftStore.load`)."""
        return None if self._blob is None else open_draft(self._cipher, self._owner, self._blob)

    def leave(self, draft: dict[str, Any] | None) -> None:
        """Save `draft` (None: delete it) as the lock is released, if the holder's work ends
        without an error."""
        self.leaving = (draft,)


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

    @asynccontextmanager
    async def locked(self, owner: str) -> AsyncIterator[Held]:
        async with self.lock(owner):
            item = self._items.get(owner)
            if item is not None and self._clock() >= item[0]:
                del self._items[owner]
                item = None
            blob = None if item is None else item[1]
            held = Held(self._cipher, owner, blob)
            yield held
            if held.leaving is not None:
                draft = held.leaving[0]
                await (self.delete(owner) if draft is None else self.save(owner, draft))

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


_TAKE_AND_GET = """
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local draft = redis.call('get', KEYS[2])
  if draft then return {1, draft} end
  return {1}
end
return {0}
"""
"""Take the lock (as redis-py's Lock does: SET NX PX with its token) and read the draft in
the same round trip; nothing is read when the lock is held by someone else."""


_LEAVE_AND_RELEASE = """
if ARGV[2] == '' then
  redis.call('del', KEYS[2])
else
  redis.call('set', KEYS[2], ARGV[2], 'EX', ARGV[3])
end
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('del', KEYS[1])
  return 1
end
return 0
"""
"""Write (or, given '', delete) the draft, then release the lock if it is still ours: the
write happens either way, as a save before a release would."""


class _FetchingLock(RedisLock):
    """redis-py's lock, whose every attempt to take it also reads the owner's draft, and whose
    release can write the draft left in its place."""

    fetched: bytes | str | None = None
    leaving: bytes | None = None

    def fetch(self, draft_key: str, take: AsyncScript, leave: AsyncScript, ttl: int) -> None:
        self._draft_key, self._take, self._leave, self._ttl = draft_key, take, leave, ttl

    async def do_acquire(self, token: str | bytes) -> bool:
        assert self.timeout is not None
        reply = await self._take(
            keys=[self.name, self._draft_key], args=[token, int(self.timeout * 1000)]
        )
        if not reply[0]:
            return False
        self.fetched = reply[1] if len(reply) > 1 else None
        return True

    async def leave_and_release(self) -> bool:
        """Write what is leaving and release; False when the lock had expired meanwhile."""
        token = self.local.token
        assert token is not None
        assert self.leaving is not None
        released = await self._leave(
            keys=[self.name, self._draft_key], args=[token, self.leaving, self._ttl]
        )
        self.local.token = None
        return bool(released)


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
        self._take_and_get = self._redis.register_script(_TAKE_AND_GET)
        self._leave_and_release = self._redis.register_script(_LEAVE_AND_RELEASE)

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

    @asynccontextmanager
    async def lock(self, owner: str) -> AsyncIterator[None]:
        _check_owner(owner)
        async with self._hold(owner, RedisLock):
            yield

    @asynccontextmanager
    async def locked(self, owner: str) -> AsyncIterator[Held]:
        _check_owner(owner)
        async with self._hold(owner, _FetchingLock) as redis_lock:
            assert isinstance(redis_lock, _FetchingLock)
            blob = redis_lock.fetched
            if isinstance(blob, str):  # an injected client may decode responses
                blob = blob.encode()
            held = Held(self._cipher, owner, blob)
            yield held
            if held.leaving is not None:
                draft = held.leaving[0]
                redis_lock.leaving = (
                    b"" if draft is None else seal_draft(self._cipher, owner, draft)
                )

    @asynccontextmanager
    async def _hold(self, owner: str, lock_class: type[RedisLock]) -> AsyncIterator[RedisLock]:
        # The in-process lock first: tasks of this process queue here instead of polling Redis.
        async with self._local.hold(owner):
            redis_lock = self._redis.lock(
                self.keys.lock(owner),
                timeout=self._lock_timeout,
                blocking=True,
                blocking_timeout=self._lock_wait,
                thread_local=False,
                lock_class=lock_class,
            )
            if isinstance(redis_lock, _FetchingLock):
                scripts = self._take_and_get, self._leave_and_release
                redis_lock.fetch(self.keys.draft(owner), *scripts, self._ttl)
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
                yield redis_lock
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
        if isinstance(redis_lock, _FetchingLock) and redis_lock.leaving is not None:
            # The draft must be written: its failure is the caller's error, not a warning.
            with redis_errors("draft store", "save"):
                released = await redis_lock.leave_and_release()
            if not released:
                logger.warning(
                    "draft lock expired before release; its holder ran past lock_timeout"
                )
            return
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
