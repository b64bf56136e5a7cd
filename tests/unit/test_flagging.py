"""The identifying details flagged in free text, and ordinary sentences that are not."""

from __future__ import annotations

import pytest

from dialogs.flagging import flag


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Служу в в/ч 12345, командир не отпускает", "unit"),
        ("в/ч №54321", "unit"),
        ("вч 12345", "unit"),
        ("Войсковая часть 12345 под Белгородом", "unit"),
        ("из войсковой части 01234", "unit"),
        ("I serve in military unit 12345", "unit"),
        ("Military Unit #54321", "unit"),
        ("Мой номер +7 912 345-67-89", "phone"),
        ("звоните 89123456789", "phone"),
        ("8 (912) 345 67 89", "phone"),
        ("my number is +374 91 234567", "phone"),
        ("Иванов Иван Иванович, 1995 года рождения", "name"),
        ("Мой сын Петров Сергей Алексеевич служит", "name"),
        ("Пётр Ильич Чайковский", "name"),
    ],
)
def test_identifying_details_are_flagged(text: str, kind: str) -> None:
    assert flag(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "Мне пришла повестка 12.05.2026, явиться до 20 мая.",
        "Я служу по контракту с 2023 года, часть стоит под Курском.",
        "Сын в части, связи нет уже 3 недели.",
        "Нужна консультация юриста. Москва, Санкт-Петербург или Казань подойдут.",
        "Нижний Новгород Сегодня",
        "Я в Армении, хочу вернуться в Россию в 2027 году.",
        "My unit is near the border, 200 km from home.",
        "I paid 15000 roubles and waited 12345 minutes.",
        "Call me after 18:00, between 20 and 22.",
        "We have 3 documents: passport, military ID, summons.",
        "",
    ],
)
def test_ordinary_sentences_are_not_flagged(text: str) -> None:
    assert flag(text) is None
