"""A case's answers and category in words: shared by the review screen and the desk's view."""

from __future__ import annotations

from typing import Any

from locales.translator import Translator


def answer_line(t: Translator, lang: str, step: str, answer: Any, *, secret: bool = False) -> str:
    label = t.text(lang, f"{step}-label")
    if secret:
        shown = t.text(lang, "answer-secret-set" if answer else "answer-skipped")
    elif isinstance(answer, list):
        shown = t.text(lang, "answer-separator").join(
            t.text(lang, f"{step}-opt-{a}") for a in answer
        )
    elif answer == "":
        shown = t.text(lang, "answer-skipped")
    elif t.has(lang, f"{step}-opt-{answer}"):
        shown = t.text(lang, f"{step}-opt-{answer}")
    else:
        shown = str(answer)
    return f"• {label}: {shown}"


def category_name(t: Translator, lang: str, category: str) -> str:
    """A case's category in words; one the questionnaire no longer has stays as its id."""
    key = f"category-{category}"
    return t.text(lang, key) if t.has(lang, key) else category
