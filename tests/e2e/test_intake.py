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
    tap(user, "English", expect="This chat is not end-to-end encrypted")
    tap(user, "I understand, continue", expect="Who needs help?")
    tap(user, "I do", expect="What is the situation right now?")
    tap(user, "Mobilized", expect="Where are you (or he/she) now?")
    tap(user, "In Russia", expect="Right now, are you")
    tap(user, "In the unit", expect="is there a case against")
    tap(user, "No", expect="health problems")
    tap(user, "No", expect="How urgent is it?")
    tap(user, "Within a few days", expect="What help is needed?")
    tap(user, "Legal advice", expect="✅ Legal advice")
    tap(user, "Leaving Russia", expect="✅ Leaving Russia")
    tap(user, "Done", expect="Which documents are at hand?")
    tap(user, "Taken by the unit", expect="✅ Taken by the unit")
    tap(user, "Done", expect="Might someone check your phone")
    tap(user, "No", expect="choose a codeword")
    tap(user, "Skip", expect="If you like, tell us briefly")
    say(user, details, expect="Please check your answers")


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
        "movement": "in_unit",
        "criminal_case": "no",
        "health": "no",
        "urgency": "days",
        "help": ["leave_russia", "legal"],
        "documents": ["taken_by_unit"],
        "phone_checked": "no",
        "details": "I need to leave soon.",
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
    consent = tap(user, "Русский", expect="не защищена сквозным шифрованием")
    assert "Помощь бесплатная" in consent.visible_text
    assert "номер телефона и IP-адрес" in consent.visible_text
    tap(user, "Понятно, продолжить", expect="Кому нужна помощь?")
    tap(user, "Близкому человеку", expect="знает, что вы пишете нам?")
    tap(user, "Нет, пока не знает", expect="Какая сейчас ситуация")
    tap(user, "Уже за границей", expect="В какой стране или регионе?")
    tap(user, "Казахстан", expect="вернут в Россию?")
    tap(user, "Уже задержан(а)", expect="уголовное или административное?")
    tap(user, "Не знаю", expect="проблемы со здоровьем")
    tap(user, "Расскажу волонтёру", expect="Насколько это срочно?")
    danger = tap(user, "Опасно прямо сейчас", expect="ничего не подписывайте")
    assert "статья 51 Конституции" in danger.visible_text
    tap(user, "Остаться за границей", expect="✅ Остаться за границей")
    tap(user, "Готово", expect="Какие документы сейчас на руках?")
    tap(user, "Ничего из этого", expect="✅ Ничего из этого")
    tap(user, "Готово", expect="телефон могут проверить")
    tap(user, "Не уверен(а)", expect="безопаснее получать от нас сообщения?")
    tap(user, "Вечером", expect="задайте кодовое слово")
    tap(user, "Пропустить", expect="Если хотите, расскажите коротко")
    review = tap(user, "Пропустить", expect="Проверьте ответы")
    assert "• Описание: (пропущено)" in review.visible_text
    assert "• Страна или регион: Казахстан" in review.visible_text
    assert "• Когда писать: Вечером" in review.visible_text
    done = tap(user, "Отправить заявку", expect="Ваша заявка отправлена")
    assert REFERENCE.search(done.visible_text)

    [(case, answers)] = stored_cases(bot)
    assert (case.priority, case.category, case.language) == (1, "abroad", "ru")
    assert answers["who"] == "other_person"
    assert answers["other_knows"] == "no"
    assert (answers["phone_checked"], answers["safe_time"]) == ("not_sure", "evenings")
    assert answers["details"] == ""
    assert "location" not in answers


