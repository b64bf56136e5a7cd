"""Each update is handled once, however often Telegram delivers it, and never lost.

Telegram re-delivers a webhook update it got no 2xx answer for (a timeout, a dropped connection,
a process that died), so the same update_id can arrive twice, also at two processes behind a
load balancer. Before any handler runs, a delivery claims its update_id:

- a claim is a short lease (`LEASE_SECONDS`), renewed while the update is being handled; if
  the process dies, the lease runs out and a later delivery handles the update (at least once);
- when the handlers are done the claim becomes "done" for `DONE_SECONDS` (Telegram gives up on an
  update after 24 hours), and later deliveries are acknowledged without running anything;
- a delivery that arrives while another one holds the lease is answered "busy" (the webhook
  answers 503), so Telegram tries again later instead of the update being dropped;
- handling that raised releases the claim at once, so the re-delivery runs it again.

In Redis (SET NX PX, shared by every process) when Redis is configured, else in this process's
memory. Keys hold only the update id, which is Telegram's counter, never who sent it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from storage.unavailable import StateUnavailable

log = logging.getLogger(__name__)

LEASE_SECONDS = 5.0  # renewed every third of it while handling; what a crash delays a retry by
DONE_SECONDS = 24 * 3600.0  # Telegram keeps an undelivered update for at most 24 hours
_DONE = b"done"


class Claim(enum.Enum):
    NEW = "new"  # ours to handle
    DONE = "done"  # handled already: acknowledge, run nothing
    BUSY = "busy"  # being handled elsewhere right now: ask Telegram to retry later


class UpdateDeduper(Protocol):
    async def claim(self, update_id: int) -> tuple[Claim, str]:
        """(verdict, token); the token confirms or releases a NEW claim."""

    async def confirm(self, update_id: int, token: str) -> None: ...

    async def release(self, update_id: int, token: str) -> None: ...

    async def aclose(self) -> None: ...


class MemoryUpdateDeduper:
    """Claims in this process's memory (one process: no Redis). A claim being handled never
    runs out here: the process that would have to die for it is this one, memory and all."""

    def __init__(
        self,
        *,
        lease: float = LEASE_SECONDS,
        done: float = DONE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lease, self._done, self._clock = lease, done, clock
        self._entries: dict[int, tuple[str, float]] = {}  # update id -> (token or done, expiry)
        self._next_sweep = clock() + lease

    async def claim(self, update_id: int) -> tuple[Claim, str]:
        now = self._clock()
        self._sweep(now)
        entry = self._entries.get(update_id)
        if entry is not None and entry[1] > now:
            return (Claim.DONE if entry[0] == "done" else Claim.BUSY), ""
        token = secrets.token_hex(8)
        self._entries[update_id] = (token, float("inf"))
        return Claim.NEW, token

    async def confirm(self, update_id: int, token: str) -> None:
        self._entries[update_id] = ("done", self._clock() + self._done)

    async def release(self, update_id: int, token: str) -> None:
        entry = self._entries.get(update_id)
        if entry is not None and entry[0] == token:
            del self._entries[update_id]

    async def aclose(self) -> None:
        """Nothing to stop."""

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + self._lease
        for update_id in [u for u, (_, expires) in self._entries.items() if expires <= now]:
            del self._entries[update_id]


# KEYS[1]: the update's key. ARGV[1]: the claim's token, ARGV[2]: ms to keep "done".
_CONFIRM = """
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] or held == false then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
  return 1
end
return 0
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisUpdateDeduper:
    """Claims in Redis, shared by every process serving the bot."""

    def __init__(
        self,
        redis: Redis,
        *,
        bot: str = "",
        prefix: str = "intake",
        lease: float = LEASE_SECONDS,
        done: float = DONE_SECONDS,
    ) -> None:
        self._redis = redis
        # Update ids are counted per bot: two bots sharing one Redis must not share claims.
        self._prefix = f"{prefix}:update:{bot}" if bot else f"{prefix}:update"
        self._lease_ms = max(1, int(lease * 1000))
        self._done_ms = max(1, int(done * 1000))
        self._confirm = redis.register_script(_CONFIRM)
        self._release = redis.register_script(_RELEASE)
        self._renew = redis.register_script(_RENEW)
        self._held: dict[int, str] = {}  # claims this process is handling: renewed
        self._renewer: asyncio.Task[None] | None = None

    def key(self, update_id: int) -> str:
        return f"{self._prefix}:{int(update_id)}"

    async def claim(self, update_id: int) -> tuple[Claim, str]:
        token = secrets.token_hex(8)
        key = self.key(update_id)
        try:
            if await self._redis.set(key, token, nx=True, px=self._lease_ms):
                self._hold(update_id, token)
                return Claim.NEW, token
            held = await self._redis.get(key)
        except RedisError as error:
            raise StateUnavailable("update claims (Redis) unavailable during claim") from error
        if held is None:  # the lease ran out between the two calls: try once more
            return await self.claim(update_id)
        return (Claim.DONE if held == _DONE else Claim.BUSY), ""

    def _hold(self, update_id: int, token: str) -> None:
        self._held[update_id] = token
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.create_task(self._keep_renewing())

    async def _keep_renewing(self) -> None:
        while self._held:
            await asyncio.sleep(self._lease_ms / 3000)
            for update_id, token in list(self._held.items()):
                try:
                    await self._renew(keys=[self.key(update_id)], args=[token, self._lease_ms])
                except RedisError as error:
                    log.warning("an update claim was not renewed: %s", type(error).__name__)

    async def aclose(self) -> None:
        self._held.clear()
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer

    async def confirm(self, update_id: int, token: str) -> None:
        self._held.pop(update_id, None)
        try:
            await self._confirm(keys=[self.key(update_id)], args=[token, self._done_ms])
        except RedisError as error:
            raise StateUnavailable("update claims (Redis) unavailable during confirm") from error

    async def release(self, update_id: int, token: str) -> None:
        self._held.pop(update_id, None)
        try:
            await self._release(keys=[self.key(update_id)], args=[token])
        except RedisError as error:
            raise StateUnavailable("update claims (Redis) unavailable during release") from error


def make_deduper(redis: Redis | None, token: str) -> UpdateDeduper:
    """Shared claims in Redis (named after a hash of the token, never the token), else memory."""
    if redis is None:
        return MemoryUpdateDeduper()
    return RedisUpdateDeduper(redis, bot=hashlib.sha256(token.encode()).hexdigest()[:24])
