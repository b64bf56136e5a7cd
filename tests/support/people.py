"""Acting as a person in the chat: short verbs over the local Bot API's FakeUser.

Every verb waits for something that was not on the screen before, so a test never mistakes
the old question for the bot's answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from localapi import ChatMessage, FakeUser


def _shown(message: ChatMessage) -> str:
    return "\n".join([message.visible_text, *message.button_texts])


def _changed(user: FakeUser, expect: str) -> Callable[[ChatMessage], bool]:
    before = {m.message_id: (m.visible_text, _shown(m)) for m in user.bot_messages()}

    def changed(message: ChatMessage) -> bool:
        shown = _shown(message)
        if expect not in shown:
            return False
        if message.message_id not in before:
            return True
        text, was_shown = before[message.message_id]
        # An old prompt that only lost its buttons is being retired, not answering.
        retired = message.visible_text == text and not message.button_texts
        return was_shown != shown and not retired

    changed.__name__ = f"a new or changed message showing {expect!r}"
    return changed


def say(user: FakeUser, text: str, *, expect: str, timeout: float = 20.0) -> ChatMessage:
    """Send text; wait for a bot message, new or changed, that shows `expect`."""
    predicate = _changed(user, expect)
    user.send_text(text)
    return user.wait_for(predicate, timeout=timeout)


def command(
    user: FakeUser, name: str, *, expect: str, args: str = "", timeout: float = 20.0
) -> ChatMessage:
    predicate = _changed(user, expect)
    user.send_command(name, args)
    return user.wait_for(predicate, timeout=timeout)


def tap(
    user: FakeUser,
    button: str,
    *,
    expect: str,
    message_id: int | None = None,
    timeout: float = 20.0,
) -> ChatMessage:
    """Press a button (newest keyboard unless `message_id`), wait for what it leads to."""
    predicate = _changed(user, expect)
    user.press(button, message_id=message_id)
    return user.wait_for(predicate, timeout=timeout)


def send_media(user: FakeUser, kind: str, *, expect: str, timeout: float = 20.0) -> ChatMessage:
    predicate = _changed(user, expect)
    getattr(user, f"send_{kind}")()
    return user.wait_for(predicate, timeout=timeout)


def eventually(check: Callable[[], bool], *, timeout: float = 20.0, what: str = "") -> None:
    """Wait for something that is not a chat message (a callback answer, a stored row)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout:g} s: {what or check.__name__}")
        time.sleep(0.02)


def toast_shown(user: FakeUser, text: str) -> bool:
    """Whether the bot answered one of this person's button presses with `text`."""
    return any(text in (answer.get("text") or "") for answer in user.callback_answers())
