"""With every logger at DEBUG, a whole day's work leaves no identifying value in the logs."""

from __future__ import annotations

import io
import logging

import pytest

from bot import logs
from bot.inprocess import BotThread
from localapi import LocalBotApi
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import submit_request
from tests.support.people import command, say, tap

ADMIN_ID = 7391000001
PERSON_ID = 7391000002
ANSWER = "LOGCANARY-answer-5d1"
REPLY = "LOGCANARY-reply-8e2"
FOLLOW_UP = "LOGCANARY-followup-3a7"
NOTE = "LOGCANARY-note-0b9"


@pytest.mark.parametrize("client", ["aiohttp", "httpx"])
def test_debug_logs_of_intake_desk_relay_and_forget_hold_no_identifying_value(
    api: LocalBotApi,
    make_settings: SettingsFactory,
    redis_url: str,
    captured_logs: io.StringIO,
    client: str,
) -> None:
    """On both Bot API clients (INTAKE_HTTP_CLIENT): httpx logs every request at DEBUG, with
    its URL (the token's place); aiohttp's client logs none."""
    logs.configure("DEBUG", secrets=[api.token], stream=captured_logs)
    for name in [*logging.root.manager.loggerDict, *logs.CAPPED]:  # lift every cap as well
        logging.getLogger(name).setLevel(logging.DEBUG)
    settings = make_settings(
        redis_url=redis_url, admin_ids=[ADMIN_ID], log_level="DEBUG", http_client=client
    )
    admin = api.user(ADMIN_ID, language_code="en", first_name="Adminfirst", username="adm_user_q")
    person = api.user(PERSON_ID, language_code="en", first_name="Personfirst",
                      username="per_user_q")  # fmt: skip
    with BotThread(settings):
        command(admin, "/queue", expect="The queue is empty")
        reference = submit_request(person, details=ANSWER)
        command(admin, "/take", expect=f"You took case {reference}")
        command(admin, "/reply", args=f"{reference} {REPLY}", expect="Sent to the person")
        person.wait_for_text(REPLY)
        say(person, FOLLOW_UP, expect="passed to your volunteer")
        command(admin, "/note", args=f"{reference} {NOTE}", expect="Note added")
        command(person, "/forget", expect="Erase everything")
        tap(person, "Yes, erase everything", expect="erased")
    text = captured_logs.getvalue()
    assert "DEBUG telegram" in text, "python-telegram-bot should have logged at DEBUG"
    if client == "httpx":
        assert "DEBUG httpx" in text or "DEBUG httpcore" in text, "httpx should log at DEBUG"
    forbidden = [
        str(ADMIN_ID), str(PERSON_ID), "Adminfirst", "Personfirst", "adm_user_q", "per_user_q",
        ANSWER, REPLY, FOLLOW_UP, NOTE, api.token, api.token.split(":")[1],
    ]  # fmt: skip
    for value in forbidden:
        assert value not in text, f"{value!r} is in the logs"
