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
from tests.e2e.flows import REFERENCE
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


def submit_request_from_who(user: FakeUser) -> str:
    """The rest of `flows.submit_request` from the "who" question on the screen."""
    tap(user, "I do", expect="What is the situation right now?")
    tap(user, "Contract soldier", expect="Where is the person now?")
    tap(user, "In Russia", expect="How urgent is it?")
    tap(user, "No deadline", expect="What help is needed?")
    tap(user, "Legal advice", expect="✅ Legal advice")
    tap(user, "Done", expect="Which documents are at hand?")
    tap(user, "Military ID", expect="✅ Military ID")
    tap(user, "Done", expect="In a few sentences")
    say(user, "Need advice.", expect="How may we reply?")
    tap(user, "Only in this bot", expect="Please check your answers")
    done = tap(user, "Send the request", expect="Your request has been sent")
    found = REFERENCE.search(done.visible_text)
    assert found is not None, done.visible_text
    return found.group(0)
