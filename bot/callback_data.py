"""Short opaque button payloads (Telegram allows 1-64 bytes), never personal data.

A payload names an action and, where needed, a step and an option id from the questionnaire:
`c|status|mobilized`. Anything that does not parse is treated as a stale button.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_BYTES = 64
SEPARATOR = "|"

CHOOSE = "c"
TOGGLE = "t"
DONE = "d"
SKIP = "s"
EDIT = "e"
SUBMIT = "S"
BACK = "b"
LANGUAGE = "l"
CANCEL = "x"
FORGET = "f"
NEW = "n"
REOPEN = "r"
SEND_NOW = "u"
ANSWER_REST = "a"
FLAGGED = "k"

_ARITY = {
    CHOOSE: 2,
    TOGGLE: 2,
    DONE: 1,
    SKIP: 1,
    EDIT: 1,
    SUBMIT: 0,
    BACK: 0,
    LANGUAGE: 1,
    CANCEL: 1,
    FORGET: 1,
    NEW: 0,
    REOPEN: 1,
    SEND_NOW: 0,
    ANSWER_REST: 0,
    FLAGGED: 1,
}


@dataclass(frozen=True)
class Action:
    kind: str
    args: tuple[str, ...] = ()


def encode(kind: str, *args: str) -> str:
    if _ARITY.get(kind) != len(args):
        raise ValueError(f"action {kind!r} takes {_ARITY.get(kind)} argument(s)")
    data = SEPARATOR.join((kind, *args))
    if len(data.encode()) > MAX_BYTES or any(SEPARATOR in a for a in args):
        raise ValueError("callback data does not fit Telegram's 64 bytes")
    return data


def decode(data: str | None) -> Action | None:
    if not data:
        return None
    kind, *args = data.split(SEPARATOR)
    if _ARITY.get(kind) != len(args) or not all(args):
        return None
    return Action(kind, tuple(args))
