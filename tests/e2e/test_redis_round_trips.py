"""Redis round trips per update on the hot path, counted by Redis itself (MONITOR).

Every command the bot sends about one person names that person's pseudonym (their flood
bucket, message ids, draft and lock), so the commands seen between two steps of one person are
that step's round trips, whatever the bot's background loops do meanwhile. README
("Benchmark") lists what each round trip is for and why a press needs more than two.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from bot.inprocess import BotThread
from localapi import LocalBotApi
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import answer_up_to_details, submit_request
from tests.support.people import command, say, tap
from tests.support.servers import RedisServer

PERSON = 5580100
PRESS_ROUND_TRIPS = 4  # flood; lock + draft; save; unlock
TEXT_ROUND_TRIPS = 7  # message id; flood; lock + draft; save; screen id; save + unlock; edit log


class Monitor:
    """Every command Redis receives, as MONITOR reports it, collected on a thread."""

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=None)
        self._monitor = self._client.monitor()
        self._seen: list[tuple[str, str]] = []  # (connection, command)
        self._guard = threading.Lock()
        self._monitor.__enter__()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        try:
            for event in self._monitor.listen():
                if event.get("client_type") == "lua":
                    continue  # run by a script, inside the round trip that ran the script
                connection = f"{event.get('client_address')}:{event.get('client_port')}"
                with self._guard:
                    self._seen.append((connection, str(event["command"])))
        except (redis.RedisError, OSError, ValueError):
            return  # closed at the end of the test

    def mark(self) -> int:
        with self._guard:
            return len(self._seen)

    def round_trips(self, mark: int, about: str) -> list[str]:
        """The round trips since `mark` that touch `about`: a command, or a MULTI ... EXEC
        block (sent at once) of one connection."""
        with self._guard:
            seen = self._seen[mark:]
        trips: list[str] = []
        blocks: dict[str, list[str]] = {}
        for connection, line in seen:
            if line == "MULTI":
                blocks[connection] = []
            elif line == "EXEC" and connection in blocks:
                block = blocks.pop(connection)
                if any(about in command for command in block):
                    trips.append("MULTI " + " | ".join(c.split(" ", 1)[0] for c in block))
            elif connection in blocks:
                blocks[connection].append(line)
            elif about in line:
                trips.append(line[:60])
        return trips

    def close(self) -> None:
        self._monitor.connection.disconnect()
        self._client.close()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    directory = tmp_path / "own-redis"
    directory.mkdir()
    server = RedisServer(shutil.which("redis-server") or "/usr/bin/redis-server", directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def counted(
    monitor: Monitor, runner: BotThread, owner: str, step: Callable[[], object]
) -> list[str]:
    runner.wait_idle()
    mark = monitor.mark()
    step()
    runner.wait_idle()  # every handler of the update has run (the last one may use Redis)
    return monitor.round_trips(mark, owner)


def test_a_press_and_a_typed_answer_take_few_redis_round_trips(
    api: LocalBotApi, make_settings: SettingsFactory, own_redis: RedisServer
) -> None:
    settings = make_settings(redis_url=own_redis.url, outbox_retry_seconds=3600)
    monitor = Monitor(own_redis.url)
    try:
        with BotThread(settings) as runner:
            assert runner.services is not None
            # Someone else first: Redis learns the bot's scripts (a script's first run takes
            # two more round trips, once per Redis).
            submit_request(api.user(PERSON + 1, language_code="en"))
            person = api.user(PERSON, language_code="en")
            owner = runner.services.turns.pseudonyms("person", PERSON)
            command(person, "/start", expect="Choose your language")
            tap(person, "English", expect="not end-to-end encrypted")

            press = counted(
                monitor, runner, owner,
                lambda: tap(person, "I understand, continue", expect="Who needs help?"),
            )  # fmt: skip
            assert 0 < len(press) <= PRESS_ROUND_TRIPS, "\n".join(press)
            answer_up_to_details(person)
            typed = counted(
                monitor, runner, owner,
                lambda: say(person, "Need advice.", expect="Please check your answers"),
            )  # fmt: skip
            assert 0 < len(typed) <= TEXT_ROUND_TRIPS, "\n".join(typed)
    finally:
        monitor.close()
