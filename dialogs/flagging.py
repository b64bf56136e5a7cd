"""Details in free text that can identify a person on their own: a military unit's number,
a phone number, a full name (surname, name, patronymic). Found before the text is kept, so the
person can take it out (issue 12); no Telegram here, and nothing found is logged.

The patterns lean towards missing a detail rather than flagging ordinary sentences: a person
asked "keep or remove?" about every date or price would stop reading the question.
"""

from __future__ import annotations

import re

UNIT = re.compile(
    r"(?<!\w)(?:в\s*[/\\.]?\s*ч\.?|войсков\w*\s+част\w*|military\s+unit|unit\s+no\.?)"
    r"\s*(?:№|no\.?|#|n)?\s*\d{4,6}(?!\d)",
    re.IGNORECASE,
)
# Russian numbers (+7 or 8 and ten digits, spaced or dashed as people write them) and any
# international number written with a leading +.
PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+7|8)[\s\-]*\(?\d{3}\)?[\s\-]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}"
    r"|\+\d{1,3}[\s\-]*\(?\d{2,4}\)?(?:[\s\-]*\d{2,4}){2,4})(?!\d)"
)
_WORD = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
FULL_NAME = re.compile(rf"(?<![\w-])({_WORD})\s+({_WORD})\s+({_WORD})(?![\w-])")
# One of the three words must look like a patronymic: three capitalised words alone are too
# often a sentence's start ("Мой Брат Служит" is rare, "Нижний Новгород Сегодня" is not).
_PATRONYMIC = re.compile(r"(?:ович|евич|ич|овна|евна|ична|инична)$")


def flag(text: str) -> str | None:
    """The kind of identifying detail in `text` ("unit", "phone", "name"), or None."""
    if UNIT.search(text):
        return "unit"
    if PHONE.search(text):
        return "phone"
    for found in FULL_NAME.finditer(text):
        if any(_PATRONYMIC.search(word) for word in found.groups()):
            return "name"
    return None
