"""Hostile traffic at the webhook (re-delivered updates, floods of slow connections) and at
the web door (floods of slow connections).

The real bot serves its webhook; the local Bot API delivers updates to it the way Telegram does,
and can deliver an update it already delivered again (`redeliver`), as Telegram does when it
did not see the answer.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.inprocess import BotThread
from localapi import FakeUser, LocalBotApi
from storage.crypto import generate_master_key
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import submit_request
from tests.e2e.test_desk import ADMIN_ID, admin_of, join_as_volunteer
from tests.e2e.test_two_processes import _wait_healthy
from tests.support.people import command, eventually, tap
from tests.support.servers import free_port

SECRET = "a-webhook-secret-for-hostile-traffic"


def webhook_settings(make_settings: SettingsFactory, **overrides: Any) -> Any:
    port = free_port()
    return make_settings(
        webhook_url=f"http://127.0.0.1:{port}/telegram", webhook_secret=SECRET,
        webhook_port=port, webhook_listen="127.0.0.1", admin_ids=[ADMIN_ID], **overrides,
    )  # fmt: skip


def the_update_of(api: LocalBotApi, user: FakeUser, text: str) -> dict[str, Any]:
    """The delivered update carrying `user`'s message `text` (once the webhook answered)."""
    found: list[dict[str, Any]] = []

    def delivered() -> bool:
        for update in api.delivered_updates():
            message = update.get("message") or {}
            if message.get("chat", {}).get("id") == user.id and message.get("text") == text:
                found.append(update)
                return True
        return False

    eventually(delivered, what=f"an update carrying {text!r} accepted")
    return found[0]


def redeliver_and_wait(api: LocalBotApi, update_id: int) -> None:
    """Telegram delivers the update again; the webhook answers only once it is handled."""
    before = len(api.delivered_updates())
    api.redeliver(update_id)
    eventually(lambda: len(api.delivered_updates()) > before, what="the re-delivery accepted")


def replies_seen(person: FakeUser, text: str) -> int:
    return sum(1 for message in person.bot_messages() if text in message.visible_text)


@pytest.mark.parametrize("with_redis", [False, True], ids=["memory", "redis"])
def test_a_redelivered_reply_reaches_the_person_once(
    api: LocalBotApi, make_settings: SettingsFactory, request: pytest.FixtureRequest,
    with_redis: bool,
) -> None:  # fmt: skip
    redis = {"redis_url": request.getfixturevalue("redis_url")} if with_redis else {}
    with BotThread(webhook_settings(make_settings, **redis)):
        admin = admin_of(api)
        volunteer = join_as_volunteer(api, admin, 5560002)
        person = api.user(5560100, language_code="en")
        reference = submit_request(person)
        command(volunteer, "/take", expect="Case " + reference)
        words = f"{reference} We will call you back through this bot."
        command(volunteer, "/reply", args=words, expect="Sent to the person")
        eventually(lambda: replies_seen(person, "We will call you back") == 1, what="the reply")
        redeliver_and_wait(api, the_update_of(api, volunteer, f"/reply {words}")["update_id"])
        invite = command(admin, "/invite", expect="One-time invite")
        redeliver_and_wait(api, the_update_of(api, admin, "/invite")["update_id"])
        # Something after the re-deliveries, so that anything they caused is on screen by now.
        command(person, "/status", expect="A volunteer is working on your request")
        command(admin, "/queue", expect="The queue is empty")
    assert replies_seen(person, "We will call you back") == 1
    invites = [m for m in admin.bot_messages() if "One-time invite" in m.visible_text]
    assert [m.message_id for m in invites][-1] == invite.message_id
    assert len(invites) == 2  # the volunteer's and this one: the re-delivery made no third


FLOOD = 300  # half-sent requests, more than the bot may open files for (OPEN_FILES)
OPEN_FILES = 256
HALF_A_REQUEST = b"POST /telegram HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl"
HALF_A_PAGE_REQUEST = b"GET / HTTP/1.1\r\nHost: example.onion\r\nAccept-Lang"


def _few_open_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))


