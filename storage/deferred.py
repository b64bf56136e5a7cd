"""Which people have a finished questionnaire waiting for the database (deferred submissions).

The answers themselves wait in the person's encrypted draft; this index only says whose drafts
to retry, so a retry loop need not scan every draft. Owners are pseudonyms.
"""

from __future__ import annotations

from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from storage.drafts import RedisKeys
from storage.unavailable import StateUnavailable


class DeferredIndex(Protocol):
    async def add(self, owner: str) -> None: ...

    async def remove(self, owner: str) -> None: ...

    async def members(self) -> list[str]: ...


class MemoryDeferredIndex:
    def __init__(self) -> None:
        self._owners: set[str] = set()

    async def add(self, owner: str) -> None:
        self._owners.add(owner)

    async def remove(self, owner: str) -> None:
        self._owners.discard(owner)

    async def members(self) -> list[str]:
        return sorted(self._owners)


class RedisDeferredIndex:
    """A Redis set shared by every bot process, so any of them can retry."""

    def __init__(self, redis: Redis, *, prefix: str = "intake") -> None:
        self._redis = redis
        # The key still says "outbox": stored sets must survive an upgrade.
        self.key = RedisKeys(prefix).build("outbox", "index")

    async def add(self, owner: str) -> None:
        await self._run("sadd", owner)

    async def remove(self, owner: str) -> None:
        await self._run("srem", owner)

    async def members(self) -> list[str]:
        try:
            raw = await self._redis.smembers(self.key)
        except RedisError as error:
            raise StateUnavailable("outbox index unavailable") from error
        return sorted(item.decode() if isinstance(item, bytes) else str(item) for item in raw)

    async def _run(self, command: str, owner: str) -> None:
        try:
            await getattr(self._redis, command)(self.key, owner)
        except RedisError as error:
            raise StateUnavailable("outbox index unavailable") from error
