"""The soldier's intake over the real python-telegram-bot application and the local Bot API."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from bot.inprocess import BotThread
from bot.services import Services
from localapi import FakeUser, LocalBotApi
from storage import cases as case_store
from storage.models import Case
from tests.support.people import command, eventually, say, send_media, tap, toast_shown

REFERENCE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}\b")


def stored_cases(bot: BotThread) -> list[tuple[Case, dict[str, Any]]]:
    async def read(services: Services) -> list[tuple[Case, dict[str, Any]]]:
        async with services.sessions() as db:
            cases = (await db.scalars(select(Case).order_by(Case.created_at))).all()
            return [(case, case_store.case_answers(services.cipher, case)) for case in cases]

    return bot.run(read)  # type: ignore[no-any-return]


def english_intake_up_to_review(user: FakeUser, details: str = "I need to leave soon.") -> None:
    command(user, "/start", expect="Choose your language")
    tap(user, "English", expect="Telegram is not end-to-end encrypted")
    tap(user, "I understand, continue", expect="Who needs help?")
    tap(user, "I do", expect="What is the situation right now?")
    tap(user, "Mobilized", expect="Where is the person now?")
    tap(user, "In Russia", expect="How urgent is it?")
    tap(user, "Within a few days", expect="What help is needed?")
    tap(user, "Legal advice", expect="✅ Legal advice")
    tap(user, "Leaving Russia", expect="✅ Leaving Russia")
    tap(user, "Done", expect="Which documents are at hand?")
    tap(user, "Taken by the unit", expect="✅ Taken by the unit")
    tap(user, "Done", expect="In a few sentences")
    say(user, details, expect="How may we reply?")
    tap(user, "Only in this bot", expect="Please check your answers")


def test_a_full_intake_in_english_becomes_an_encrypted_case(
    api: LocalBotApi, bot: BotThread
) -> None:
    user = api.user(language_code="en")
    english_intake_up_to_review(user)
    review = user.last_bot_message()
    assert review is not None
    assert "• Situation: Mobilized" in review.visible_text
    assert "• Help needed: Leaving Russia, Legal advice (deferment" in review.visible_text
    assert "• Description: I need to leave soon." in review.visible_text
    done = tap(user, "Send the request", expect="Your request has been sent")
    reference = REFERENCE.search(done.visible_text)
    assert reference is not None
    assert done.buttons == []

    [(case, answers)] = stored_cases(bot)
    assert case.reference == reference.group(0)
    assert (case.status, case.priority, case.category, case.language) == (
        "waiting", 2, "serving", "en",
    )  # fmt: skip
    assert answers == {
        "who": "self",
        "status": "mobilized",
        "location": "russia",
        "urgency": "days",
        "help": ["leave_russia", "legal"],
        "documents": ["taken_by_unit"],
        "details": "I need to leave soon.",
        "contact": "bot_only",
    }
    # Every message the bot sent was protected from forwarding and saving.
    sent = api.calls("sendMessage")
    assert sent
    assert all(call.params.get("protect_content") in (True, "true") for call in sent)


def test_a_full_intake_in_russian_with_the_description_skipped(
    api: LocalBotApi, bot: BotThread
) -> None:
    user = api.user(language_code="ru")
    say(user, "здравствуйте", expect="Выберите язык")
    tap(user, "Русский", expect="не защищена сквозным шифрованием")
    tap(user, "Понятно, продолжить", expect="Кому нужна помощь?")
    tap(user, "Близкому человеку", expect="Какая сейчас ситуация?")
    tap(user, "Уже за границей", expect="В какой части мира?")
    tap(user, "Центральная Азия", expect="риск выдачи")
    tap(user, "Задержан сейчас", expect="Насколько это срочно?")
    tap(user, "Опасность прямо сейчас", expect="Если вы в опасности прямо сейчас")
    tap(user, "Остаться за границей", expect="✅ Остаться за границей")
    tap(user, "Готово", expect="Какие документы на руках?")
    tap(user, "Ничего из этого", expect="✅ Ничего из этого")
    tap(user, "Готово", expect="Опишите в нескольких предложениях")
    tap(user, "Пропустить", expect="Как нам ответить?")
    review = tap(user, "волонтёр может предложить", expect="Проверьте ответы")
    assert "• Описание: (пропущено)" in review.visible_text
    assert "• Регион: Центральная Азия" in review.visible_text
    done = tap(user, "Отправить заявку", expect="Ваша заявка отправлена")
    assert REFERENCE.search(done.visible_text)

    [(case, answers)] = stored_cases(bot)
    assert (case.priority, case.category, case.language) == (1, "abroad", "ru")
    assert answers["who"] == "other_person"
    assert answers["details"] == ""
    assert "location" not in answers


def test_back_returns_to_the_previous_question(api: LocalBotApi, bot: BotThread) -> None:
    user = api.user(language_code="en")
    command(user, "/start", expect="Choose your language")
    tap(user, "English", expect="not end-to-end encrypted")
    tap(user, "I understand, continue", expect="Who needs help?")
    tap(user, "I do", expect="What is the situation right now?")
    back = command(user, "/back", expect="Who needs help?")
    assert "✅ I do" in back.button_texts
    tap(
        user,
        "Someone close to me",
        expect="What is the situation right now?",
        message_id=back.message_id,
    )
    tap(user, "← Back", expect="Who needs help?")


def test_cancel_asks_first_then_discards_the_draft(api: LocalBotApi, bot: BotThread) -> None:
    user = api.user(language_code="en")
    command(user, "/start", expect="Choose your language")
    tap(user, "English", expect="not end-to-end encrypted")
    tap(user, "I understand, continue", expect="Who needs help?")
    command(user, "/cancel", expect="Discard the unfinished questionnaire?")
    tap(user, "No, continue", expect="Who needs help?")
    command(user, "/cancel", expect="Discard the unfinished questionnaire?")
    tap(user, "Yes, discard", expect="The questionnaire was discarded")
    command(user, "/start", expect="Choose your language")  # a fresh start, not a resume
    command(user, "/cancel", expect="Discard the unfinished questionnaire?")


def test_changing_an_answer_from_the_review_screen(api: LocalBotApi, bot: BotThread) -> None:
    user = api.user(language_code="en")
    english_intake_up_to_review(user)
    tap(user, "✏️ Urgency", expect="How urgent is it?")
    review = tap(user, "In danger right now", expect="Please check your answers")
    assert "If you are in danger right now" in review.visible_text
    assert "• Urgency: In danger right now" in review.visible_text
    tap(user, "Send the request", expect="Your request has been sent")
    [(case, answers)] = stored_cases(bot)
    assert answers["urgency"] == "now"
    assert case.priority == 1


def test_an_over_long_text_is_refused_and_nothing_is_lost(api: LocalBotApi, bot: BotThread) -> None:
    user = api.user(language_code="en")
    english_intake_up_to_review(user)
    tap(user, "✏️ Description", expect="In a few sentences")
    refused = say(user, "x" * 1500, expect="The text is too long")
    assert "1,500 characters" in refused.visible_text
    assert "In a few sentences" in refused.visible_text  # the same question again
    say(user, "Shorter now.", expect="Please check your answers")
    tap(user, "Send the request", expect="Your request has been sent")
    [(_, answers)] = stored_cases(bot)
    assert answers["details"] == "Shorter now."
    assert answers["status"] == "mobilized"


def test_stickers_media_and_text_instead_of_a_button(api: LocalBotApi, bot: BotThread) -> None:
    user = api.user(language_code="en")
    command(user, "/start", expect="Choose your language")
    tap(user, "English", expect="not end-to-end encrypted")
    tap(user, "I understand, continue", expect="Who needs help?")
    for kind in ("sticker", "photo", "voice", "document"):  # deleted at once (test_checked_phone)
        reply = send_media(user, kind, expect="the bot deleted that file")
        assert "Who needs help?" in reply.visible_text
    reply = send_media(user, "location", expect="Please answer with text or the buttons only")
    assert "Who needs help?" in reply.visible_text
    reply = say(user, "me", expect="Please choose one of the buttons below")
    assert "Who needs help?" in reply.visible_text
    tap(user, "I do", expect="What is the situation right now?")


def test_an_old_button_says_the_question_has_passed(api: LocalBotApi, bot: BotThread) -> None:
    user = api.user(language_code="en")
    command(user, "/start", expect="Choose your language")
    tap(user, "English", expect="not end-to-end encrypted")
    tap(user, "I understand, continue", expect="Who needs help?")
    question = tap(user, "I do", expect="What is the situation right now?")
    user.press_data(question.message_id, "c|who|other_person")
    eventually(lambda: toast_shown(user, "This question has passed"), what="the stale toast")
    current = user.last_bot_message()
    assert current is not None
    assert "What is the situation right now?" in current.visible_text
    assert current.button_texts[0] == "Not called up yet"
    tap(user, "Mobilized", expect="Where is the person now?")


def test_unknown_command(api: LocalBotApi, bot: BotThread) -> None:
    user = api.user(language_code="en")
    command(user, "/teleport", expect="I do not know this command")


def test_two_answers_sent_at_once_are_both_applied_in_order(
    api: LocalBotApi, bot: BotThread
) -> None:
    user = api.user(language_code="en")
    command(user, "/start", expect="Choose your language")
    tap(user, "English", expect="not end-to-end encrypted")
    question = tap(user, "I understand, continue", expect="Who needs help?")
    user.press_data(question.message_id, "c|who|other_person")
    user.press_data(question.message_id, "c|status|contract")
    user.wait_for_text("Where is the person now?")
    back = command(user, "/back", expect="What is the situation right now?")
    assert "✅ Contract soldier" in back.button_texts
    back = tap(user, "← Back", expect="Who needs help?")
    assert "✅ Someone close to me (relative or friend)" in back.button_texts


def test_a_yes_no_question_shows_both_answers_side_by_side(
    api: LocalBotApi, bot: BotThread
) -> None:
    user = api.user(language_code="ru")
    command(user, "/start", expect="Выберите язык")
    tap(user, "Русский", expect="не защищена сквозным шифрованием")
    tap(user, "Понятно, продолжить", expect="Кому нужна помощь?")
    tap(user, "Мне", expect="Какая сейчас ситуация?")
    question = tap(user, "Пришла повестка", expect="больше 7 дней назад?")
    assert [button.text for button in question.buttons[0]] == ["Да", "Нет"]
    tap(user, "Да", expect="Где человек находится сейчас?")
