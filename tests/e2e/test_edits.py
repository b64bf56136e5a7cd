"""Edited messages: the bot says that an edit does not change what it has, and never takes the
edit for a new message (an answer to the next question, or a new message to a request)."""

from __future__ import annotations

from bot.localapi import LocalBotApi
from tests.support.botrunner import BotRunner
from tests.support.people import command, say, tap

NOTE = "Edits do not reach the bot"


def test_an_edited_answer_gets_the_note_and_is_not_taken_as_the_next_answer(
    api: LocalBotApi, bot: BotRunner
) -> None:
    person = api.user(5590001, language_code="en")
    command(person, "/start", expect="Choose your language")
    tap(person, "English", expect="not end-to-end encrypted")
    tap(person, "I understand, continue", expect="Who needs help?")
    tap(person, "I do", expect="What is the situation right now?")
    tap(person, "Contract soldier", expect="Where is the person now?")
    tap(person, "In Russia", expect="How urgent is it?")
    tap(person, "No deadline", expect="What help is needed?")
    tap(person, "Legal advice", expect="✅ Legal advice")
    tap(person, "Done", expect="Which documents are at hand?")
    tap(person, "Military ID", expect="✅ Military ID")
    tap(person, "Done", expect="In a few sentences")
    say(person, "I am Ivan Petrov from unit 12345.", expect="How may we reply?")
    sent = [m for m in person.messages() if m.text == "I am Ivan Petrov from unit 12345."][-1]
    person.edit_text(sent.message_id, "I need advice.")
    note = person.wait_for_text(NOTE)
    assert "/forget" in note.visible_text
    # The edit was not an answer to "How may we reply?": that question is still open.
    review = tap(person, "Only in this bot", expect="Please check your answers")
    assert "I am Ivan Petrov from unit 12345." in review.visible_text  # what the note said


def test_an_edit_in_russian_gets_the_note_in_russian(api: LocalBotApi, bot: BotRunner) -> None:
    person = api.user(5590002, language_code="ru")
    command(person, "/start", expect="Выберите язык")
    tap(person, "Русский", expect="Продолжить на этих условиях?")
    mine = person.send_text("привет")
    person.wait_for(lambda m: m.message_id > mine)  # the bot answered the message itself
    person.edit_text(mine, "пока")
    person.wait_for_text("Исправления не доходят до бота")
