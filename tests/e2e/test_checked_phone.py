"""A phone that may be checked: files deleted from the chat at once, quiet and held replies,
and identifying details flagged before they are kept (issue 12)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import select

from bot.inprocess import BotThread
from bot.services import Services
from localapi import FakeUser, LocalBotApi
from storage import cases as case_store
from storage import entries as entry_store
from storage.models import Case
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import answer_up_to_details, submit_request, submit_request_from_who
from tests.support.database import dump_rows
from tests.support.people import command, say, tap

ADMIN_ID = 5560001
DELETED = "the bot deleted that file"


@pytest.fixture
def desk_bot(make_settings: SettingsFactory, redis_url: str) -> Iterator[BotThread]:
    with BotThread(make_settings(admin_ids=[ADMIN_ID], redis_url=redis_url)) as runner:
        yield runner


def stored_texts(bot: BotThread) -> list[str]:
    """Every case's answers and conversation, decrypted, as the bot itself reads them."""

    async def read(services: Services) -> list[str]:
        texts: list[str] = []
        async with services.sessions() as db:
            for case in (await db.scalars(select(Case))).all():
                texts.append(repr(case_store.case_answers(services.cipher, case)))
                entries = await entry_store.case_entries(db, services.cipher, case)
                texts += [text for _, text in entries]
        return texts

    return bot.run(read)  # type: ignore[no-any-return]


def _redis_dump(url: str) -> bytes:
    client = redis.Redis.from_url(url)
    parts: list[bytes] = []
    for key in client.scan_iter():
        parts.append(key)
        if client.type(key) == b"string":
            parts.append(client.get(key) or b"")
    return b"\n".join(parts)


# Every file id the local Bot API hands out ends so (`localapi.chats._file`); file_unique_ids
# start with "AQAD" and the file's kind.
FILE_ID_TAIL = "-AgADBAADr6cxG"
UNIQUE_IDS = ("AQADph", "AQADvo", "AQADdo", "AQADst")


def test_files_are_deleted_at_once_and_never_kept(
    api: LocalBotApi, desk_bot: BotThread, make_settings: SettingsFactory, redis_url: str
) -> None:
    person = api.user(5560100, language_code="en")
    command(person, "/start", expect="Choose your language")
    tap(person, "English", expect="not end-to-end encrypted")
    tap(person, "I understand, continue", expect="Who needs help?")
    mark = person.mark()
    sent = person.send_photo(caption="my military ID")
    told = person.wait_for_text(DELETED, after=mark)
    assert "Who needs help?" in told.visible_text  # the question again, below the reason
    assert sent in person.deleted_message_ids()
    assert all(m.message_id != sent for m in person.messages())  # gone for both sides
    in_draft = _redis_dump(redis_url)
    assert b":draft:" in in_draft

    reference = submit_request_from_who(person)
    for send in (person.send_voice, person.send_document, person.send_sticker):
        mark = person.mark()
        sent = send()
        person.wait_for_text(DELETED, after=mark)
        assert sent in person.deleted_message_ids()
    command(person, "/status", expect=reference)

    assert api.calls("getFile") == []  # never downloaded
    kept = stored_texts(desk_bot)
    rows = dump_rows(make_settings().database)
    in_redis = in_draft + _redis_dump(redis_url)
    for file_id in (FILE_ID_TAIL, *UNIQUE_IDS):
        assert all(file_id not in text for text in kept)
        assert all(file_id not in cell for cell in rows)
        assert file_id.encode() not in in_redis
    assert all("my military ID" not in text for text in kept)


def set_answers(bot: BotThread, reference: str, **extra: str) -> None:
    """Give a stored case the answers of the checked-phone steps (`phone_checked`, `safe_time`),
    whichever questionnaire produced it: only the stored answers count."""

    async def write(services: Services) -> None:
        async with services.sessions() as db, db.begin():
            case = (await db.scalars(select(Case).where(Case.reference == reference))).one()
            answers = case_store.case_answers(services.cipher, case)
            sealed = await case_store.sealed_case_to_write(db, services.cipher, case)
            case.answers_enc = sealed.seal_json(case_store.ANSWERS, {**answers, **extra})

    bot.run(write)


def admin_of(api: LocalBotApi) -> FakeUser:
    admin = api.user(ADMIN_ID, language_code="en", username="admin_p12")
    command(admin, "/queue", expect="The queue is empty")
    return admin


def sent_to(api: LocalBotApi, user: FakeUser, text: str) -> list[dict[str, object]]:
    """The sendMessage calls to this person whose text contains `text`."""
    return [
        call.params
        for call in api.calls("sendMessage")
        if str(call.params.get("chat_id")) == str(user.chat_id)
        and text in str(call.params.get("text"))
    ]