def test_a_summons_in_russian_warns_about_the_border(api: LocalBotApi, bot: BotThread) -> None:
    user = api.user(language_code="ru")
    command(user, "/start", expect="Выберите язык")
    tap(user, "Русский", expect="не защищена сквозным шифрованием")
    tap(user, "Понятно, продолжить", expect="Кому нужна помощь?")
    tap(user, "Мне", expect="Какая сейчас ситуация")
    tap(user, "Повестка", expect="На какой день вас (или его/её) вызывают")
    notice = tap(user, "Сегодня или уже прошёл", expect="выезд из России уже может быть закрыт")
    assert "не езжайте на границу" in notice.visible_text
    assert "7 дней" not in notice.visible_text
    assert "Где вы (или он/она) сейчас?" in notice.visible_text
    tap(user, "В России", expect="уголовное или административное?")
    tap(user, "Нет", expect="проблемы со здоровьем")
    tap(user, "Нет", expect="Насколько это срочно?")
    tap(user, "Без срока", expect="Какая помощь нужна?")
    tap(user, "Юрист", expect="✅ Юрист")
    tap(user, "Готово", expect="телефон могут проверить")
    tap(user, "Нет", expect="задайте кодовое слово")
    tap(user, "Пропустить", expect="Если хотите, расскажите коротко")
    tap(user, "Пропустить", expect="Проверьте ответы")
    tap(user, "Отправить заявку", expect="Ваша заявка отправлена")
    [(case, answers)] = stored_cases(bot)
    assert (case.priority, case.category) == (1, "summons")
    assert answers["summons_date"] == "today_or_past"
    assert "safe_time" not in answers


def test_the_danger_advice_stays_when_an_answer_is_refused(
    api: LocalBotApi, bot: BotThread
) -> None:
    user = api.user(language_code="en")
    command(user, "/start", expect="Choose your language")
    tap(user, "English", expect="not end-to-end encrypted")
    tap(user, "I understand, continue", expect="Who needs help?")
    tap(user, "I do", expect="What is the situation right now?")
    tap(user, "Something else", expect="Where are you (or he/she) now?")
    tap(user, "In Russia", expect="is there a case against")
    tap(user, "No", expect="health problems")
    tap(user, "No", expect="How urgent is it?")
    tap(user, "In danger right now", expect="sign nothing")
    refused = tap(user, "Done", expect="Choose at least one option")
    assert "sign nothing" in refused.visible_text  # the advice was not wiped by the refusal
    assert "What help is needed?" in refused.visible_text
    refused = say(user, "help", expect="Please choose one of the buttons below")
    assert "sign nothing" in refused.visible_text


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
        expect="know you are writing to us?",
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
    assert "sign nothing" in review.visible_text
    assert "• Urgency: In danger right now" in review.visible_text
    tap(user, "Send the request", expect="Your request has been sent")
    [(case, answers)] = stored_cases(bot)
    assert answers["urgency"] == "now"
    assert case.priority == 1


def test_an_over_long_text_is_refused_and_nothing_is_lost(api: LocalBotApi, bot: BotThread) -> None:
    user = api.user(language_code="en")
    english_intake_up_to_review(user)
    tap(user, "✏️ Description", expect="If you like, tell us briefly")
    refused = say(user, "x" * 1500, expect="The text is too long")
    assert "1,500 characters" in refused.visible_text
    assert "If you like, tell us briefly" in refused.visible_text  # the same question again
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
    assert current.button_texts[0] == "Nothing has come yet"
    tap(user, "Mobilized", expect="Where are you (or he/she) now?")


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
    user.press_data(question.message_id, "c|other_knows|yes")
    user.press_data(question.message_id, "c|status|contract")
    user.wait_for_text("Where are you (or he/she) now?")
    back = command(user, "/back", expect="What is the situation right now?")
    assert "✅ Contract soldier" in back.button_texts
    back = tap(user, "← Back", expect="know you are writing to us?")
    assert "✅ Yes" in back.button_texts
    back = tap(user, "← Back", expect="Who needs help?")
    assert "✅ Someone close to me" in back.button_texts


def test_a_yes_no_question_shows_both_answers_side_by_side(
    api: LocalBotApi, bot: BotThread
) -> None:
    user = api.user(language_code="ru")
    command(user, "/start", expect="Выберите язык")
    tap(user, "Русский", expect="не защищена сквозным шифрованием")
    tap(user, "Понятно, продолжить", expect="Кому нужна помощь?")
    tap(user, "Близкому человеку", expect="знает, что вы пишете нам?")
    question = user.last_bot_message()
    assert question is not None
    assert [button.text for button in question.buttons[0]] == ["Да, знает", "Нет, пока не знает"]
    tap(user, "Да, знает", expect="Какая сейчас ситуация")
