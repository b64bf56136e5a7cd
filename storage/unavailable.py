"""What every Redis-backed store raises when Redis cannot be reached: one translation.

Drafts, the message log, the edit log and the limits all fail the same way, so callers catch
one exception and the log lines say which store failed during what.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis.exceptions import RedisError


class StateUnavailable(Exception):
    """A Redis-backed store cannot be reached (or a draft lock not taken in time); retry later."""


@contextmanager
def redis_errors(what: str, action: str) -> Iterator[None]:
    """Turn a Redis error into StateUnavailable("<what> (Redis) unavailable during <action>")."""
    try:
        yield
    except RedisError as exc:
        raise StateUnavailable(f"{what} (Redis) unavailable during {action}") from exc
