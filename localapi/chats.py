"""The human side of the local Bot API: simulated users and groups that tests and demos drive.

A :class:`FakeUser` is a Telegram user in a private chat with the bot. Its ``send_*`` and
``press`` methods produce the updates Telegram would (a ``message`` with a ``bot_command``
entity for ``/start``, a ``callback_query`` carrying the pressed bot message...), and its
read methods show the chat the way the user sees it: both sides, in order, with the bot's
edits applied and deleted messages gone.

All methods are thread-safe. Only :meth:`ChatView.wait_for` and :meth:`ChatView.wait_for_text`
block (bounded by their ``timeout``); from async code call their ``*_async`` twins, which run
them in a worker thread, or wrap them in :func:`asyncio.to_thread` yourself. The other methods
return immediately and may be called straight from a coroutine.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from localapi.models import Button, ChatMessage

if TYPE_CHECKING:
    from localapi.state import BotState

__all__ = ["ChatView", "FakeGroup", "FakeUser"]

_file_counter = itertools.count(1)


def _file(kind: str) -> dict[str, str]:
    number = next(_file_counter)
    return {
        "file_id": f"LOCAL-{kind}-{number:08d}-AgADBAADr6cxG",
        "file_unique_id": f"AQAD{kind[:2]}{number:06d}",
    }


class ChatView:
    """Read access to one chat, the way its human side sees it."""

    def __init__(self, state: BotState, chat_id: int, guard: Callable[[], None]) -> None:
        self._state = state
        self._chat_id = chat_id
        self._guard = guard

    @property
    def chat_id(self) -> int:
        return self._chat_id

    def messages(self) -> list[ChatMessage]:
        """The visible chat now: both sides, in order, edits applied, deleted ones left out."""
        return self._state.chat_messages(self._chat_id)

    def bot_messages(self) -> list[ChatMessage]:
        return [m for m in self.messages() if m.from_bot]

    def last_bot_message(self) -> ChatMessage | None:
        bot_messages = self.bot_messages()
        return bot_messages[-1] if bot_messages else None

    def deleted_message_ids(self) -> set[int]:
        """Ids of messages deleted by anyone (including by the auto-delete timer)."""
        return self._state.deleted_message_ids(self._chat_id)

    def mark(self) -> int:
        """The highest message id used in this chat so far; pass it as ``after=``."""
        return self._state.last_message_id(self._chat_id)

    def transcript(self) -> str:
        """The visible chat as text, one message per line (used in assertion messages)."""
        lines = [message.describe() for message in self.messages()]
        return "\n".join(lines) if lines else "(the chat is empty)"

    def wait_for(
        self,
        predicate: Callable[[ChatMessage], bool],
        *,
        timeout: float = 10.0,
        after: int | None = None,
        description: str | None = None,
    ) -> ChatMessage:
        """Block until a visible bot message satisfies ``predicate`` and return it.

        Messages the bot sent or edited count, newest change first; with ``after`` only
        messages whose id is greater count (so ``after=user.mark()`` skips what was already
        there, including later edits of those). Raises AssertionError with the chat's
        transcript when ``timeout`` seconds pass. Never call this on the server's own thread.
        """
        self._guard()
        state = self._state
        deadline = time.monotonic() + timeout
        while True:
            with state.cond:
                revision = state.revision
                candidates = state.changed_bot_messages(self._chat_id, after)
            for message in candidates:
                if predicate(message):
                    return message
            with state.cond:
                while state.revision == revision:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        wanted = description or getattr(predicate, "__name__", "predicate")
                        since = f" after #{after}" if after is not None else ""
                        raise AssertionError(
                            f"no bot message{since} matched {wanted} within {timeout:g} s; "
                            f"the chat:\n{self.transcript()}"
                        )
                    state.cond.wait(remaining)

    def wait_for_text(
        self, substring: str, *, timeout: float = 10.0, after: int | None = None
    ) -> ChatMessage:
        """:meth:`wait_for` a bot message whose text (or caption) contains ``substring``."""
        return self.wait_for(
            lambda message: substring in message.visible_text,
            timeout=timeout,
            after=after,
            description=f"text containing {substring!r}",
        )

    async def wait_for_async(
        self,
        predicate: Callable[[ChatMessage], bool],
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - same signature as wait_for
        after: int | None = None,
    ) -> ChatMessage:
        """:meth:`wait_for` for coroutines: waits in a worker thread, not on your loop."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout=timeout, after=after)

    async def wait_for_text_async(
        self,
        substring: str,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - same signature as wait_for_text
        after: int | None = None,
    ) -> ChatMessage:
        """:meth:`wait_for_text` for coroutines."""
        return await asyncio.to_thread(self.wait_for_text, substring, timeout=timeout, after=after)


