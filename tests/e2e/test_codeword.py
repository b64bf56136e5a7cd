"""A codeword against a seized phone or a provocateur (issue 12): set at the intake and kept
only as a hash, asked for by /verify and after a long silence; the volunteer learns only
whether it matches, three wrong answers flag the case, and replies wait for a match."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.inprocess import BotThread
from bot.services import Services
from localapi import FakeUser, LocalBotApi
from storage.models import Case, CaseEntry
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import REFERENCE, answer_up_to_details, submit_request
from tests.e2e.test_checked_phone import set_answers
from tests.support.database import dump_rows
from tests.support.people import command, say, tap

ADMIN_ID = 5570001
CODEWORD = "Ёлка зимой"


@pytest.fixture
def desk_bot(make_settings: SettingsFactory, redis_url: str) -> Iterator[BotThread]:
    with BotThread(make_settings(admin_ids=[ADMIN_ID], redis_url=redis_url)) as runner:
        yield runner


def admin_of(api: LocalBotApi) -> FakeUser:
    admin = api.user(ADMIN_ID, language_code="en", username="admin_cw")
    command(admin, "/queue", expect="The queue is empty")
    return admin


def visible_words(user: FakeUser) -> str:
    return "\n".join(m.visible_text for m in user.messages())


def silence(bot: BotThread, reference: str, days: int) -> None:
    """Move the case and its person's messages `days` into the past, as if nobody wrote since."""

    async def write(services: Services) -> None:
        async with services.sessions() as db, db.begin():
            case = (await db.scalars(select(Case).where(Case.reference == reference))).one()
            then = datetime.now(UTC) - timedelta(days=days)
            await db.execute(update(Case).where(Case.id == case.id).values(created_at=then))
            await db.execute(
                update(CaseEntry).where(CaseEntry.case_id == case.id).values(created_at=then)
            )

    bot.run(write)


def test_a_codeword_is_deleted_from_the_chat_and_stored_only_as_a_hash(
    api: LocalBotApi, desk_bot: BotThread, make_settings: SettingsFactory
) -> None:
    admin = admin_of(api)
    person = api.user(5570100, language_code="en")
    command(person, "/start", expect="Choose your language")
    tap(person, "English", expect="not end-to-end encrypted")
    tap(person, "I understand, continue", expect="Who needs help?")
    answer_up_to_details(person, codeword=CODEWORD)
    assert CODEWORD not in visible_words(person)  # deleted for both sides at once
    review = say(person, "Need advice.", expect="Please check your answers")
    assert "Codeword: set (hidden)" in review.visible_text
    done = tap(person, "Send the request", expect="Your request has been sent")
    found = REFERENCE.search(done.visible_text)
    assert found is not None
    reference = found.group(0)
    rows = dump_rows(make_settings().database)
    for form in (CODEWORD, "елка зимой", "Ёлка", "argon2id$"):  # the hash is sealed too
        assert all(form not in cell for cell in rows), f"{form!r} is in a database row"
    command(admin, "/take", args=reference, expect="Codeword: set")


def test_verify_tells_the_volunteer_only_that_it_matches(
    api: LocalBotApi, desk_bot: BotThread, make_settings: SettingsFactory
) -> None:
    admin = admin_of(api)
    person = api.user(5570200, language_code="en")
    reference = submit_request(person, codeword=CODEWORD)
    command(admin, "/take", args=reference, expect=f"Case {reference}")
    command(admin, "/verify", args=reference, expect="is asked for their codeword")
    person.wait_for_text("A volunteer asks for your codeword")
    mark = admin.mark()
    say(person, "  ЕЛКА   зимой ", expect="Thank you, that is right.")  # case, ё, spaces
    told = admin.wait_for_text("the codeword matches", after=mark)
    assert "елка" not in told.visible_text.lower()
    assert "ЕЛКА" not in visible_words(person)  # the answer is deleted too
    # The answer is not a message to the case: the volunteer is not sent it, nothing keeps it.
    assert all("ЕЛКА" not in m.visible_text for m in admin.messages())
    assert all("ЕЛКА" not in cell for cell in dump_rows(make_settings().database))


def test_verify_without_a_codeword_says_so(api: LocalBotApi, desk_bot: BotThread) -> None:
    admin = admin_of(api)
    person = api.user(5570300, language_code="en")
    reference = submit_request(person)
    command(admin, "/take", args=reference, expect=f"Case {reference}")
    command(admin, "/verify", args=reference, expect="no codeword was set")


