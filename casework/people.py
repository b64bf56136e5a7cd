"""Who sent an update, as the transport told us: kept in memory for one update, never stored."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    """The sender of one update (a person writing, or a volunteer): only pseudonyms of
    `user_id` are stored; `chat_id` is stored only encrypted."""

    user_id: int
    chat_id: int
    client_language: str | None = None
