"""How long something has waited, as the arguments of the `duration` text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def age(since: datetime | None, now: datetime | None = None) -> dict[str, int]:
    """Whole days, hours and minutes since `since`."""
    if since is None:
        return {"days": 0, "hours": 0, "minutes": 0}
    delta = (now or datetime.now(UTC)) - since
    return split_duration(delta)


def split_duration(delta: timedelta) -> dict[str, int]:
    minutes = max(0, int(delta.total_seconds() // 60))
    return {"days": minutes // 1440, "hours": minutes % 1440 // 60, "minutes": minutes % 60}
