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


_UNITS = {"m": 1, "h": 60, "d": 1440, "w": 10080}
LONGEST_DELAY = timedelta(weeks=52)


def parse_delay(word: str) -> timedelta | None:
    """ "30m", "4h", "2d", "1w" as a duration (a whole number and one unit; at most a year);
    None for anything else."""
    word = word.strip().lower()
    number, unit = word[:-1], word[-1:]
    if unit not in _UNITS or not number.isascii() or not number.isdigit():
        return None
    delay = timedelta(minutes=int(number) * _UNITS[unit])
    if delay <= timedelta(0) or delay > LONGEST_DELAY:
        return None
    return delay
