"""The simulated Telegram world behind the local Bot API server, free of any I/O.

:class:`BotState` holds users, chats, messages, the update queue and the webhook settings, and
implements the Bot API methods as plain synchronous functions that either return a result or
raise :class:`~localapi.models.ApiError` with Telegram's description. Keeping it free of
HTTP and asyncio makes the Telegram rules (who may write first, the 48-hour delete window,
"message is not modified"...) easy to read and to test, and lets the user side (tests, the
terminal demo) mutate it from any thread.

Thread safety: every public method takes ``cond`` (a :class:`threading.Condition` over an
``RLock``) and never blocks while holding it. Every change bumps ``revision`` and notifies the
condition, so threads can wait for "something changed"; update listeners (the server's event
loop) are called under the lock and must only schedule work, never block.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from localapi.formatting import FormattingError, parse_formatted_text
from localapi.models import ApiCall, ApiError, Button, ChatMessage, FaultKind, bad_request

__all__ = ["METHODS", "BotState", "Params", "decode_params"]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
DELETE_WINDOW_SECONDS = 48 * 3600
LONG_POLL_MAX_TIMEOUT = 50

_CANONICAL_METHODS = (
    "getMe",
    "logOut",
    "close",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "sendMessage",
    "copyMessage",
    "sendChatAction",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "deleteMessages",
    "answerCallbackQuery",
    "getFile",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "setChatMenuButton",
    "getChatMenuButton",
    "setMyDescription",
    "getMyDescription",
    "setMyShortDescription",
    "getMyShortDescription",
    "setMyName",
    "getMyName",
)
METHODS: dict[str, str] = {name.lower(): name for name in _CANONICAL_METHODS}
"""Lower-cased method name -> canonical name; Telegram matches method names case-insensitively."""

# Update types a bot gets when it never set allowed_updates (or set an empty list).
_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_BOOL_PARAMS = frozenset(
    {
        "protect_content",
        "disable_notification",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "show_alert",
        "drop_pending_updates",
        "allow_paid_broadcast",
        "show_caption_above_media",
    }
)
_INT_PARAMS = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "reply_to_message_id",
        "max_connections",
        "message_thread_id",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "link_preview_options",
        "entities",
        "caption_entities",
        "message_ids",
        "allowed_updates",
        "commands",
        "scope",
        "menu_button",
    }
)
_CHAT_PARAMS = frozenset({"chat_id", "from_chat_id"})
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LEADING_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]+)?")
_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _to_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value)


def _to_int(value: object) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                return int(float(value.strip()))
            except ValueError:
                return None
    return None


def decode_params(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Decode request fields into the Python values Telegram would read them as.

    python-telegram-bot sends form fields whose nested objects are JSON strings and whose
    booleans are ``"true"``; decoding them here lets tests assert ``params["protect_content"]
    is True`` or look into ``params["reply_markup"]`` regardless of how the client encoded them.
    Values of unknown fields stay strings.
    """
    decoded: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _BOOL_PARAMS:
            decoded[key] = _to_bool(value)
        elif key in _INT_PARAMS or key in _CHAT_PARAMS:
            number = _to_int(value)
            decoded[key] = value if number is None else number
        elif key in _JSON_PARAMS and isinstance(value, str):
            try:
                decoded[key] = json.loads(value)
            except ValueError:
                decoded[key] = value
        else:
            decoded[key] = value
    return decoded


