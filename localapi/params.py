"""Request parameters as Telegram reads them, and the validation shared by several methods.

Form fields arrive as strings (booleans as ``"true"``, nested objects as JSON); decoding them
once here keeps the methods about Telegram's rules, not about encodings.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping
from typing import Any

from localapi.formatting import FormattingError, parse_formatted_text
from localapi.models import bad_request

MAX_TEXT_LENGTH = 4096

MAX_CAPTION_LENGTH = 1024

MAX_CALLBACK_DATA_BYTES = 64

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


def to_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value)


def to_int(value: object) -> int | None:
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
            decoded[key] = to_bool(value)
        elif key in _INT_PARAMS or key in _CHAT_PARAMS:
            number = to_int(value)
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

    def int(self, name: builtins.str, default: int | None = None) -> int | None:
        number = to_int(self._values.get(name))
        return default if number is None else number

    def number(self, name: builtins.str, default: float) -> float:
        value = self._values.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return default
        return default

    def bool(self, name: builtins.str) -> bool:
        return to_bool(self._values.get(name, False))

    def json(self, name: builtins.str, what: builtins.str) -> Any:
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


def formatted_text(
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


def message_text(params: Params) -> tuple[str, list[dict[str, Any]]]:
    text, entities = formatted_text(params, "text", "entities")
    if not text:
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return text, entities


def reply_markup(
    params: Params, *, inline_only: bool = False
) -> tuple[dict[str, Any] | None, list[list[str]] | None]:
    """Validate reply_markup: ``(inline keyboard for the message, reply keyboard texts)``."""
    value = params.json("reply_markup", "reply keyboard markup")
    if value is None:
        return None, None
    if not isinstance(value, dict):
        raise bad_request("object expected as reply markup")
    if "inline_keyboard" in value:
        return inline_keyboard(value["inline_keyboard"]), None
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in value:
        rows = value["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
        texts = [
            [button if isinstance(button, str) else str(button.get("text", "")) for button in row]
            for row in rows
        ]
        return None, texts
    return None, None


def inline_keyboard(rows: Any) -> dict[str, Any] | None:
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
