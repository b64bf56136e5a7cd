"""Edited messages: an edited questionnaire answer replaces the answer; any other edit gets a
note that it changes nothing; an edit is never taken for a new message (the next answer)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.inprocess import BotThread
from bot.services import Services
from localapi import LocalBotApi
from storage import entries as entry_store
from storage.cases import case_answers
from storage.models import Case
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import submit_request
from tests.e2e.test_desk import ADMIN_ID, admin_of, join_as_volunteer
from tests.support.people import command, say, tap

NOTE = "This edit changes nothing"


@pytest.fixture
def keeping_bot(make_settings: SettingsFactory) -> Iterator[BotThread]:
    """A bot that leaves the questionnaire in the chat after sending: otherwise its clean-up
    deletes the message before the test can edit it (a race the test would sometimes lose)."""
    with BotThread(make_settings(clean_after_submit=False)) as runner:
        yield runner


def test_an_edited_answer_replaces_the_answer_and_is_not_taken_as_the_next_one(
    api: LocalBotApi, keeping_bot: BotThread
) -> None:
    person = api.user(5590001, language_code="en")
    command(person, "/start", expect="Choose your language")
    tap(person, "English", expect="not end-to-end encrypted")
    tap(person, "I understand, continue", expect="Who needs help?")
    tap(person, "I do", expect="What is the situation right now?")
    tap(person, "Contract soldier", expect="Where are you (or he/she) now?")
    tap(person, "In Russia", expect="Right now, are you")
    tap(person, "In the unit", expect="is there a case against")
    tap(person, "No", expect="health problems")
    tap(person, "No", expect="How urgent is it?")
    tap(person, "No deadline", expect="What help is needed?")
    tap(person, "Legal advice", expect="✅ Legal advice")
    tap(person, "Done", expect="Which documents are at hand?")
    tap(person, "Military ID", expect="✅ Military ID")
    tap(person, "Done", expect="Might someone check your phone")
    tap(person, "No", expect="choose a codeword")
    tap(person, "Skip", expect="If you like, tell us briefly")
    say(person, "I am Ivan Petrov from unit 12345.", expect="Please check your answers")
    sent = [m for m in person.messages() if m.text == "I am Ivan Petrov from unit 12345."][-1]
    person.edit_text(sent.message_id, "I need advice.")
    person.wait_for_text("Your edit replaced that answer")
    # The edit was not taken as an answer: the review is still open, and shows it once redrawn.
    tap(person, "✏️ Urgency", expect="How urgent is it?")
    review = tap(person, "No deadline", expect="Please check your answers")
    assert "I need advice." in review.visible_text
    assert "Ivan Petrov" not in review.visible_text
    done = tap(person, "Send the request", expect="Your request has been sent")
    # After sending, an edit changes nothing, and the person is told so.
    person.edit_text(sent.message_id, "Something else.")
    note = person.wait_for_text(NOTE)
    assert "/forget" in note.visible_text
    assert done is not None


def test_a_case_holds_the_edited_answer(api: LocalBotApi, bot: BotThread) -> None:
    """What the volunteer reads is the edited text, not the first one."""
    person = api.user(5590003, language_code="en")
    command(person, "/start", expect="Choose your language")
    tap(person, "English", expect="not end-to-end encrypted")
    tap(person, "I understand, continue", expect="Who needs help?")
    tap(person, "I do", expect="What is the situation right now?")
    tap(person, "Contract soldier", expect="Where are you (or he/she) now?")
    tap(person, "In Russia", expect="Right now, are you")
    tap(person, "In the unit", expect="is there a case against")
    tap(person, "No", expect="health problems")
    tap(person, "No", expect="How urgent is it?")
    tap(person, "No deadline", expect="What help is needed?")
    tap(person, "Legal advice", expect="✅ Legal advice")
    tap(person, "Done", expect="Which documents are at hand?")
    tap(person, "Military ID", expect="✅ Military ID")
    tap(person, "Done", expect="Might someone check your phone")
    tap(person, "No", expect="choose a codeword")
    tap(person, "Skip", expect="If you like, tell us briefly")
    mine = say(person, "Real name Ivan Petrov.", expect="Please check your answers")
    sent = [m for m in person.messages() if m.text == "Real name Ivan Petrov."][-1]
    person.edit_text(sent.message_id, "Name left out.")
    person.wait_for_text("Your edit replaced that answer")
    tap(person, "Send the request", expect="Your request has been sent", message_id=mine.message_id)

    async def bodies(services: Services) -> list[str]:
        async with services.sessions() as db:
            case = (await db.scalars(select(Case))).one()
            return [str(answer) for answer in case_answers(services.cipher, case).values()]

    stored = " ".join(bot.run(bodies))
    assert "Name left out." in stored
    assert "Ivan Petrov" not in stored


def test_an_edit_in_russian_gets_the_note_in_russian(api: LocalBotApi, bot: BotThread) -> None:
    person = api.user(5590002, language_code="ru")
    command(person, "/start", expect="Выберите язык")
    tap(person, "Русский", expect="Продолжим?")
    mine = person.send_text("привет")
    person.wait_for(lambda m: m.message_id > mine)  # the bot answered the message itself
    person.edit_text(mine, "пока")
    person.wait_for_text("Это исправление ничего не меняет")


def test_an_edited_follow_up_replaces_the_entry_and_reaches_the_volunteer_as_an_edit(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    with BotThread(make_settings(admin_ids=[ADMIN_ID])) as runner:
        volunteer = join_as_volunteer(api, admin_of(api), 5590102)
        person = api.user(5590101, language_code="en")
        reference = submit_request(person)
        command(volunteer, "/take", expect="Case " + reference)
        say(person, "My passport number is 4512 889911.", expect="passed to your volunteer")
        volunteer.wait_for_text("My passport number is 4512 889911.")
        sent = [m for m in person.messages() if m.text == "My passport number is 4512 889911."]
        person.edit_text(sent[-1].message_id, "They hold my passport.")
        person.wait_for_text("Your edit replaced that message in your request")
        relayed = volunteer.wait_for_text("the person edited a message to: They hold my passport.")
        assert reference in relayed.visible_text

        async def entries(services: Services) -> list[str]:
            async with services.sessions() as db:
                case = (await db.scalars(select(Case))).one()
                return [
                    text for _, text in await entry_store.case_entries(db, services.cipher, case)
                ]

        stored = runner.run(entries)
    assert "They hold my passport." in stored
    assert not any("4512" in text for text in stored)