class FakeUser(ChatView):
    """A Telegram user in a private chat with the bot (the chat id equals the user id)."""

    def __init__(self, state: BotState, user_id: int, guard: Callable[[], None]) -> None:
        super().__init__(state, user_id, guard)
        self._info = state.users[user_id]

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id})"

    @property
    def id(self) -> int:
        return self._info.id

    @property
    def language_code(self) -> str | None:
        return self._info.language_code

    @property
    def first_name(self) -> str:
        return self._info.first_name

    @property
    def username(self) -> str | None:
        return self._info.username

    @property
    def blocked(self) -> bool:
        return self._state.is_blocked(self.chat_id)

    # ------------------------------------------------------------------------- sending

    def send_text(self, text: str, *, reply_to: int | None = None) -> int:
        """Send a text message; returns its message id. A leading ``/command`` gets the
        ``bot_command`` entity a Telegram client would add."""
        return self._state.user_send(self.id, kind="text", text=text, reply_to=reply_to)

    def send_command(self, command: str, args: str = "") -> int:
        """Send ``/command args`` (the slash is optional here) with its bot_command entity."""
        command = command if command.startswith("/") else f"/{command}"
        text = f"{command} {args}" if args else command
        entities = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._state.user_send(self.id, kind="text", text=text, entities=entities)

    def send_sticker(self, emoji: str = "👍") -> int:
        sticker: dict[str, Any] = {
            **_file("sticker"),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "LocalTestStickers",
            "file_size": 23_456,
        }
        return self._state.user_send(self.id, kind="sticker", content={"sticker": sticker})

    def send_photo(self, caption: str | None = None) -> int:
        small = {**_file("photo"), "width": 90, "height": 60, "file_size": 1_234}
        large = {**_file("photo"), "width": 1280, "height": 853, "file_size": 98_765}
        return self._state.user_send(
            self.id, kind="photo", caption=caption, content={"photo": [small, large]}
        )

    def send_voice(self, duration: int = 3) -> int:
        voice = {
            **_file("voice"),
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": 12_345,
        }
        return self._state.user_send(self.id, kind="voice", content={"voice": voice})

    def send_document(self, file_name: str = "document.pdf", *, caption: str | None = None) -> int:
        document = {
            **_file("document"),
            "file_name": file_name,
            "mime_type": "application/pdf",
            "file_size": 45_678,
        }
        return self._state.user_send(
            self.id, kind="document", caption=caption, content={"document": document}
        )

    def send_location(self, latitude: float = 55.7558, longitude: float = 37.6173) -> int:
        location = {"latitude": latitude, "longitude": longitude}
        return self._state.user_send(self.id, kind="location", content={"location": location})

    def edit_text(self, message_id: int, text: str) -> None:
        """Edit one of the user's text messages; the bot gets an ``edited_message`` update."""
        self._state.user_edit(self.id, message_id, text)

    def delete_messages(self, *message_ids: int) -> None:
        """Delete messages for both sides, as a user can in a private chat (no update)."""
        self._state.user_delete(self.id, message_ids)

    def set_auto_delete(self, seconds: int) -> int:
        """Set the chat's auto-delete timer (0 turns it off); returns the service message id.

        The bot gets a message with ``message_auto_delete_timer_changed``; messages sent from
        now on disappear ``seconds`` later on the server clock (see ``advance_clock``).
        """
        return self._state.user_set_auto_delete(self.id, seconds)

    def block(self) -> None:
        """Block the bot: its sends fail with 403 and it gets a ``my_chat_member`` update."""
        self._state.user_set_blocked(self.id, True)

    def unblock(self) -> None:
        """Unblock the bot (a client would then send /start; call send_command for that)."""
        self._state.user_set_blocked(self.id, False)

    # -------------------------------------------------------------------------- buttons

    def press(self, button: str, *, message_id: int | None = None) -> str:
        """Press an inline button and return the callback query id.

        ``button`` is the button's exact text, a substring unique among the message's buttons,
        or its callback_data. The message is ``message_id`` or else the newest bot message
        that has an inline keyboard.
        """
        bot_messages = self.bot_messages()
        if message_id is not None:
            target = next((m for m in bot_messages if m.message_id == message_id), None)
            if target is None:
                raise AssertionError(
                    f"bot message #{message_id} is not visible in the chat:\n{self.transcript()}"
                )
        else:
            with_keyboard = [m for m in bot_messages if m.buttons]
            if not with_keyboard:
                raise AssertionError(
                    f"no bot message with inline buttons to press {button!r}; the chat:\n"
                    f"{self.transcript()}"
                )
            target = with_keyboard[-1]
        found = _find_button(target, button)
        if found.callback_data is None:
            raise AssertionError(
                f"button {found.text!r} on message #{target.message_id} is not a callback button"
            )
        return self.press_data(target.message_id, found.callback_data)

    def press_data(self, message_id: int, callback_data: str) -> str:
        """Send a callback query with any data for a bot message (stale or forged data too)."""
        return self._state.user_press(self.id, message_id, callback_data)

    def callback_answers(self) -> list[dict[str, Any]]:
        """answerCallbackQuery calls for this user's queries: id, text, show_alert, url..."""
        return self._state.callback_answers(self.chat_id)


class FakeGroup(ChatView):
    """A group the bot can post to (e.g. where volunteers receive cases); read-only here."""

    def __repr__(self) -> str:
        return f"FakeGroup(id={self.chat_id})"

    @property
    def id(self) -> int:
        return self.chat_id


def _describe_buttons(message: ChatMessage) -> str:
    return ", ".join(
        f"{button.text!r} (data={button.callback_data!r})"
        for row in message.buttons
        for button in row
    )


def _find_button(message: ChatMessage, wanted: str) -> Button:
    buttons = [button for row in message.buttons for button in row]
    for matches in (
        [b for b in buttons if b.text == wanted],
        [b for b in buttons if b.callback_data == wanted],
        [b for b in buttons if wanted in b.text],
    ):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise AssertionError(
                f"{wanted!r} matches {len(matches)} buttons on bot message "
                f"#{message.message_id}: {_describe_buttons(message)}"
            )
    raise AssertionError(
        f"no button {wanted!r} on bot message #{message.message_id}; available: "
        f"{_describe_buttons(message) or 'none'}"
    )
