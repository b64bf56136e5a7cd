"""The screens the same-calls peers show (bench/same_calls_bot.py, bench/aiogram_bot.py): one
function, so both frameworks send the same bytes.

Each screen is the size of a typical intake question: about 250 characters of text with a step
counter in it (so a person sees the edit changed something) and five buttons, one a row, as the
intake bot lays out its options. A button's data names the next step; nothing is stored.
"""

from __future__ import annotations

QUESTION = (
    "What is the situation right now? Choose the answer closest to yours; you can change it on"
    " the review screen before anything is sent. Nothing you choose here reaches anyone until"
    " you press Send at the end, and you can stop at any time with /cancel."
)
OPTIONS = ("Contract soldier", "Conscript", "Mobilized", "Reservist", "Back")


def screen(step: int) -> tuple[str, list[tuple[str, str]]]:
    """Screen number `step`: its text and its buttons as (label, callback data) pairs."""
    text = f"Step {step}\n\n{QUESTION}"
    return text, [(label, f"{step + 1}:{n}") for n, label in enumerate(OPTIONS)]


def next_step(data: str | None) -> int:
    """The step a pressed button leads to (1 for anything unexpected)."""
    head = (data or "").split(":", 1)[0]
    return int(head) if head.isdigit() else 1
