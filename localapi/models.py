"""Value types shared by the local Bot API server, its state and the tests that drive it.

Everything here is a *snapshot*: the server hands out copies, so a test can keep a
:class:`ChatMessage` or :class:`ApiCall` around without it changing under its feet, and
without holding any lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "ApiCall",
    "ApiError",
    "Button",
    "ChatMessage",
    "FaultKind",
]

FaultKind = Literal["429", "500", "timeout", "timeout_after_apply"]
"""How an injected fault fails a call.

``"429"`` and ``"500"`` answer at once like Telegram's flood control and internal errors;
``"timeout"`` holds the request unanswered and does *not* apply it; ``"timeout_after_apply"``
applies it and then holds the answer, which is what makes a naive retry send a message twice.
"""


class ApiError(Exception):
    """A Bot API error answer: HTTP status, Telegram's description, optional parameters."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(what: str) -> ApiError:
    """``400 Bad Request: <what>``, the shape of most Bot API errors."""
    return ApiError(400, f"Bad Request: {what}")


@dataclass(frozen=True, slots=True)
class Button:
    """One inline keyboard button as the user sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(slots=True)
class ChatMessage:
    """One message of a chat as the user sees it right now (edits applied).

    ``text`` is the plain text after the bot's ``parse_mode`` was applied; the formatting is
    in ``entities``. Media messages carry their caption in ``caption`` and ``text`` is None.
    ``kind`` is ``"text"``, ``"sticker"``, ``"photo"``, ``"voice"``, ``"document"``,
    ``"location"`` or ``"auto_delete_timer_changed"`` (a service message).
    """

    message_id: int
    from_bot: bool
    text: str | None
    kind: str
    buttons: list[list[Button]]
    protect_content: bool
    date: int
    edited: bool
    reply_to: int | None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    edit_date: int | None = None
    reply_keyboard: list[list[str]] | None = None
    """Texts of a custom reply keyboard the bot sent with this message, if any."""

    @property
    def button_texts(self) -> list[str]:
        """All inline button texts, row by row, flattened."""
        return [button.text for row in self.buttons for button in row]

    @property
    def visible_text(self) -> str:
        """Text or caption, whichever the message has; empty for stickers and the like."""
        return self.text if self.text is not None else (self.caption or "")

    def describe(self) -> str:
        """One transcript line, for assertion messages in tests."""
        who = "bot" if self.from_bot else "user"
        body = self.visible_text or f"<{self.kind}>"
        if self.kind not in ("text",) and self.visible_text:
            body = f"<{self.kind}> {body}"
        flags = []
        if self.edited:
            flags.append("edited")
        if self.protect_content:
            flags.append("protected")
        if self.reply_to is not None:
            flags.append(f"reply to #{self.reply_to}")
        suffix = f" ({', '.join(flags)})" if flags else ""
        line = f"#{self.message_id} {who}{suffix}: {body}"
        for row in self.buttons:
            line += "\n    " + " ".join(f"[{b.text}]" for b in row)
        if self.reply_keyboard:
            for texts in self.reply_keyboard:
                line += "\n    keyboard: " + " ".join(f"({t})" for t in texts)
        return line


@dataclass(slots=True)
class ApiCall:
    """One request the server received, for assertions such as "sent with protect_content".

    ``params`` are decoded the way Telegram reads them: booleans, integers and JSON objects
    (``reply_markup``, ``message_ids``...) are Python values, everything else is a string.
    ``applied`` tells whether the call took effect on the server's state; it is False for
    errors and for faults that fail before applying the call.
    """

    method: str
    params: dict[str, Any]
    at: float
    status: int | None = None
    """HTTP status answered; None while in flight, 0 when the client had gone (timed out)."""
    fault: FaultKind | None = None
    applied: bool = False
    error: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    """Uploaded multipart files: field name -> file name."""
