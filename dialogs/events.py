"""What a person can do, and what the engine answers: plain values, no transport in sight."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Choose:
    """A single-choice button, or an edit of it from the review screen."""

    step: str
    option: str


@dataclass(frozen=True)
class Toggle:
    """A multiple-choice button: selects or unselects one option."""

    step: str
    option: str


@dataclass(frozen=True)
class Done:
    """Confirms the selection of a multiple-choice question."""

    step: str


@dataclass(frozen=True)
class Skip:
    """Skips an optional question."""

    step: str


@dataclass(frozen=True)
class Text:
    """Typed words. At a `secret` step the engine keeps `digest` (what the caller hashed the
    words into), never the words: it checks only their length."""

    text: str
    digest: str | None = None


@dataclass(frozen=True)
class Back:
    pass


@dataclass(frozen=True)
class Edit:
    """From the review screen: ask this question again."""

    step: str


@dataclass(frozen=True)
class Submit:
    pass


@dataclass(frozen=True)
class SendNow:
    """In danger (urgency "now"): send what is answered so far at once, at priority 1."""


@dataclass(frozen=True)
class SetLanguage:
    language: str


@dataclass(frozen=True)
class Repeat:
    """Show the current question again (after a pause, a /start mid-way, or a stray input)."""


@dataclass(frozen=True)
class Unsupported:
    """Something that is not an answer: a sticker, a photo, a voice message, a file."""

    kind: str


Event = (
    Choose
    | Toggle
    | Done
    | Skip
    | Text
    | Back
    | Edit
    | Submit
    | SendNow
    | SetLanguage
    | Repeat
    | Unsupported
)


@dataclass(frozen=True)
class Notice:
    """A message shown before the question, by locale key with its arguments."""

    key: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReviewLine:
    step: str
    answer: Any
    secret: bool = False
    """A codeword: shown as set or skipped, never as what is kept."""


@dataclass(frozen=True)
class Prompt:
    """The question to show now. `options` are the visible option ids, in order."""

    step: str
    kind: str
    language: str
    options: tuple[str, ...] = ()
    selected: tuple[str, ...] = ()
    optional: bool = False
    max_length: int = 0
    min_length: int = 0
    can_go_back: bool = False
    notices: tuple[Notice, ...] = ()
    review: tuple[ReviewLine, ...] = ()
    can_send_now: bool = False
    """The person said they are in danger now: this screen also offers "Send now"."""


@dataclass(frozen=True)
class Finished:
    """The person declined or reached an end step: nothing is kept."""

    step: str
    language: str
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True)
class Completed:
    """A submitted questionnaire, answers pruned to the path actually taken."""

    answers: dict[str, Any]
    priority: int
    category: str
    language: str
    partial: bool = False
    """Sent with "Send now": only the questions answered so far; the session goes on."""
    sent: str | None = None
    """The reference of the case this questionnaire was already sent as ("Send now"): these
    answers replace that case's instead of opening a new one."""


Outcome = Prompt | Finished | Completed