def test_replies_to_a_checked_phone_are_quiet_and_start_neutrally(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    person = api.user(5560200, language_code="en")
    reference = submit_request(person)
    command(admin, "/take", expect=f"Case {reference}")
    # After /take: its view shows the answers, whose labels are the questionnaire's.
    set_answers(desk_bot, reference, phone_checked="not_sure", safe_time="evenings")

    command(admin, "/reply", args=f"{reference} We will call a lawyer.", expect="Sent to the")
    heard = person.wait_for_text("We will call a lawyer.")
    assert heard.visible_text.splitlines()[0] == "·"
    assert "Your volunteer" not in heard.visible_text
    command(admin, "/canned", args=f"{reference} safety", expect="Sent to the person")
    person.wait_for_text("For your safety")
    command(admin, "/close", args=reference, expect="is closed")
    person.wait_for_text("has been closed")
    for text in ("We will call a lawyer.", "For your safety", "has been closed"):
        [params] = sent_to(api, person, text)
        assert params.get("disable_notification") is True, params
        assert str(params["text"]).splitlines()[0] == "·"


def test_replies_to_an_unchecked_phone_sound_as_before(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    person = api.user(5560300, language_code="en")
    reference = submit_request(person)
    command(admin, "/take", expect=f"Case {reference}")
    set_answers(desk_bot, reference, phone_checked="no")
    command(admin, "/reply", args=f"{reference} Hello there.", expect="Sent to the person")
    person.wait_for_text("Your volunteer:")
    [params] = sent_to(api, person, "Hello there.")
    assert "disable_notification" not in params


def test_held_replies_wait_until_the_person_writes_even_across_a_restart(
    api: LocalBotApi, make_settings: SettingsFactory, redis_url: str
) -> None:
    settings = make_settings(admin_ids=[ADMIN_ID], redis_url=redis_url)
    person = api.user(5560400, language_code="en")
    with BotThread(settings) as first:
        admin = admin_of(api)
        reference = submit_request(person)
        command(admin, "/take", expect=f"Case {reference}")
        set_answers(first, reference, phone_checked="yes", safe_time="when_i_write")
        told = command(
            admin, "/reply", args=f"{reference} First held reply.", expect="next write to the bot"
        )
        assert reference in told.visible_text
        command(admin, "/canned", args=f"{reference} safety", expect="next write to the bot")
    assert sent_to(api, person, "First held reply.") == []
    assert sent_to(api, person, "For your safety") == []
    with BotThread(settings) as restarted:
        assert sent_to(api, person, "First held reply.") == []
        mark = person.mark()
        person.send_command("/status")
        person.wait_for_text("For your safety", after=mark)
        shown = [m.visible_text for m in person.messages() if m.message_id > mark]
        waiting = [i for i, text in enumerate(shown) if "2 messages are waiting" in text]
        first_reply = [i for i, text in enumerate(shown) if "First held reply." in text]
        assert waiting, shown
        assert first_reply, shown
        assert waiting[0] < first_reply[0], shown
        for text in ("2 messages are waiting", "First held reply.", "For your safety"):
            [params] = sent_to(api, person, text)
            assert params.get("disable_notification") is True
        say(person, "Thanks.", expect="passed to your volunteer")
        assert len(sent_to(api, person, "First held reply.")) == 1  # delivered once
        assert "First held reply." in stored_texts(restarted)  # in the case's thread


def to_details(user: FakeUser) -> None:
    command(user, "/start", expect="Choose your language")
    tap(user, "English", expect="not end-to-end encrypted")
    tap(user, "I understand, continue", expect="Who needs help?")
    answer_up_to_details(user)


def test_a_flagged_answer_is_kept_or_removed_as_the_person_chooses(
    api: LocalBotApi, desk_bot: BotThread, make_settings: SettingsFactory, redis_url: str
) -> None:
    person = api.user(5560500, language_code="en")
    to_details(person)
    mark = person.mark()
    sent = person.send_text("I am in в/ч 98765 near Belgorod")
    person.wait_for_text("looks like a military unit's number", after=mark)
    tap(person, "Remove it", expect="write it again without that detail")
    assert sent in person.deleted_message_ids()
    say(person, "I am near Belgorod", expect="Please check your answers")
    tap(person, "Send the request", expect="Your request has been sent")

    say(person, "Call me on +7 912 345-67-89", expect="looks like a phone number")
    tap(person, "Keep it", expect="added to request")
    say(person, "My commander is Петров Сергей Алексеевич", expect="looks like a full name")
    tap(person, "Remove it", expect="write it again")

    kept = stored_texts(desk_bot)
    assert any("+7 912 345-67-89" in text for text in kept)
    assert any("I am near Belgorod" in text for text in kept)
    rows = dump_rows(make_settings().database)
    in_redis = _redis_dump(redis_url)
    for removed in ("98765", "Петров"):
        assert all(removed not in text for text in kept)
        assert all(removed not in cell for cell in rows)
        assert removed.encode() not in in_redis


def test_closing_a_case_written_to_only_when_its_person_writes_sends_nothing_until_then(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    person = api.user(5560700, language_code="en")
    reference = submit_request(person)
    command(admin, "/take", expect=f"Case {reference}")
    set_answers(desk_bot, reference, phone_checked="yes", safe_time="when_i_write")
    command(admin, "/close", args=reference, expect="Nothing was sent to its person now")
    assert sent_to(api, person, "has been closed") == []
    say(person, "Is anyone there?", expect=f"Your request {reference} was closed")
