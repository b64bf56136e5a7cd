"""The simulated world: users, chats and their messages, the clock, and how they look on the wire.

:class:`World` is the base every other part of :class:`~localapi.state.BotState` builds on:
the lock, change notification, and the lookups and checks the Bot API methods share.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from localapi.models import ApiError, Button, ChatMessage, bad_request
from localapi.observer import Observer
from localapi.params import Params, to_bool, to_int

DELETE_WINDOW_SECONDS = 48 * 3600


@dataclass
class UserInfo:
    """A simulated Telegram user (never a bot)."""

    id: int
    first_name: str
    username: str | None
    language_code: str | None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class StoredMessage:
    """A message as the server stores it; converted to wire JSON or ChatMessage on demand."""

    message_id: int
    chat_id: int
    from_bot: bool
    sender: UserInfo | None
    date: int
    kind: str
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    content: dict[str, Any] = field(default_factory=dict)
    reply_markup: dict[str, Any] | None = None
    reply_keyboard: list[list[str]] | None = None
    protect_content: bool = False
    reply_to: int | None = None
    edit_date: int | None = None
    deleted: bool = False
    auto_delete_at: int | None = None
    revision: int = 0


@dataclass
class Chat:
    """A chat the bot is part of: a private chat with a user, or a group."""

    id: int
    type: str
    user: UserInfo | None = None
    title: str | None = None
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    last_message_id: int = 0
    started: bool = False
    blocked: bool = False
    auto_delete_seconds: int = 0
    callback_answers: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        if self.user is not None:
            data: dict[str, Any] = {
                "id": self.id,
                "type": "private",
                "first_name": self.user.first_name,
            }
            if self.user.username:
                data["username"] = self.user.username
            return data
        return {"id": self.id, "type": self.type, "title": self.title or ""}


@dataclass
class CallbackQuery:
    chat_id: int
    created: float
    answered: bool = False


class World:
    """Users, chats and messages, guarded by ``cond``; see :mod:`localapi.state` for locking."""

    cond: threading.Condition
    revision: int
    bot_id: int
    bot_username: str
    bot_first_name: str
    callback_query_ttl: float
    clock_offset: float
    users: dict[int, UserInfo]
    chats: dict[int, Chat]
    _listeners: list[Callable[[], None]]
    _queries: dict[str, CallbackQuery]
    _files: dict[str, dict[str, Any]]
    observer: Observer | None

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (under the lock) whenever updates or the webhook change."""
        with self.cond:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[], None]) -> None:
        with self.cond:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    def _touch(self, message: StoredMessage | None = None) -> None:
        self.revision += 1
        if message is not None:
            message.revision = self.revision
        self.cond.notify_all()

    def now(self) -> float:
        """The server clock: real time shifted by :meth:`advance_clock`."""
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        with self.cond:
            self.clock_offset += seconds
            self._touch()

    def bot_json(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def message_json(self, message: StoredMessage, *, nested: bool = False) -> dict[str, Any]:
        chat = self.chats[message.chat_id]
        sender = self.bot_json() if message.from_bot else _sender_json(message)
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": sender,
            "chat": chat.to_json(),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.reply_to is not None and not nested:
            replied = chat.messages.get(message.reply_to)
            if replied is not None and not replied.deleted:
                data["reply_to_message"] = self.message_json(replied, nested=True)
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = copy.deepcopy(message.entities)
        data.update(copy.deepcopy(message.content))
        if message.caption is not None:
            data["caption"] = message.caption
            if message.caption_entities:
                data["caption_entities"] = copy.deepcopy(message.caption_entities)
        if message.reply_markup is not None:
            data["reply_markup"] = copy.deepcopy(message.reply_markup)
        if message.protect_content:
            data["has_protected_content"] = True
        return data

    def _chat(self, params: Params, key: str = "chat_id") -> Chat:
        raw = params.str(key)
        if not raw:
            raise bad_request(f"{key} is empty")
        chat_id = to_int(raw)
        chat = self.chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise bad_request("chat not found")
        self._purge(chat)
        return chat

    @staticmethod
    def _writable(chat: Chat) -> None:
        if chat.type != "private":
            return
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not chat.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")

    def _purge(self, chat: Chat) -> None:
        """Apply the chat's auto-delete timer lazily, against the server clock."""
        now = self.now()
        for message in chat.messages.values():
            if (
                not message.deleted
                and message.auto_delete_at is not None
                and message.auto_delete_at <= now
            ):
                message.deleted = True
                self._touch(message)

    @staticmethod
    def _message(chat: Chat, message_id: int, what: str) -> StoredMessage:
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request(f"{what} not found")
        return message

    @staticmethod
    def _message_id(params: Params) -> int:
        message_id = params.int("message_id") or 0
        if message_id <= 0:
            raise bad_request("message identifier is not specified")
        return message_id

    def _reply_to(self, chat: Chat, params: Params) -> int | None:
        value = params.json("reply_parameters", "reply parameters")
        if isinstance(value, dict):
            message_id = to_int(value.get("message_id")) or 0
            allow_missing = to_bool(value.get("allow_sending_without_reply", False))
        else:
            message_id = params.int("reply_to_message_id") or 0
            allow_missing = params.bool("allow_sending_without_reply")
        if message_id <= 0:
            return None
        replied = chat.messages.get(message_id)
        if replied is None or replied.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return message_id

    def _add_message(
        self, chat: Chat, *, from_bot: bool, kind: str, **fields: Any
    ) -> StoredMessage:
        chat.last_message_id += 1
        message = StoredMessage(
            message_id=chat.last_message_id,
            chat_id=chat.id,
            from_bot=from_bot,
            sender=None if from_bot else chat.user,
            date=int(self.now()),
            kind=kind,
            **fields,
        )
        if chat.auto_delete_seconds:
            message.auto_delete_at = message.date + chat.auto_delete_seconds
        chat.messages[message.message_id] = message
        self._touch(message)
        return message

    def _check_deletable(self, message: StoredMessage) -> None:
        if self.now() - message.date >= DELETE_WINDOW_SECONDS:
            raise bad_request("message can't be deleted")
        chat = self.chats[message.chat_id]
        if chat.type != "private" and not message.from_bot:
            raise bad_request("message can't be deleted")

    def chat_messages(self, chat_id: int) -> list[ChatMessage]:
        with self.cond:
            chat = self.chats[chat_id]
            self._purge(chat)
            return [
                snapshot(m) for m in sorted(chat.messages.values(), key=_by_id) if not m.deleted
            ]

    def changed_bot_messages(self, chat_id: int, after: int | None) -> list[ChatMessage]:
        """Visible bot messages (``message_id > after`` if given), most recently changed first."""
        with self.cond:
            chat = self.chats[chat_id]
            self._purge(chat)
            candidates = [
                m
                for m in chat.messages.values()
                if m.from_bot and not m.deleted and (after is None or m.message_id > after)
            ]
            candidates.sort(key=lambda m: m.revision, reverse=True)
            return [snapshot(m) for m in candidates]

    def deleted_message_ids(self, chat_id: int) -> set[int]:
        with self.cond:
            chat = self.chats[chat_id]
            self._purge(chat)
            return {m.message_id for m in chat.messages.values() if m.deleted}

    def last_message_id(self, chat_id: int) -> int:
        with self.cond:
            return self.chats[chat_id].last_message_id

    def callback_answers(self, chat_id: int) -> list[dict[str, Any]]:
        with self.cond:
            return copy.deepcopy(self.chats[chat_id].callback_answers)

    def is_blocked(self, chat_id: int) -> bool:
        with self.cond:
            return self.chats[chat_id].blocked


def _by_id(message: StoredMessage) -> int:
    return message.message_id


def _sender_json(message: StoredMessage) -> dict[str, Any]:
    assert message.sender is not None
    return message.sender.to_json()


def snapshot(message: StoredMessage) -> ChatMessage:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return ChatMessage(
        message_id=message.message_id,
        from_bot=message.from_bot,
        text=message.text,
        kind=message.kind,
        buttons=[
            [
                Button(
                    text=button["text"],
                    callback_data=button.get("callback_data"),
                    url=button.get("url"),
                )
                for button in row
            ]
            for row in rows
        ],
        protect_content=message.protect_content,
        date=message.date,
        edited=message.edit_date is not None,
        reply_to=message.reply_to,
        entities=copy.deepcopy(message.entities),
        caption=message.caption,
        edit_date=message.edit_date,
        reply_keyboard=copy.deepcopy(message.reply_keyboard),
    )
