"""Crash drill with a real bot process: SIGKILL in the middle of a surge, then a restart."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from localapi import FakeUser, LocalBotApi
from storage.crypto import generate_master_key
from tests.e2e.flows import REFERENCE, submit_request_from_who
from tests.e2e.test_operations import free_port, get
from tests.e2e.test_two_processes import _references
from tests.support.people import command as cmd
from tests.support.people import say, tap

SECRET = "crash-drill-webhook-secret"
EXECUTABLE = str(Path(sys.executable).parent / "intake-bot")


class BotProcess:
    """`intake-bot run` in webhook mode on a fixed port, so a restarted one takes its place."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.process: subprocess.Popen[str] | None = None
        self.log = (cwd / "bot.log").open("a")

    def start(self) -> None:
        self.process = subprocess.Popen(
            [EXECUTABLE, "run"], env=self.env, cwd=self.cwd, text=True,
            stdout=subprocess.DEVNULL, stderr=self.log,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        port = self.env["INTAKE_HEALTH_PORT"]
        while time.monotonic() < deadline:
            try:
                if get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("the bot did not become healthy")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        try:
            if self.process is None or self.process.poll() is not None:
                return 0
            self.process.send_signal(signal.SIGTERM)
            return self.process.wait(30)
        finally:
            self.log.close()


@pytest.fixture
def environment(
    api: LocalBotApi, database_url: str, redis_url: str, tmp_path: Path
) -> dict[str, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update(
        INTAKE_BOT_TOKEN=api.token, INTAKE_API_URL=api.base_url,
        INTAKE_MASTER_KEYS=generate_master_key(), INTAKE_DATABASE_URL=database_url,
        INTAKE_REDIS_URL=redis_url, INTAKE_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        INTAKE_WEBHOOK_SECRET=SECRET, INTAKE_WEBHOOK_LISTEN="127.0.0.1",
        INTAKE_WEBHOOK_PORT=str(port), INTAKE_HEALTH_PORT=str(free_port()),
        INTAKE_FLOOD_BURST="1000",
    )  # fmt: skip
    assert subprocess.run([EXECUTABLE, "migrate"], env=env, capture_output=True,
                          check=False, timeout=60).returncode == 0  # fmt: skip
    return env


def surge(api: LocalBotApi, people: int, first_id: int, during: object) -> list[str]:
    """`people` intakes at once; `during()` runs in the middle of them, once everyone is past
    the first screens and answering (a /start cut off by the kill is re-delivered by Telegram
    and shows the language question twice, which a scripted person cannot follow)."""
    users = [api.user(first_id + n, language_code="en") for n in range(people)]
    begun = threading.Barrier(people + 1, timeout=120)

    def one(pair: tuple[int, FakeUser]) -> str:
        n, user = pair
        cmd(user, "/start", expect="Choose your language")
        tap(user, "English", expect="not end-to-end encrypted")
        tap(user, "I understand, continue", expect="Who needs help?")
        begun.wait()
        return submit_request_from_who(user, details=f"surge person {n}")

    with ThreadPoolExecutor(people) as pool:
        futures = [pool.submit(one, pair) for pair in enumerate(users)]
        begun.wait()
        time.sleep(0.5)  # answers in flight
        during()  # type: ignore[operator]
        return [future.result(timeout=240) for future in futures]


def test_sigkill_in_the_middle_of_a_surge_loses_nothing(
    api: LocalBotApi, environment: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    bot = BotProcess(environment, tmp_path)
    bot.start()

    def crash_and_restart() -> None:
        bot.kill()  # no goodbye: updates being handled are cut off
        bot.start()

    try:
        references = surge(api, 50, 7220000, crash_and_restart)
    finally:
        assert bot.stop() == 0
    assert len(set(references)) == 50
    stored = asyncio.run(_references(database_url))
    assert sorted(stored) == sorted(references)  # none lost, none duplicated


def test_redis_restarted_in_the_middle_of_a_surge_keeps_every_draft(
    api: LocalBotApi, environment: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    """20 people half-way through; Redis (append-only file on) restarts; all of them finish."""
    directory = tmp_path / "redis"
    directory.mkdir()
    port = free_port()
    command = [
        "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "yes", "--appendfsync", "always", "--dir", str(directory),
    ]  # fmt: skip
    redis = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    bot = BotProcess({**environment, "INTAKE_REDIS_URL": f"redis://127.0.0.1:{port}/0"}, tmp_path)
    users = [api.user(7230000 + n, language_code="en") for n in range(20)]
    halfway = threading.Barrier(len(users) + 1, timeout=120)
    resumed = threading.Barrier(len(users) + 1, timeout=120)

    def one(n: int) -> str:
        user = users[n]
        cmd(user, "/start", expect="Choose your language")
        tap(user, "English", expect="not end-to-end encrypted")
        tap(user, "I understand, continue", expect="Who needs help?")
        tap(user, "I do", expect="What is the situation right now?")
        tap(user, "Contract soldier", expect="Where are you (or he/she) now?")
        halfway.wait()
        resumed.wait()
        back = cmd(user, "/start", expect="You have an unfinished request")
        assert "Where are you (or he/she) now?" in back.visible_text  # the draft survived
        tap(user, "In Russia", expect="Right now, are you", message_id=back.message_id)
        tap(user, "In the unit", expect="is there a case against")
        tap(user, "No", expect="health problems")
        tap(user, "No", expect="How urgent is it?")
        tap(user, "No deadline", expect="What help is needed?")
        tap(user, "Legal advice", expect="✅ Legal advice")
        tap(user, "Done", expect="Which documents are at hand?")
        tap(user, "Military ID", expect="✅ Military ID")
        tap(user, "Done", expect="Might someone check your phone")
        tap(user, "No", expect="choose a codeword")
        tap(user, "Skip", expect="If you like, tell us briefly")
        say(user, f"redis drill person {n}", expect="Please check your answers")
        done = tap(user, "Send the request", expect="Your request has been sent")
        found = REFERENCE.search(done.visible_text)
        assert found is not None
        return found.group(0)

    try:
        time.sleep(0.5)
        bot.start()
        with ThreadPoolExecutor(len(users)) as pool:
            futures = [pool.submit(one, n) for n in range(len(users))]
            halfway.wait()
            redis.send_signal(signal.SIGTERM)
            redis.wait(10)
            redis = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            time.sleep(0.5)
            resumed.wait()
            references = [future.result(timeout=240) for future in futures]
    finally:
        assert bot.stop() == 0
        redis.send_signal(signal.SIGTERM)
        redis.wait(10)
    assert len(set(references)) == len(users)
    assert sorted(asyncio.run(_references(database_url))) == sorted(references)
