"""The local Bot API server, metered: when people's updates are enqueued, when getUpdates (or
the webhook) delivers them, and every call the bot makes, as it happens on the server."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from localapi import LocalBotApi
from localapi.params import Params

REPLY_METHODS = frozenset({"sendMessage", "editMessageText", "answerCallbackQuery"})
SCREEN_METHODS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})
# Calls with a chat_id: python-telegram-bot's AIORateLimiter lets 30 of these through per second.
CHAT_SCOPED = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "deleteMessage",
        "deleteMessages",
        "copyMessage",
        "sendChatAction",
    }
)


@dataclass
class Event:
    """One call the bot made, as the human side of a chat sees it."""

    at: float
    method: str
    message: dict[str, Any] | None = None
    deleted: tuple[int, ...] = ()
    error: str | None = None

    @property
    def text(self) -> str:
        return str((self.message or {}).get("text") or "")


@dataclass
class Phase:
    """What one surge measured; written from the server thread and the driver, under a lock."""

    name: str
    people: set[int]
    started_at: float | None = None
    ended_at: float | None = None
    pending: dict[int, float] = field(default_factory=dict)
    reply_latencies: list[tuple[float, float]] = field(default_factory=list)
    screen_latencies: list[tuple[float, float]] = field(default_factory=list)
    step_latencies: dict[str, list[float]] = field(default_factory=dict)  # next screen, by step
    delivered: list[float] = field(default_factory=list)
    person_updates: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    call_times: list[tuple[float, str]] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def enqueued(self, chat_id: int, at: float) -> None:
        if chat_id not in self.people:
            return
        if self.started_at is None:
            self.started_at = at
        self.pending[chat_id] = at
        self.person_updates += 1

    def bot_call(self, method: str, chat_id: int | None, at: float, error: str | None) -> None:
        self.calls[method] += 1
        self.call_times.append((at, method))
        if error is not None:
            self.errors[f"{method}: {error[:70]}"] += 1
        if method in REPLY_METHODS and chat_id is not None and chat_id in self.pending:
            enqueued = self.pending.pop(chat_id)
            self.reply_latencies.append((enqueued, at - enqueued))


class Meter:
    """Timestamps what people enqueue, what getUpdates delivers and every reply, through the
    server's public hook (:meth:`localapi.LocalBotApi.observe`), so the server is unchanged."""

    def __init__(self, now: Callable[[], float]) -> None:
        self.now = now  # the server's clock
        self.lock = threading.RLock()
        self.phase: Phase | None = None
        self.sink: Callable[[int, Event], None] | None = None
        self.polled = threading.Event()
        self.last_enqueued: dict[int, float] = {}
        self.last_delivered: dict[int, float] = {}
        self._query_chat: dict[str, int] = {}
        self._seen: set[int] = set()  # update ids handed out (a webhook's out of order)

    def person_acted(self, chat_id: int, at: float, callback_query_id: str | None) -> None:
        with self.lock:
            if callback_query_id is not None:
                self._query_chat[callback_query_id] = chat_id
            self.last_enqueued[chat_id] = at
            if self.phase is not None:
                self.phase.enqueued(chat_id, at)

    def updates_fetched(self, updates: list[dict[str, Any]], at: float) -> None:
        self.polled.set()
        if not updates:
            return
        with self.lock:
            fresh = [u for u in updates if u["update_id"] not in self._seen]
            if fresh:
                self._seen.update(u["update_id"] for u in fresh)
                for update in fresh:
                    chat_id = _chat_of(update)
                    if chat_id is not None:
                        self.last_delivered[chat_id] = at
                if self.phase is not None:
                    self.phase.delivered.extend([at] * len(fresh))

    def bot_called(
        self, method: str, params: Params, at: float, result: Any, error: str | None
    ) -> None:
        with self.lock:
            if method == "answerCallbackQuery":
                chat_id = self._query_chat.pop(params.str("callback_query_id") or "", None)
            else:
                chat_id = _int(params.str("chat_id"))
            if self.phase is not None:
                self.phase.bot_call(method, chat_id, at, error)
        sink = self.sink
        if sink is None or chat_id is None:
            return
        event = Event(at=at, method=method, error=error)
        if method in SCREEN_METHODS and isinstance(result, dict):
            event.message = result
        elif method in ("deleteMessage", "deleteMessages") and error is None:
            ids = params.json("message_ids", "ids") if method == "deleteMessages" else None
            raw = ids if isinstance(ids, list) else [params.int("message_id")]
            event.deleted = tuple(i for i in (_int(x) for x in raw) if i is not None)
        sink(chat_id, event)


def _chat_of(update: dict[str, Any]) -> int | None:
    """The private chat (the person) an update comes from."""
    for kind in ("message", "edited_message", "callback_query"):
        body = update.get(kind)
        if isinstance(body, dict):
            sender = body.get("from") or {}
            return _int(sender.get("id"))
    return None


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


class MeteredApi(LocalBotApi):
    """The local Bot API server with a :class:`Meter` on its observer hook."""

    def __init__(self, **kwargs: Any) -> None:
        # A webhook is posted as many updates at once as its max_connections, as on Telegram.
        super().__init__(**kwargs)
        self.meter = Meter(self.now)
        self.observe(self.meter)
