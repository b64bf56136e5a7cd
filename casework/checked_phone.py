"""A phone that may be checked (a commander, the police): what the person's answers ask of
every message the desk sends them.

`phone_checked` yes or not_sure, or `safe_time` evenings or when_i_write: sent without a sound
and with a neutral first line (what a lock screen shows). `safe_time` when_i_write: volunteers'
replies wait in the case until the person next writes to the bot.
"""

from __future__ import annotations

from typing import Any

from locales.translator import Translator

QUIET_PHONE = frozenset({"yes", "not_sure"})
QUIET_TIMES = frozenset({"evenings", "when_i_write"})


def quiet(answers: dict[str, Any]) -> bool:
    return answers.get("phone_checked") in QUIET_PHONE or answers.get("safe_time") in QUIET_TIMES


def held(answers: dict[str, Any]) -> bool:
    """Replies wait until the person writes: only then is the phone in their hands."""
    return answers.get("safe_time") == "when_i_write"


def quiet_text(t: Translator, language: str, body: str) -> str:
    """The body under a neutral first line, so a notification shows nothing of it."""
    return f"{t.text(language, 'quiet-first-line')}\n{body}"
