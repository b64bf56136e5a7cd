"""A draft survives a restart (real Redis); nothing identifying is readable at rest or in logs."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

import pytest
import redis

from bot import logs
from bot.inprocess import BotThread
from casework import codewords
from localapi import FakeUser, LocalBotApi
from locales.translator import Translator
from storage import schema
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import REFERENCE
from tests.support.database import dump_rows
from tests.support.dbfiles import database_files_at
from tests.support.people import command, say, tap
from tests.support.redisfiles import every_string, start_aof_redis
from tests.support.servers import PostgresServer
from tests.support.webdoor import web_door
from tests.web.conftest import Door
from tests.web.test_form import PATHS, walk
from web import passphrases

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


WEB = {
    "details": "Моя история CANARY-WEB-5b2e-answer-text кончается здесь",
    "codeword": "Canarywebcodeword Журавль",
    "reply": "CANARY-WEB-REPLY-90d4 from the volunteer",
    "thread": "CANARY-WEB-THREAD-c37a written on the page",
}
VISITOR = {
    "X-Real-IP": "203.0.113.77",
    "X-Forwarded-For": "198.51.100.23",
    "User-Agent": "CanaryBrowser/9.7 (canary-ua-e41f)",
}
WEB_ADMIN = 7390012399
T = Translator.load()


def test_canary_the_web_path_leaves_no_answer_passphrase_or_address_at_rest_or_in_logs(
    api: LocalBotApi,
    make_settings: SettingsFactory,
    database_url: str,
    tmp_path: Path,
    captured_logs: io.StringIO,
    request: pytest.FixtureRequest,
) -> None:
    """A request through the web door (Russian, canary answers, a visitor's address in the
    proxy headers and a distinctive user agent), the volunteer's reply through the desk, the
    person's message on /thread with the passphrase: none of it in a table row, the database's
    files (PostgreSQL's write-ahead log too), Redis (its keys and values, and its append-only
    file) or the logs of the bot and of `intake-bot web`. The passphrase is kept only as its
    Argon2id hash: no word of it."""
    server = (
        None if database_url.startswith("sqlite") else request.getfixturevalue("postgres_server")
    )
    started = time.time()
    with start_aof_redis(tmp_path / "redis") as aof:
        settings = make_settings(redis_url=aof.url, log_level="DEBUG", admin_ids=[WEB_ADMIN])
        logs.configure("DEBUG", secrets=[api.token], stream=captured_logs)
        client = aof.client()
        asyncio.run(schema.upgrade(settings.database))  # as `intake-bot migrate`: both start
        with web_door(settings, tmp_path / "web.log", wait=False) as web, BotThread(settings):
            volunteer = api.user(WEB_ADMIN, language_code="en")
            command(volunteer, "/queue", expect="The queue is empty")
            web.wait_until_up()
            reference, passphrase, in_redis = asyncio.run(_web_visits(web.url, volunteer, client))
            assert web.stop() == 0, web.log_text()[-2000:]
            in_redis += _redis_dump(client)
        strings = every_string(aof.directory)
        client.close()
    rows = dump_rows(settings.database)
    files = database_files_at(settings.database, server)
    log_text = captured_logs.getvalue() + web.log_text()
    assert "DEBUG" in web.log_text(), "the web door should have logged at DEBUG"
    # What is stored in the clear is found where it is: the searches below can see.
    assert reference.encode() in files
    assert any(reference in cell for cell in rows)
    assert any(b":draft:" in string for string in strings), "Redis's files hold the drafts"
    assert any(cell.startswith("argon2id$") for cell in rows)  # the passphrase's only form
    words = passphrase.split(" ")
    assert len(words) == 6
    forbidden = [
        *WEB.values(), codewords.normalize(WEB["codeword"]), "CANARY-WEB", "Canarywebcodeword",
        passphrase, passphrases.normalize(passphrase), *words, *VISITOR.values(), "canary-ua",
    ]  # fmt: skip
    for value in forbidden:
        raw = value.encode()
        assert raw not in files, f"{value!r} is in the database's files"
        assert all(value not in cell and raw.decode("latin-1") not in cell for cell in rows), (
            f"{value!r} is in a database row"
        )
        assert raw not in in_redis, f"{value!r} is in Redis"
        assert all(raw not in string for string in strings), f"{value!r} is in Redis's files"
        assert value not in log_text, f"{value!r} is in the logs"
    if server is not None:
        assert _in_wal(server, started, [reference]) == [reference]  # it can see
        assert _in_wal(server, started, forbidden) == [], "in PostgreSQL's write-ahead log"


async def _web_visits(url: str, volunteer: FakeUser, client: redis.Redis) -> tuple[str, str, bytes]:
    """The person's two visits and the volunteer's work between them, over real HTTP: the
    case's reference, the passphrase shown, and what Redis held while the questionnaire was
    open."""
    door = Door(url, None, [])  # type: ignore[arg-type] # a door of another process
    try:
        person = door.visitor("ru", **VISITOR)
        answers = {**PATHS[0], "language": "ru", "codeword": WEB["codeword"],
                   "details": WEB["details"]}  # fmt: skip
        await walk(person, answers)
        in_redis = _redis_dump(client)
        assert b":draft:" in in_redis, "the web draft should be in Redis now"
        page = await person.press("submit")
        passphrase = page.passphrase
        reference = REFERENCE.search(page.body)
        assert passphrase, page.body
        assert reference is not None, page.body
        ref = reference.group(0)

        def desk() -> None:
            volunteer.wait_for_text(f"New case {ref}", timeout=20)
            command(volunteer, "/take", args=ref, expect=WEB["details"])
            command(volunteer, "/reply", args=f"{ref} {WEB['reply']}", expect="web thread")

        await asyncio.to_thread(desk)
        back = door.visitor("ru", **VISITOR)
        await back.get("/login")
        page = await back.submit("/login", passphrase=passphrase)
        assert page.thread == [f"{T.text('ru', 'web-thread-volunteer')} {WEB['reply']}"]
        page = await back.submit("/thread", text=WEB["thread"], write="1")
        assert page.thread[-1] == f"{T.text('ru', 'web-thread-you')} {WEB['thread']}"
        await asyncio.to_thread(volunteer.wait_for_text, WEB["thread"], timeout=20)
        return ref, passphrase, in_redis
    finally:
        for opened in door.clients:
            await opened.aclose()


def _in_wal(server: PostgresServer, since: float, values: list[str]) -> list[str]:
    """The values in PostgreSQL's write-ahead log segments written since `since` (the server
    is the session's: older segments hold other tests' writes only); one segment read at a
    time, 16 MB each."""
    seen: set[str] = set()
    for path in sorted((server.data / "pg_wal").iterdir()):
        if path.is_file() and path.stat().st_mtime >= since - 1:
            data = path.read_bytes()
            seen.update(value for value in values if value.encode() in data)
    return sorted(seen)
