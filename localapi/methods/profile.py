"""Bot API methods on the bot itself: getMe, logOut, close, commands, menu button, descriptions."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from localapi.models import bad_request
from localapi.params import Params
from localapi.world import World

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


class ProfileMethods(World):
    """The bot's own settings as Telegram keeps them, per scope and language."""

    _commands: dict[tuple[str, str], list[dict[str, str]]]
    _menu_buttons: dict[int | None, dict[str, Any]]
    _texts: dict[tuple[str, str], str]

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
