"""Two long-polling processes for one token: the second one waits a lease period, then stops
with one line, and the first serves everyone undisturbed; when the first dies, the next one
started takes over. With Redis (a lease key) and without it (the database: an advisory lock on
PostgreSQL, a file lock beside the SQLite file)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from localapi import LocalBotApi
from tests.e2e.test_operations import free_port
from tests.e2e.test_two_processes import _wait_healthy
from tests.support.people import command, tap

EXECUTABLE = str(Path(sys.executable).parent / "intake-bot")
LEASE = 2  # seconds


class Processes:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.started: list[subprocess.Popen[str]] = []

    def start(self) -> tuple[subprocess.Popen[str], int]:
        health = free_port()
        process = subprocess.Popen(
            [EXECUTABLE, "run"], cwd=self.cwd, text=True, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env={**self.env, "INTAKE_HEALTH_PORT": str(health)},
        )  # fmt: skip
        self.started.append(process)
        return process, health

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


@pytest.fixture(params=["redis", "database"])
def processes(
    request: pytest.FixtureRequest, api: LocalBotApi, database_url: str, master_keys: str,
    tmp_path: Path,
) -> Iterator[Processes]:  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update(
        INTAKE_BOT_TOKEN=api.token, INTAKE_API_URL=api.base_url, INTAKE_MASTER_KEYS=master_keys,
        INTAKE_DATABASE_URL=database_url, INTAKE_POLL_TIMEOUT="1",
        INTAKE_POLL_LEASE_SECONDS=str(LEASE),
    )  # fmt: skip
    if request.param == "redis":
        env["INTAKE_REDIS_URL"] = request.getfixturevalue("redis_url")
    assert subprocess.run([EXECUTABLE, "migrate"], env=env, capture_output=True,
                          check=False, timeout=60).returncode == 0  # fmt: skip
    running = Processes(env, tmp_path)
    yield running
    running.stop_all()


def test_a_second_poller_refuses_with_one_line_and_the_first_serves_on(
    api: LocalBotApi, processes: Processes
) -> None:
    first, health = processes.start()
    _wait_healthy(health)
    person = api.user(5580001, language_code="en")
    command(person, "/start", expect="Choose your language")
    second, _ = processes.start()
    _, errors = second.communicate(timeout=30)
    assert second.returncode == 2, errors
    assert errors.strip().splitlines()[-1] == (
        "intake-bot: another intake-bot process is already receiving this bot's updates by long"
        " polling; stop it first, or run several behind a webhook (INTAKE_WEBHOOK_URL)"
    )
    assert "Traceback" not in errors
    tap(person, "English", expect="not end-to-end encrypted")
    tap(person, "I understand, continue", expect="Who needs help?")
    first.send_signal(signal.SIGTERM)
    _, log = first.communicate(timeout=30)
    assert first.returncode == 0, log
    assert "Conflict" not in log
    assert "Traceback" not in log


def test_when_the_poller_dies_the_next_one_takes_over(
    api: LocalBotApi, processes: Processes
) -> None:
    first, health = processes.start()
    _wait_healthy(health)
    person = api.user(5580002, language_code="en")
    command(person, "/start", expect="Choose your language")
    first.send_signal(signal.SIGKILL)  # no goodbye: the lease is left behind
    first.wait(10)
    successor, health = processes.start()
    _wait_healthy(health)  # within one lease period the dead holder's lease has run out
    command(person, "/start", expect="Choose your language")
    assert successor.poll() is None
