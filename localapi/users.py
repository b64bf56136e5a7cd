"""The user side: what simulated people do (write, edit, delete, press, block), as updates."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from localapi.updates import Updates
from localapi.world import CallbackQuery, Chat, StoredMessage, UserInfo

_LEADING_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]+)?")


class UserSide(Updates):
    """Called by tests and the demo (through :mod:`localapi.chats`), from any thread."""

    _next_user_id: int
    _next_group_id: int
    _next_query_id: int

    def add_user(
        self,
        user_id: int | None,
        *,
        first_name: str,
        username: str | None,
        language_code: str | None,
    ) -> UserInfo:
        """Create a user and their private chat with the bot, or return the existing one."""
        with self.cond:
            if user_id is not None and user_id in self.users:
                return self.users[user_id]
            if user_id is None:
                while self._next_user_id in self.chats:
                    self._next_user_id += 1
                user_id = self._next_user_id
                self._next_user_id += 1
            elif user_id <= 0:
                raise ValueError("user ids are positive")
            user = UserInfo(user_id, first_name, username, language_code)
            self.users[user_id] = user
            self.chats[user_id] = Chat(id=user_id, type="private", user=user)
            self._touch()
            return user

    def add_group(self, chat_id: int | None, *, title: str, chat_type: str) -> Chat:
        """Create a group the bot is a member of (it may post there), or return it."""
        with self.cond:
            if chat_id is not None and chat_id in self.chats:
                return self.chats[chat_id]
            if chat_id is None:
                base = -1_000_000_000_000 if chat_type == "supergroup" else 0
                chat_id = base - self._next_group_id
                self._next_group_id += 1
            elif chat_id >= 0:
                raise ValueError("group chat ids are negative")
            chat = Chat(id=chat_id, type=chat_type, title=title, started=True)
            self.chats[chat_id] = chat
            self._touch()
            return chat

    def _private(self, user_id: int) -> Chat:
        chat = self.chats[user_id]
        self._purge(chat)
        return chat

    def user_send(
        self,
        user_id: int,
        *,
        kind: str,
        text: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        caption: str | None = None,
        content: dict[str, Any] | None = None,
        reply_to: int | None = None,
    ) -> int:
        """The user sends a message; the bot gets a ``message`` update. Returns its id."""
        with self.cond:
            at = self.now()
            chat = self._private(user_id)
            if chat.blocked:
                raise AssertionError("this user has blocked the bot; call unblock() before sending")
            if reply_to is not None:
                self._user_visible(chat, reply_to)
            if text is not None and entities is None:
                match = _LEADING_COMMAND.match(text)
                if match:
                    entities = [{"type": "bot_command", "offset": 0, "length": match.end()}]
            content = dict(content or {})
            for value in content.values():
                self._register_files(value)
            chat.started = True
            message = self._add_message(
                chat,
                from_bot=False,
                kind=kind,
                text=text,
                entities=entities or [],
                caption=caption,
                content=content,
                reply_to=reply_to,
            )
            self._enqueue("message", self.message_json(message))
            if self.observer is not None:
                self.observer.person_acted(user_id, at, None)
            return message.message_id

    def _register_files(self, value: Any) -> None:
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict) and "file_id" in item:
                file_id = item["file_id"]
                self._files[file_id] = {
                    "file_id": file_id,
                    "file_unique_id": item["file_unique_id"],
                    "file_size": item.get("file_size", 0),
                    "file_path": f"files/{item['file_unique_id']}",
                }

    @staticmethod
    def _user_visible(chat: Chat, message_id: int) -> StoredMessage:
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise AssertionError(
                f"message #{message_id} is not in this chat (deleted or never sent)"
            )
        return message

    def user_edit(self, user_id: int, message_id: int, text: str) -> None:
        """The user edits one of their text messages; the bot gets ``edited_message``."""
        with self.cond:
            chat = self._private(user_id)
            message = self._user_visible(chat, message_id)
            if message.from_bot or message.text is None:
                raise AssertionError(f"message #{message_id} is not the user's text message")
            message.text = text
            match = _LEADING_COMMAND.match(text)
            message.entities = (
                [{"type": "bot_command", "offset": 0, "length": match.end()}] if match else []
            )
            message.edit_date = int(self.now())
            self._touch(message)
            self._enqueue("edited_message", self.message_json(message))

    def user_delete(self, user_id: int, message_ids: Iterable[int]) -> None:
        """The user deletes messages for both sides; bots get no update for that."""
        with self.cond:
            chat = self._private(user_id)
            for message_id in message_ids:
                message = self._user_visible(chat, message_id)
                message.deleted = True
                self._touch(message)

    def user_press(self, user_id: int, message_id: int, data: str) -> str:
        """The user presses an inline button; the bot gets ``callback_query``. Returns its id."""
        with self.cond:
            at = self.now()
            chat = self._private(user_id)
            if chat.blocked:
                raise AssertionError("this user has blocked the bot; call unblock() first")
            message = self._user_visible(chat, message_id)
            if not message.from_bot:
                raise AssertionError(f"message #{message_id} is the user's own message")
            query_id = str(self._next_query_id)
            self._next_query_id += 1
            self._queries[query_id] = CallbackQuery(chat.id, self.now())
            assert chat.user is not None
            self._enqueue(
                "callback_query",
                {
                    "id": query_id,
                    "from": chat.user.to_json(),
                    "message": self.message_json(message),
                    "chat_instance": str(chat.id * 7 + self.bot_id),
                    "data": data,
                },
            )
            if self.observer is not None:
                self.observer.person_acted(user_id, at, query_id)
            return query_id

    def user_set_auto_delete(self, user_id: int, seconds: int) -> int:
        """The user sets the chat's auto-delete timer: a service message and an update."""
        with self.cond:
            chat = self._private(user_id)
            message = self._add_message(
                chat,
                from_bot=False,
                kind="auto_delete_timer_changed",
                content={
                    "message_auto_delete_timer_changed": {"message_auto_delete_time": seconds}
                },
            )
            chat.auto_delete_seconds = max(0, seconds)
            self._enqueue("message", self.message_json(message))
            return message.message_id

    def user_set_blocked(self, user_id: int, blocked: bool) -> None:
        """Block or unblock the bot; the bot gets ``my_chat_member`` like from Telegram."""
        with self.cond:
            chat = self._private(user_id)
            if chat.blocked == blocked:
                return
            chat.blocked = blocked
            assert chat.user is not None
            member = {"status": "member", "user": self.bot_json()}
            kicked = {"status": "kicked", "user": self.bot_json(), "until_date": 0}
            self._enqueue(
                "my_chat_member",
                {
                    "chat": chat.to_json(),
                    "from": chat.user.to_json(),
                    "date": int(self.now()),
                    "old_chat_member": member if blocked else kicked,
                    "new_chat_member": kicked if blocked else member,
                },
            )
            self._touch()
