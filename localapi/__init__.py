"""A local Bot API server that speaks Telegram's wire format, for tests and the demo."""

from localapi.chats import ChatView, FakeGroup, FakeUser
from localapi.models import ApiCall, ApiError, Button, ChatMessage, FaultKind
from localapi.server import LocalBotApi

__all__ = [
    "ApiCall",
    "ApiError",
    "Button",
    "ChatMessage",
    "ChatView",
    "FakeGroup",
    "FakeUser",
    "FaultKind",
    "LocalBotApi",
]
