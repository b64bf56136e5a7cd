"""`intake-bot web` as a process of its own beside the bot under test, as docker-compose.yml runs
it: the same settings (given to it as INTAKE_* variables), so the same database, Redis and Bot
API server, and its desk notices sent by its own `announce` (`bot.__main__._serve_web`).

A process rather than a thread: the command's own start (settings from the environment, its log
set-up, its Bot) is what is tested, and its log output is a file of its own (`log`) that a test
can search.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from bot.settings import Settings
from tests.support.servers import free_port, stop_pid

START_TIMEOUT = 30.0


def environment(settings: Settings) -> dict[str, str]:
    """The INTAKE_* variables that give a process these settings (those set explicitly)."""
    env: dict[str, str] = {}
    for name in sorted(settings.model_fields_set):
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, list):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = ",".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[f"INTAKE_{name.upper()}"] = str(value)
    return env


@dataclass
class WebDoor:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    """Everything the process wrote (its log lines go to standard error)."""

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_until_up(self) -> None:
        """Until its stylesheet answers (its Python imports take seconds on a busy machine)."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                status = self.process.returncode
                raise AssertionError(f"intake-bot web exited ({status}):\n{self.log_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/static/web.css", timeout=2):  # noqa: S310
                    return
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"intake-bot web did not answer within {START_TIMEOUT:g} s:\n"
                        + self.log_text()[-2000:]
                    ) from None
                time.sleep(0.05)

    def stop(self) -> int:
        """SIGTERM, as docker stop sends; the exit status (0: requests finished, notices sent)."""
        if self.process.poll() is None:
            stop_pid(self.process.pid, signal.SIGTERM)
        return self.process.wait(10)


@contextmanager
def web_door(settings: Settings, log: Path, *, wait: bool = True) -> Iterator[WebDoor]:
    """`intake-bot web --listen 127.0.0.1:PORT` on `settings`, up when its stylesheet answers
    (`wait=False`: started only, for a test that does something else while it starts and
    calls `wait_until_up` itself); stopped by its pid at the end (a test that wants its exit
    status calls `stop` itself)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update(environment(settings))
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "web", "--listen", f"127.0.0.1:{port}"],
            cwd=log.parent,  # not the repository's: no .env of a developer's is read
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    door = WebDoor(f"http://127.0.0.1:{port}", process, log)
    try:
        if wait:
            door.wait_until_up()
        yield door
    finally:
        door.stop()
