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
    [(0, "You had no sent requests."), (1, "That includes 1 sent request and its conversation."),
     (2, "That includes 2 sent requests and their conversations."),
     (21, "That includes 21 sent requests and their conversations.")],
)  # fmt: skip
def test_english_plurals(translator: Translator, count: int, phrase: str) -> None:
    text = translator.text("en", "forget-done", cases=count)
    assert text.startswith("Done: the bot has erased everything of yours it kept. ")
    assert text.endswith(phrase)


@pytest.mark.parametrize(
    ("count", "phrase"),
    [(0, "Отправленных заявок у вас не было."),
     (1, "В том числе 1 отправленная заявка и переписка по ней."),
     (2, "В том числе 2 отправленные заявки и переписка по ним."),
     (5, "В том числе 5 отправленных заявок и переписка по ним."),
     (11, "В том числе 11 отправленных заявок и переписка по ним."),
     (21, "В том числе 21 отправленная заявка и переписка по ней."),
     (22, "В том числе 22 отправленные заявки и переписка по ним.")],
)  # fmt: skip
def test_russian_plural_of_erased_requests(translator: Translator, count: int, phrase: str) -> None:
    # The whole text, so a doubled verb ("Стёрто. Стёрта ...") or a wrong form shows.
    text = translator.text("ru", "forget-done", cases=count)
    assert text == "Готово: бот стёр у себя всё, что вы ему присылали. " + phrase


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
