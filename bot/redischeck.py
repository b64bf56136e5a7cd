"""Whether Redis may silently drop what the bot keeps in it.

Drafts, locks, flood buckets and message ids live in Redis. With `maxmemory` set and an eviction
policy (anything but `noeviction`), Redis deletes keys when it is full: an unfinished
questionnaire would vanish without a word. With `noeviction` a full Redis refuses writes
instead, and the bot tells the person to try again shortly (nothing is lost).
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

SAFE_POLICY = "noeviction"


async def eviction_policy(redis: Redis) -> str | None:
    """Redis's maxmemory-policy, or None when the server does not say (CONFIG disabled)."""
    try:
        found = await redis.config_get("maxmemory-policy")
    except RedisError:
        return None
    value = found.get("maxmemory-policy") if isinstance(found, dict) else None
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    return value if isinstance(value, str) else None


def eviction_problem(policy: str | None) -> str | None:
    """One line for the operator when the policy can drop drafts, else None."""
    if policy is None or policy == SAFE_POLICY:
        return None
    return (
        f"Redis maxmemory-policy is {policy}: when Redis is full it deletes keys, and unfinished"
        f" questionnaires vanish; set maxmemory-policy {SAFE_POLICY}"
    )
