"""Every text exists in both languages and Russian plural forms come out right."""

from __future__ import annotations

import pytest

from locales.translator import Translator


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator.load()


def test_every_key_exists_in_every_language(translator: Translator) -> None:
    assert translator.keys("ru") == translator.keys("en")
    assert len(translator.keys("ru")) > 80


@pytest.mark.parametrize(
    ("count", "word"),
    [(1, "знак,"), (2, "знака,"), (5, "знаков,"), (11, "знаков,"), (21, "знак,"), (22, "знака,"),
     (25, "знаков,")],
)  # fmt: skip
def test_russian_plurals(translator: Translator, count: int, word: str) -> None:
    text = translator.text("ru", "text-too-long", length=count, max=1000)
    assert f": {count} {word}" in text


@pytest.mark.parametrize(
    ("count", "phrase"),
    [(1, "1 sent request was"), (2, "2 sent requests were"), (21, "21 sent requests were")],
)
def test_english_plurals(translator: Translator, count: int, phrase: str) -> None:
    assert phrase in translator.text("en", "forget-done", cases=count)


@pytest.mark.parametrize(
    ("count", "phrase"),
    [(0, "не было"), (1, "Стёрта 1 отправленная заявка"), (3, "Стёрты 3 отправленные заявки"),
     (11, "Стёрто 11 отправленных заявок"), (21, "Стёрта 21 отправленная заявка")],
)  # fmt: skip
def test_russian_plural_of_erased_requests(translator: Translator, count: int, phrase: str) -> None:
    assert phrase in translator.text("ru", "forget-done", cases=count)


def test_texts_have_no_invisible_isolation_marks(translator: Translator) -> None:
    text = translator.text("en", "submitted", reference="AB12-CD34")
    assert "AB12-CD34" in text
    assert "\u2068" not in text
    assert "\u2069" not in text


@pytest.mark.parametrize("length", [1001, 2501, 4096])
def test_a_long_message_from_a_person_reaches_the_volunteer_whole(
    translator: Translator, length: int
) -> None:
    """Fluent alone shows "{???}" for a placeable over 2,500 characters."""
    written = ("слово " * length)[:length]
    for language in translator.languages:
        relayed = translator.text(language, "desk-relayed", reference="7KQ2-M9XD", text=written)
        assert written in relayed
        assert "{???}" not in relayed
        assert "7KQ2-M9XD" in relayed