class Params:
    """Typed access to request parameters, tolerant of form strings and JSON values alike."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def has(self, name: str) -> bool:
        """True when the parameter is present and not an empty string."""
        value = self._values.get(name)
        return value is not None and value != ""

    def str(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value)

    def int(self, name: str, default: int | None = None) -> int | None:
        number = _to_int(self._values.get(name))
        return default if number is None else number

    def number(self, name: str, default: float) -> float:
        value = self._values.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return default
        return default

    def bool(self, name: str) -> bool:
        return _to_bool(self._values.get(name, False))

    def json(self, name: str, what: str) -> Any:
        """The parameter parsed as JSON, None when absent; 400 "can't parse ..." when invalid."""
        value = self._values.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {what} JSON object") from None


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
class _CallbackQuery:
    chat_id: int
    created: float
    answered: bool = False


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class _Fault:
    kind: FaultKind
    retry_after: int
    hold: float | None


class BotState:
    """Everything the fake Telegram knows; see the module docstring for the locking rules."""

    def __init__(
        self,
        *,
        bot_id: int,
        bot_username: str,
        bot_first_name: str,
        callback_query_ttl: float,
    ) -> None:
        self.cond = threading.Condition(threading.RLock())
        self.revision = 0
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.callback_query_ttl = callback_query_ttl
        self.clock_offset = 0.0
        self.users: dict[int, UserInfo] = {}
        self.chats: dict[int, Chat] = {}
        self._listeners: list[Callable[[], None]] = []
        self._updates: deque[tuple[int, str, dict[str, Any]]] = deque()
        # Updates a webhook accepted, newest last, so that a test can have one re-delivered.
        self._delivered: deque[tuple[int, str, dict[str, Any]]] = deque(maxlen=1000)
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] | None = None
        self._next_user_id = 100_000_001
        self._next_group_id = 1_000_000_001
        self._next_query_id = 4_000_000_000_000_000_001
        self._queries: dict[str, _CallbackQuery] = {}
        self._files: dict[str, dict[str, Any]] = {}
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._texts: dict[tuple[str, str], str] = {}
        self._webhook: _Webhook | None = None
        self._faults: dict[str, deque[_Fault]] = {}
        self._calls: deque[ApiCall] = deque(maxlen=20_000)
        self._handlers: dict[str, Callable[[Params], tuple[Any, str | None]]] = {
            name: getattr(self, "_m_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower())
            for name in _CANONICAL_METHODS
            if name != "getUpdates"
        }

    # ------------------------------------------------------------------------- plumbing

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

    # ------------------------------------------------------------------------ calls, faults

    def record_call(self, call: ApiCall) -> ApiCall:
        with self.cond:
            self._calls.append(call)
            self._touch()
            return call

    def finish_call(
        self, call: ApiCall, *, status: int, applied: bool, error: str | None = None
    ) -> None:
        with self.cond:
            call.status = status
            call.applied = applied
            call.error = error
            self._touch()

    def calls(self, method: str | None = None) -> list[ApiCall]:
        wanted = method.lower() if method else None
        with self.cond:
            return [
                replace(call, params=copy.deepcopy(call.params), files=dict(call.files))
                for call in self._calls
                if wanted is None or call.method.lower() == wanted
            ]

    def inject_fault(
        self, method: str, kind: FaultKind, *, times: int, retry_after: int, hold: float | None
    ) -> None:
        canonical = METHODS.get(method.lower())
        if canonical is None:
            raise ValueError(f"unknown Bot API method {method!r}")
        if kind not in ("429", "500", "timeout", "timeout_after_apply"):
            raise ValueError(f"unknown fault kind {kind!r}")
        with self.cond:
            queue = self._faults.setdefault(canonical, deque())
            queue.extend(_Fault(kind, retry_after, hold) for _ in range(times))

    def pop_fault(self, method: str) -> _Fault | None:
        with self.cond:
            queue = self._faults.get(method)
            return queue.popleft() if queue else None

    # ------------------------------------------------------------------------------ updates

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
            return [
                {"update_id": update_id, kind: copy.deepcopy(payload)}
                for update_id, kind, payload in list(self._updates)[:limit]
            ]

    def pending_updates(self) -> int:
        with self.cond:
            return len(self._updates)

    @property
    def webhook_active(self) -> bool:
        with self.cond:
            return self._webhook is not None

    def webhook_next(self) -> tuple[int, dict[str, Any], str, str | None] | None:
        """The oldest pending update and where to POST it, or None when there is nothing to do."""
        with self.cond:
            if self._webhook is None or not self._updates:
                return None
            update_id, kind, payload = self._updates[0]
            body = {"update_id": update_id, kind: copy.deepcopy(payload)}
            return update_id, body, self._webhook.url, self._webhook.secret_token

    def webhook_delivered(self, update_id: int, url: str) -> None:
        with self.cond:
            if self._webhook is None or self._webhook.url != url:
                return
            if self._updates and self._updates[0][0] == update_id:
                self._delivered.append(self._updates.popleft())
                self._webhook.last_error_date = None
                self._webhook.last_error_message = None
                self._touch()

    def delivered_updates(self) -> list[dict[str, Any]]:
        """Updates the webhook accepted, oldest first, as they were posted."""
        with self.cond:
            return [{"update_id": u, kind: copy.deepcopy(p)} for u, kind, p in self._delivered]

    def redeliver(self, update_id: int) -> None:
        """Deliver an accepted update again, with the same update_id, as Telegram does when
        it did not see the answer (a timeout, a dropped connection)."""
        with self.cond:
            for entry in self._delivered:
                if entry[0] == update_id:
                    self._updates.appendleft(entry)
                    self._touch()
                    self._notify()
                    return
            raise AssertionError(f"update {update_id} was never delivered")

    def webhook_failed(self, url: str, message: str) -> None:
        with self.cond:
            if self._webhook is not None and self._webhook.url == url:
                self._webhook.last_error_date = int(self.now())
                self._webhook.last_error_message = message
                self._touch()

    # ------------------------------------------------------------------------- dispatching

    def execute(self, method: str, params: Params) -> tuple[Any, str | None]:
        """Run a Bot API method (not getUpdates): ``(result, description)`` or ApiError."""
        handler = self._handlers[method]
        with self.cond:
            return handler(params)

    # ------------------------------------------------------------------------- wire helpers

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
        chat_id = _to_int(raw)
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

    @staticmethod
    def _formatted(
        params: Params, key: str, entities_key: str
    ) -> tuple[str | None, list[dict[str, Any]]]:
        raw = params.str(key)
        if raw is None:
            return None, []
        entities = params.json(entities_key, "entities")
        if entities is not None and not isinstance(entities, list):
            raise bad_request("can't parse entities JSON object")
        try:
            return parse_formatted_text(raw, params.str("parse_mode"), entities)
        except FormattingError as err:
            raise bad_request(f"can't parse entities: {err}") from None
        except ValueError:
            raise bad_request("unsupported parse_mode") from None

    def _text(self, params: Params) -> tuple[str, list[dict[str, Any]]]:
        text, entities = self._formatted(params, "text", "entities")
        if not text:
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        return text, entities

    @staticmethod
    def _reply_markup(
        params: Params, *, inline_only: bool = False
    ) -> tuple[dict[str, Any] | None, list[list[str]] | None]:
        """Validate reply_markup: ``(inline keyboard for the message, reply keyboard texts)``."""
        value = params.json("reply_markup", "reply keyboard markup")
        if value is None:
            return None, None
        if not isinstance(value, dict):
            raise bad_request("object expected as reply markup")
        if "inline_keyboard" in value:
            return _inline_keyboard(value["inline_keyboard"]), None
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in value:
            rows = value["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
            texts = [
                [
                    button if isinstance(button, str) else str(button.get("text", ""))
                    for button in row
                ]
                for row in rows
            ]
            return None, texts
        return None, None

    def _reply_to(self, chat: Chat, params: Params) -> int | None:
        value = params.json("reply_parameters", "reply parameters")
        if isinstance(value, dict):
            message_id = _to_int(value.get("message_id")) or 0
            allow_missing = _to_bool(value.get("allow_sending_without_reply", False))
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

    # ------------------------------------------------------------------ Bot API: the bot

    def _m_get_me(self, params: Params) -> tuple[Any, str | None]:
        me = self.bot_json()
        me.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return me, None

    def _m_log_out(self, params: Params) -> tuple[Any, str | None]:
        return True, None

    def _m_close(self, params: Params) -> tuple[Any, str | None]:
        return True, None

    def _m_set_webhook(self, params: Params) -> tuple[Any, str | None]:
        url = (params.str("url") or "").strip()
        if not url:
            return self._m_delete_webhook(params)
        if not re.match(r"^https?://[^/\s]+", url):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.str("secret_token")
        if secret is not None and secret != "" and not _SECRET_RE.match(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = max(1, min(params.int("max_connections", 40) or 40, 100))
        self.set_allowed_updates(params)
        if params.bool("drop_pending_updates"):
            self._updates.clear()
        same = self._webhook is not None and self._webhook.url == url
        self._webhook = _Webhook(url, secret or None, max_connections, params.str("ip_address"))
        self._touch()
        self._notify()
        return True, "Webhook is already set" if same else "Webhook was set"

    def _m_delete_webhook(self, params: Params) -> tuple[Any, str | None]:
        if params.bool("drop_pending_updates"):
            self._updates.clear()
        existed = self._webhook is not None
        self._webhook = None
        self._touch()
        self._notify()
        return True, "Webhook was deleted" if existed else "Webhook is already deleted"

    def _m_get_webhook_info(self, params: Params) -> tuple[Any, str | None]:
        info: dict[str, Any] = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        hook = self._webhook
        if hook is not None:
            info["url"] = hook.url
            info["max_connections"] = hook.max_connections
            if hook.ip_address:
                info["ip_address"] = hook.ip_address
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
            if self._allowed_updates is not None:
                info["allowed_updates"] = sorted(self._allowed_updates)
        return info, None

    def _m_send_message(self, params: Params) -> tuple[Any, str | None]:
        text, entities = self._text(params)
        inline, keyboard = self._reply_markup(params)
        chat = self._chat(params)
        self._writable(chat)
        reply_to = self._reply_to(chat, params)
        message = self._add_message(
            chat,
            from_bot=True,
            kind="text",
            text=text,
            entities=entities,
            reply_markup=inline,
            reply_keyboard=keyboard,
            protect_content=params.bool("protect_content"),
            reply_to=reply_to,
        )
        return self.message_json(message), None

    def _m_copy_message(self, params: Params) -> tuple[Any, str | None]:
        caption, caption_entities = self._formatted(params, "caption", "caption_entities")
        if caption is not None and len(caption) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        inline, keyboard = self._reply_markup(params)
        source_chat = self._chat(params, "from_chat_id")
        message_id = self._message_id(params)
        chat = self._chat(params)
        self._writable(chat)
        source = self._message(source_chat, message_id, "message to copy")
        if source.kind == "auto_delete_timer_changed":
            raise bad_request("message can't be copied")
        if source.protect_content:
            raise bad_request("message has protected content and can't be forwarded")
        reply_to = self._reply_to(chat, params)
        fields: dict[str, Any] = {
            "text": source.text,
            "entities": copy.deepcopy(source.entities),
            "content": copy.deepcopy(source.content),
            "caption": source.caption,
            "caption_entities": copy.deepcopy(source.caption_entities),
        }
        if caption is not None and source.text is None:
            fields["caption"] = caption or None
            fields["caption_entities"] = caption_entities
        copied = self._add_message(
            chat,
            from_bot=True,
            kind=source.kind,
            reply_markup=inline,
            reply_keyboard=keyboard,
            protect_content=params.bool("protect_content"),
            reply_to=reply_to,
            **fields,
        )
        return {"message_id": copied.message_id}, None

    def _m_send_chat_action(self, params: Params) -> tuple[Any, str | None]:
        chat = self._chat(params)
        self._writable(chat)
        if not params.str("action"):
            raise bad_request("wrong parameter action in request")
        return True, None

    def _m_edit_message_text(self, params: Params) -> tuple[Any, str | None]:
        if params.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        text, entities = self._text(params)
        inline, _ = self._reply_markup(params, inline_only=True)
        chat = self._chat(params)
        message = self._message(chat, self._message_id(params), "message to edit")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        if message.text == text and message.entities == entities and message.reply_markup == inline:
            raise _not_modified()
        message.text = text
        message.entities = entities
        message.reply_markup = inline
        message.edit_date = int(self.now())
        self._touch(message)
        return self.message_json(message), None

    def _m_edit_message_reply_markup(self, params: Params) -> tuple[Any, str | None]:
        if params.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        inline, _ = self._reply_markup(params, inline_only=True)
        chat = self._chat(params)
        message = self._message(chat, self._message_id(params), "message to edit")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        if message.reply_markup == inline:
            raise _not_modified()
        message.reply_markup = inline
        message.edit_date = int(self.now())
        self._touch(message)
        return self.message_json(message), None

    def _m_delete_message(self, params: Params) -> tuple[Any, str | None]:
        chat = self._chat(params)
        message = self._message(chat, self._message_id(params), "message to delete")
        self._check_deletable(message)
        message.deleted = True
        self._touch(message)
        return True, None

    def _m_delete_messages(self, params: Params) -> tuple[Any, str | None]:
        ids = params.json("message_ids", "message identifiers")
        if ids is not None and not isinstance(ids, list):
            raise bad_request("can't parse message identifiers JSON object")
        if not ids:
            raise bad_request("message identifiers are not specified")
        if len(ids) > 100:
            raise bad_request("too many message identifiers specified")
        chat = self._chat(params)
        deleted = 0
        # Telegram skips messages that can't be found; we also skip ones that can't be deleted.
        for raw_id in ids:
            message = chat.messages.get(_to_int(raw_id) or 0)
            if message is None or message.deleted:
                continue
            try:
                self._check_deletable(message)
            except ApiError:
                continue
            message.deleted = True
            self._touch(message)
            deleted += 1
        if not deleted:
            raise bad_request("message to delete not found")
        return True, None

    def _m_answer_callback_query(self, params: Params) -> tuple[Any, str | None]:
        query_id = params.str("callback_query_id") or ""
        query = self._queries.get(query_id)
        if query is None or query.answered or self.now() - query.created > self.callback_query_ttl:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        query.answered = True
        self.chats[query.chat_id].callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": params.str("text"),
                "show_alert": params.bool("show_alert"),
                "url": params.str("url"),
                "cache_time": params.int("cache_time", 0),
            }
        )
        self._touch()
        return True, None

    def _m_get_file(self, params: Params) -> tuple[Any, str | None]:
        info = self._files.get(params.str("file_id") or "")
        if info is None:
            raise bad_request("invalid file_id")
        return dict(info), None

    def file_content(self, file_path: str) -> bytes | None:
        """Bytes served under base_file_url for a file users sent (placeholder content)."""
        with self.cond:
            known = any(info["file_path"] == file_path for info in self._files.values())
        return f"local bot api placeholder for {file_path}\n".encode() if known else None

    @staticmethod
    def _scope_key(params: Params) -> tuple[str, str]:
        scope = params.json("scope", "BotCommandScope")
        if scope is None:
            scope = {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), params.str("language_code") or ""

    def _m_set_my_commands(self, params: Params) -> tuple[Any, str | None]:
        commands = params.json("commands", "bot commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse bot commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many bot commands specified")
        cleaned: list[dict[str, str]] = []
        for item in commands:
            if not isinstance(item, dict):
                raise bad_request("can't parse BotCommand JSON object")
            command = str(item.get("command", "")).removeprefix("/")
            description = str(item.get("description", ""))
            if not _COMMAND_RE.match(command):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": command, "description": description})
        key = self._scope_key(params)
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        self._touch()
        return True, None

    def _m_get_my_commands(self, params: Params) -> tuple[Any, str | None]:
        return copy.deepcopy(self._commands.get(self._scope_key(params), [])), None

    def _m_delete_my_commands(self, params: Params) -> tuple[Any, str | None]:
        self._commands.pop(self._scope_key(params), None)
        self._touch()
        return True, None

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """The commands set for a scope (default scope when None) and language."""
        key = (json.dumps(dict(scope or {"type": "default"}), sort_keys=True), language_code)
        with self.cond:
            return copy.deepcopy(self._commands.get(key, []))

    def _menu_chat_key(self, params: Params) -> int | None:
        if not params.has("chat_id"):
            return None
        return self._chat(params).id

    def _m_set_chat_menu_button(self, params: Params) -> tuple[Any, str | None]:
        key = self._menu_chat_key(params)
        button = params.json("menu_button", "menu button")
        if button is None:
            button = {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise bad_request("can't parse menu button JSON object")
        self._menu_buttons[key] = button
        self._touch()
        return True, None

    def _m_get_chat_menu_button(self, params: Params) -> tuple[Any, str | None]:
        key = self._menu_chat_key(params)
        button = self._menu_buttons.get(key) or self._menu_buttons.get(None) or {"type": "default"}
        return copy.deepcopy(button), None

    def menu_button(self, chat_id: int | None = None) -> dict[str, Any] | None:
        """What setChatMenuButton stored for a chat (None: the default for all chats)."""
        with self.cond:
            return copy.deepcopy(self._menu_buttons.get(chat_id))

    def _set_text(self, params: Params, field_name: str, limit: int) -> tuple[Any, str | None]:
        value = params.str(field_name) or ""
        if len(value) > limit:
            raise bad_request(f"{field_name} is too long")
        self._texts[(field_name, params.str("language_code") or "")] = value
        self._touch()
        return True, None

    def _get_text(self, params: Params, field_name: str) -> tuple[Any, str | None]:
        language = params.str("language_code") or ""
        value = self._texts.get((field_name, language), self._texts.get((field_name, ""), ""))
        if field_name == "name" and not value:
            value = self.bot_first_name
        return {field_name: value}, None

    def _m_set_my_description(self, params: Params) -> tuple[Any, str | None]:
        return self._set_text(params, "description", 512)

    def _m_get_my_description(self, params: Params) -> tuple[Any, str | None]:
        return self._get_text(params, "description")

    def _m_set_my_short_description(self, params: Params) -> tuple[Any, str | None]:
        return self._set_text(params, "short_description", 120)

    def _m_get_my_short_description(self, params: Params) -> tuple[Any, str | None]:
        return self._get_text(params, "short_description")

    def _m_set_my_name(self, params: Params) -> tuple[Any, str | None]:
        return self._set_text(params, "name", 64)

    def _m_get_my_name(self, params: Params) -> tuple[Any, str | None]:
        return self._get_text(params, "name")

    # -------------------------------------------------------------------- the user side

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
            chat = self._private(user_id)
            if chat.blocked:
                raise AssertionError("this user has blocked the bot; call unblock() first")
            message = self._user_visible(chat, message_id)
            if not message.from_bot:
                raise AssertionError(f"message #{message_id} is the user's own message")
            query_id = str(self._next_query_id)
            self._next_query_id += 1
            self._queries[query_id] = _CallbackQuery(chat.id, self.now())
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

    # -------------------------------------------------------------------- snapshots

    def chat_messages(self, chat_id: int) -> list[ChatMessage]:
        with self.cond:
            chat = self.chats[chat_id]
            self._purge(chat)
            return [
                _snapshot(m) for m in sorted(chat.messages.values(), key=_by_id) if not m.deleted
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
            return [_snapshot(m) for m in candidates]

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


def _not_modified() -> ApiError:
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )


def _inline_keyboard(rows: Any) -> dict[str, Any] | None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    cleaned_rows: list[list[dict[str, Any]]] = []
    for row in rows:
        cleaned: list[dict[str, Any]] = []
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Text must be a String")
            data = button.get("callback_data")
            if data is not None:
                size = len(str(data).encode("utf-8"))
                if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    raise bad_request("BUTTON_DATA_INVALID")
            if not any(button.get(action) is not None for action in _INLINE_ACTIONS):
                raise bad_request("text buttons are unallowed in the inline keyboard")
            cleaned.append({k: v for k, v in button.items() if v is not None})
        if cleaned:
            cleaned_rows.append(cleaned)
    return {"inline_keyboard": cleaned_rows} if cleaned_rows else None


def _snapshot(message: StoredMessage) -> ChatMessage:
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
