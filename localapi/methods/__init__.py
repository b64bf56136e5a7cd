"""The Bot API methods the local server implements, grouped by area in this package's modules."""

from __future__ import annotations

CANONICAL_METHODS = (
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

METHODS: dict[str, str] = {name.lower(): name for name in CANONICAL_METHODS}
"""Lower-cased method name -> canonical name; Telegram matches method names case-insensitively."""
