"""One person's questionnaire in progress: the model the shared state machine moves.

Only plain values live here so that a draft can be serialised, encrypted and stored after
every answer, and restored after a restart exactly where the person left off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DRAFT_FORMAT = 1


@dataclass
class Session:
    state: str
    language: str
    answers: dict[str, Any] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    """The selection of a multiple-choice question that is not confirmed yet."""
    editing: bool = False
    """True after 'change' on the review screen: answered questions are skipped on the way back."""
    sent: bool = False
    """Already sent with "Send now": a later Submit completes that case."""
    case: str | None = None
    """The reference of the case "Send now" opened (set once it is stored)."""
    notices: list[str] = field(default_factory=list)
    """Notices raised by the last transition; transient, never saved."""

    # Attached by transitions while the session is added to the machine.
    trigger: Callable[..., bool] = field(init=False, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": DRAFT_FORMAT,
            "state": self.state,
            "language": self.language,
            "answers": self.answers,
            "pending": self.pending,
            "editing": self.editing,
            **({"sent": True, "case": self.case} if self.sent else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        if data.get("format") != DRAFT_FORMAT:
            raise ValueError("unknown draft format")
        return cls(
            state=str(data["state"]),
            language=str(data["language"]),
            answers=dict(data.get("answers") or {}),
            pending=list(data.get("pending") or []),
            editing=bool(data.get("editing", False)),
            sent=bool(data.get("sent", False)),
            case=str(data["case"]) if data.get("case") else None,
        )
