"""A draft survives a restart (real Redis); nothing identifying is readable at rest or in logs."""

from __future__ import annotations

import io
from pathlib import Path

import redis

from bot import logs
from bot.inprocess import BotThread
from casework import codewords
from localapi import LocalBotApi
from tests.e2e.conftest import SettingsFactory
from tests.support.database import dump_rows
from tests.support.people import command, say, tap

MARKER = "CANARY-7f3a9c-unique-answer-text"
USER_ID = 7390012345
USERNAME = "canary_username_q8z"
FIRST_NAME = "Canaryfirstname"
CODEWORD = "Canarycodeword Ёжик"


def test_a_draft_survives_a_restart_in_the_middle(
    api: LocalBotApi, make_settings: SettingsFactory, redis_url: str
) -> None:
    settings = make_settings(redis_url=redis_url)
    user = api.user(language_code="en")
    with BotThread(settings):
        command(user, "/start", expect="Choose your language")
        tap(user, "English", expect="not end-to-end encrypted")
        tap(user, "I understand, continue", expect="Who needs help?")
        tap(user, "I do", expect="What is the situation right now?")
        tap(user, "Contract soldier", expect="Where are you (or he/she) now?")
    with BotThread(settings) as restarted:
        resumed = command(user, "/start", expect="You have an unfinished request")
        assert "Where are you (or he/she) now?" in resumed.visible_text
        tap(user, "In the war zone", expect="Right now, are you")
        tap(user, "In the unit", expect="is there a case against")
        tap(user, "No", expect="health problems")
        tap(user, "No", expect="How urgent is it?")
        tap(user, "No deadline", expect="What help is needed?")
        tap(user, "Psychological support", expect="✅ Psychological support")
        tap(user, "Done", expect="Which documents are at hand?")
        tap(user, "Military ID", expect="✅ Military ID")
        tap(user, "Done", expect="Might someone check your phone")
        tap(user, "No", expect="choose a codeword")
        tap(user, "Skip", expect="If you like, tell us briefly")
        review = tap(user, "Skip", expect="Please check your answers")
        assert "• Situation: Contract soldier" in review.visible_text
        tap(user, "Send the request", expect="Your request has been sent")

        async def count(services: object) -> int:
            from sqlalchemy import func, select

            from storage.models import Case

            async with services.sessions() as db:  # type: ignore[attr-defined]
                return int(await db.scalar(select(func.count()).select_from(Case)) or 0)

        assert restarted.run(count) == 1
    assert redis.Redis.from_url(redis_url).keys("*draft*") == []  # submitted: no draft left


def test_canary_nothing_identifying_in_database_redis_or_logs(
    api: LocalBotApi,
    make_settings: SettingsFactory,
    redis_url: str,
    tmp_path: Path,
    captured_logs: io.StringIO,
) -> None:
    settings = make_settings(redis_url=redis_url, log_level="DEBUG")
    logs.configure("DEBUG", secrets=[api.token], stream=captured_logs)
    user = api.user(USER_ID, language_code="en", first_name=FIRST_NAME, username=USERNAME)
    forbidden = [MARKER, str(USER_ID), USERNAME, FIRST_NAME, api.token, CODEWORD,
                 codewords.normalize(CODEWORD), "Canarycodeword", "canarycodeword"]  # fmt: skip
    client = redis.Redis.from_url(redis_url)
    with BotThread(settings):
        command(user, "/start", expect="Choose your language")
        tap(user, "English", expect="not end-to-end encrypted")
        tap(user, "I understand, continue", expect="Who needs help?")
        tap(user, "I do", expect="What is the situation right now?")
        tap(user, "A summons", expect="For which day does the summons")
        tap(user, "Later", expect="leaving Russia may already be closed")
        tap(user, "In Russia", expect="is there a case against")
        tap(user, "No", expect="health problems")
        tap(user, "No", expect="How urgent is it?")
        tap(user, "Within a few weeks", expect="What help is needed?")
        tap(user, "Legal advice", expect="✅ Legal advice")
        tap(user, "Done", expect="Might someone check your phone")
        tap(user, "No", expect="choose a codeword")
        say(user, CODEWORD, expect="If you like, tell us briefly")
        say(user, f"My story {MARKER} ends here", expect="Please check your answers")
        in_redis = _redis_dump(client)
        assert b":draft:" in in_redis, "the draft should be in Redis now"
        tap(user, "Send the request", expect="Your request has been sent")
        in_redis += _redis_dump(client)
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("intake.db"))
    rows = dump_rows(settings.database)
    log_text = captured_logs.getvalue()
    assert "DEBUG" in log_text, "the logs should have been captured at DEBUG"
    for value in forbidden:
        assert value.encode() not in stored, f"{value!r} is in the SQLite file"
        assert all(value not in cell for cell in rows), f"{value!r} is in a database row"
        assert value.encode() not in in_redis, f"{value!r} is in Redis"
        assert value not in log_text, f"{value!r} is in the logs"


def _redis_dump(client: redis.Redis) -> bytes:
    parts: list[bytes] = []
    for key in client.scan_iter():
        parts.append(key)
        if client.type(key) == b"string":
            parts.append(client.get(key) or b"")
    return b"\n".join(parts)