def test_three_wrong_answers_flag_the_case_and_hold_replies_until_a_match(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    person = api.user(5570400, language_code="en")
    reference = submit_request(person, codeword=CODEWORD)
    command(admin, "/take", args=reference, expect=f"Case {reference}")
    command(admin, "/verify", args=reference, expect="is asked for their codeword")
    person.wait_for_text("A volunteer asks for your codeword")
    say(person, "guess one", expect="You can try 2 more times.")
    admin.wait_for_text("does not match (try 1 of 3)")
    say(person, "guess two", expect="You can try once more.")
    admin.wait_for_text("does not match (try 2 of 3)")
    say(person, "guess three", expect="does not match either")
    admin.wait_for_text("did not match three times")
    command(admin, "/case", args=reference, expect="the phone may be in other hands")
    command(admin, "/mine", expect=f"{reference}")
    assert "⚠" in admin.last_bot_message().visible_text  # type: ignore[union-attr]

    command(admin, "/reply", args=f"{reference} Are you safe?", expect="nothing is sent")
    say(person, "hello?", expect="passed to your volunteer")  # an ordinary message now
    assert "Are you safe?" not in visible_words(person)

    command(admin, "/verify", args=reference, expect="is asked for their codeword")
    person.wait_for_text("A volunteer asks for your codeword")
    mark = person.mark()
    say(person, CODEWORD, expect="Thank you, that is right.")
    person.wait_for_text("Are you safe?", after=mark)  # the held reply goes now
    admin.wait_for_text("Your held messages are delivered now")


def test_after_a_long_silence_a_reply_waits_for_the_codeword(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    person = api.user(5570500, language_code="en")
    reference = submit_request(person, codeword=CODEWORD)
    command(admin, "/take", args=reference, expect=f"Case {reference}")
    command(admin, "/reply", args=f"{reference} First reply.", expect="Sent to the person")
    person.wait_for_text("First reply.")
    say(person, "Thank you.", expect="passed to your volunteer")  # counted from here too
    desk_bot.wait_idle()  # its last handler (held replies) reads the case after the reply above
    silence(desk_bot, reference, days=15)

    told = command(admin, "/reply", args=f"{reference} After the silence.", expect="Kept in")
    assert "more than 14 days" in told.visible_text
    person.wait_for_text("You have not written for a while")
    assert "After the silence." not in visible_words(person)
    mark = person.mark()
    say(person, "елка зимой", expect="Thank you, that is right.")
    person.wait_for_text("1 message is waiting", after=mark)
    person.wait_for_text("After the silence.", after=mark)
    admin.wait_for_text("Your held messages are delivered now")
    # Heard from just now: the next reply goes straight away.
    command(admin, "/reply", args=f"{reference} And now.", expect="Sent to the person")
    person.wait_for_text("And now.")


def test_a_recent_case_is_not_asked_for_its_codeword(api: LocalBotApi, desk_bot: BotThread) -> None:
    admin = admin_of(api)
    person = api.user(5570600, language_code="en")
    reference = submit_request(person, codeword=CODEWORD)
    command(admin, "/take", args=reference, expect=f"Case {reference}")
    desk_bot.wait_idle()
    silence(desk_bot, reference, days=13)
    command(admin, "/reply", args=f"{reference} Within two weeks.", expect="Sent to the person")
    person.wait_for_text("Within two weeks.")
    assert "codeword" not in visible_words(person).split("Within two weeks.")[-1]


def test_verify_is_an_unknown_command_for_anyone_else(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    stranger = api.user(5570700, language_code="en")
    unknown = command(stranger, "/nosuchcommand", expect="I do not know this command")
    told = command(stranger, "/verify", args="ABCD-EFGH", expect="I do not know this command")
    assert told.visible_text == unknown.visible_text


def test_someone_written_to_only_when_they_write_is_asked_when_they_next_write(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    person = api.user(5570800, language_code="en")
    reference = submit_request(person, codeword=CODEWORD)
    command(admin, "/take", args=reference, expect=f"Case {reference}")
    set_answers(desk_bot, reference, phone_checked="yes", safe_time="when_i_write")
    command(admin, "/verify", args=reference, expect="will be asked for their codeword then")
    assert "asks for your codeword" not in visible_words(person)
    mark = person.mark()
    say(person, "I can write now.", expect="passed to your volunteer")
    asked = person.wait_for_text("asks for your codeword", after=mark)
    assert asked.visible_text.splitlines()[0] == "·"  # quiet, like every message to this phone
    say(person, CODEWORD, expect="Thank you, that is right.")
    admin.wait_for_text("the codeword matches")
