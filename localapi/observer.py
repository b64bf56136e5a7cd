"""The bench's hook into the local server (see ``bench/metered.py``): told what people did, what
getUpdates handed out and every Bot API call, as it happens on the server.

Set it with :meth:`localapi.LocalBotApi.observe`. Its methods run on the server's threads and
must be quick; :meth:`Observer.person_acted` runs under the state's lock, so that a timestamp
and the update it stamps are one step (the bot cannot fetch the update in between).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from localapi.params import Params


class Observer(Protocol):
    def person_acted(self, chat_id: int, at: float, callback_query_id: str | None) -> None:
        """A person sent a message (``callback_query_id`` None) or pressed a button."""

    def updates_fetched(self, updates: list[dict[str, Any]], at: float) -> None:
        """getUpdates (one poll of it) returned these updates, possibly none, or an update is
        being posted to the webhook (one at a time, again when it is posted again)."""

    def bot_called(
        self, method: str, params: Params, at: float, result: Any, error: str | None
    ) -> None:
        """The bot called a method (not getUpdates): its result, or Telegram's error text."""