@pytest.fixture
def slow_flood() -> Iterator[list[socket.socket]]:
    sockets: list[socket.socket] = []
    yield sockets
    for sock in sockets:
        sock.close()


def start_flood(
    port: int, sockets: list[socket.socket], *, request: bytes = HALF_A_REQUEST
) -> None:
    """Open FLOOD connections that each send half a request and then nothing."""
    for _ in range(FLOOD):
        sock = socket.socket()
        sock.settimeout(2)
        try:
            sock.connect(("127.0.0.1", port))
            sock.sendall(request)
        except OSError:
            pass  # refused or closed: what the flood cannot hold is fine
        sockets.append(sock)


def repeated_lines(log: str) -> dict[str, int]:
    """Lines written more than once, without their timestamps."""
    counts: dict[str, int] = {}
    for line in log.splitlines():
        kept = re.sub(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ ", "", line)
        counts[kept] = counts.get(kept, 0) + 1
    return {line: n for line, n in counts.items() if n > 1}


def test_a_flood_of_slow_connections_neither_stops_the_bot_nor_floods_the_log(
    api: LocalBotApi, database_url: str, master_keys: str, tmp_path: Path,
    slow_flood: list[socket.socket],
) -> None:  # fmt: skip
    port, health = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update(
        INTAKE_BOT_TOKEN=api.token, INTAKE_API_URL=api.base_url, INTAKE_MASTER_KEYS=master_keys,
        INTAKE_DATABASE_URL=database_url, INTAKE_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        INTAKE_WEBHOOK_SECRET=SECRET, INTAKE_WEBHOOK_PORT=str(port),
        INTAKE_HEALTH_PORT=str(health),
    )  # fmt: skip
    log_file = tmp_path / "bot.log"
    with log_file.open("w") as stderr:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "intake-bot"), "run"], cwd=tmp_path, env=env,
            stderr=stderr, stdout=subprocess.DEVNULL, preexec_fn=_few_open_files,
        )  # fmt: skip
        try:
            _wait_healthy(health)
            person = api.user(5560300, language_code="en")
            command(person, "/start", expect="Choose your language")
            stderr.flush()
            before_flood = log_file.stat().st_size
            start_flood(port, slow_flood)
            tap(person, "English", expect="not end-to-end encrypted", timeout=30)
            tap(person, "I understand, continue", expect="Who needs help?", timeout=30)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    log = log_file.read_bytes()[before_flood:].decode(errors="replace")
    assert process.returncode == 0, log[-3000:]
    assert repeated_lines(log) == {}, list(repeated_lines(log).items())[:3]
    assert len(log) < 20_000, log[-3000:]


def test_a_flood_of_slow_connections_does_not_keep_people_out_of_the_web_door(
    tmp_path: Path, slow_flood: list[socket.socket]
) -> None:
    """More half-sent requests than the web door may open files for: a person's page still
    comes, and the log does not fill (onion visitors all arrive from 127.0.0.1, so no limit
    per address could tell the flood from them)."""
    web, health = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update(
        INTAKE_MASTER_KEYS=generate_master_key(), INTAKE_WEB_LISTEN=f"127.0.0.1:{web}",
        INTAKE_HEALTH_PORT=str(health),
    )  # fmt: skip
    log_file = tmp_path / "web.log"
    with log_file.open("w") as stderr:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "intake-bot"), "web"], cwd=tmp_path, env=env,
            stderr=stderr, stdout=subprocess.DEVNULL, preexec_fn=_few_open_files,
        )  # fmt: skip
        try:
            _wait_healthy(health)
            stderr.flush()
            before_flood = log_file.stat().st_size
            start_flood(web, slow_flood, request=HALF_A_PAGE_REQUEST)
            page = httpx.get(f"http://127.0.0.1:{web}/", timeout=30)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    log = log_file.read_bytes()[before_flood:].decode(errors="replace")
    assert page.status_code == 200, log[-3000:]
    assert 'name="step"' in page.text
    assert process.returncode == 0, log[-3000:]
    assert repeated_lines(log) == {}, list(repeated_lines(log).items())[:3]
    assert len(log) < 20_000, log[-3000:]
