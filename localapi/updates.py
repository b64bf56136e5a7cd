"""The update queue and what getUpdates takes from it (the server does the long-poll waiting)."""

from __future__ import annotations

import copy
from collections import deque
from typing import Any

from localapi.models import bad_request
from localapi.params import Params
from localapi.world import World

LONG_POLL_MAX_TIMEOUT = 50

_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class Updates(World):
    """Updates wait here, in order, until the bot confirms them by offset or a webhook took them."""

    _updates: deque[tuple[int, str, dict[str, Any]]]
    _next_update_id: int
    _allowed_updates: frozenset[str] | None

    def _allowed(self, kind: str) -> bool:
        if self._allowed_updates is None:
            return kind not in _NOT_BY_DEFAULT
        return kind in self._allowed_updates

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> None:
        if not self._allowed(kind):
            return
        self._updates.append((self._next_update_id, kind, payload))
        self._next_update_id += 1
        self._touch()
        self._notify()

    def set_allowed_updates(self, params: Params) -> None:
        """Apply ``allowed_updates`` if given; absent keeps the previous setting, like Telegram."""
        value = params.json("allowed_updates", "allowed updates")
        if value is None:
            return
        if not isinstance(value, list):
            raise bad_request("can't parse allowed updates JSON object")
        with self.cond:
            self._allowed_updates = frozenset(str(v) for v in value) or None

    def poll(self, offset: int, limit: int) -> list[dict[str, Any]]:
        """getUpdates without the waiting: confirm by offset, return up to ``limit`` updates."""
        with self.cond:
            before = len(self._updates)
            if offset > 0:
                while self._updates and self._updates[0][0] < offset:
                    self._updates.popleft()
            elif offset < 0:
                while len(self._updates) > -offset:
                    self._updates.popleft()
            if len(self._updates) != before:
                self._touch()
            updates = [
                {"update_id": update_id, kind: copy.deepcopy(payload)}
                for update_id, kind, payload in list(self._updates)[:limit]
            ]
        observer = self.observer
        if observer is not None:
            observer.updates_fetched(updates, self.now())
        return updates

    def pending_updates(self) -> int:
        with self.cond:
            return len(self._updates)
