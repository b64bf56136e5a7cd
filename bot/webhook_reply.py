"""Reply into the webhook: a button press answered in the webhook's HTTP answer, not by a call.

Telegram runs one Bot API method given as the body of the webhook's answer and returns its
result to no one ("Making requests when getting updates"). The bot answers the webhook only once
an update was handled, so the press's `answerCallbackQuery` (whose result is a bare True) can
ride in that answer: one outgoing call per press fewer. python-telegram-bot has no such thing;
the seam is a per-update slot in a context variable: the webhook server opens it around one
update (`collecting`), `RecordingBot` puts the first fitting call into it instead of sending it,
and the server writes what the slot holds as its answer. Only one method fits an answer: any
further one, and anything after the slot closed (a task that outlived the update), goes out as
a normal call. Long polling never opens a slot, so it is unchanged.

The answer arrives when the whole update was handled, not when the handler asked for it; a
press's spinner therefore lasts until the next screen is shown, which is when it is over anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

ANSWER_PRESS = "answerCallbackQuery"
# Methods whose result the bot does not need (a bare True), so they may ride in the answer.
FITS_IN_ANSWER = frozenset({ANSWER_PRESS})


@dataclass
class ReplySlot:
    """What one update's webhook answer will carry."""

    method: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    open: bool = True
    press_answered: bool = False
    """Whether the handlers answered the press, through the slot or by a call."""

    def take(self, method: str, params: Callable[[], dict[str, Any]]) -> bool:
        """True when `method` rides in the answer (or needs no call at all): the caller then
        sends nothing and returns True, which is all Telegram would have answered."""
        if method == ANSWER_PRESS:
            if self.open and self.method == ANSWER_PRESS:
                # Answered already, in this answer: Telegram refuses a second answer to a
                # press, and RecordingBot would swallow that refusal; the first one stands.
                return True
            self.press_answered = True
        if not self.open or self.method is not None or method not in FITS_IN_ANSWER:
            return False
        self.method, self.params = method, params()
        return True

    def answer_body(self) -> dict[str, Any] | None:
        """The webhook answer's JSON body (closing the slot), or None for an empty answer."""
        self.open = False
        return None if self.method is None else {"method": self.method, **self.params}


_current: ContextVar[ReplySlot | None] = ContextVar("webhook_reply_slot", default=None)


def current() -> ReplySlot | None:
    """The slot of the update being handled here, if it came by webhook."""
    return _current.get()


@contextmanager
def collecting() -> Iterator[ReplySlot]:
    """Open a slot for the update handled inside; tasks it starts see the same slot."""
    slot = ReplySlot()
    token = _current.set(slot)
    try:
        yield slot
    finally:
        slot.open = False
        _current.reset(token)


def answer_press(callback_query_id: str) -> dict[str, Any]:
    """An empty answer to a press, as a webhook answer's body."""
    return {"method": ANSWER_PRESS, "callback_query_id": callback_query_id}
