"""Sealed mode as it is deployed: two intake processes (`run --role intake`, webhook, behind
one balancer, one Redis) and one desk process (`run --role desk`, long polling its own bot),
all real subprocesses on one PostgreSQL. Many people at once: every case, follow-up and reply
crosses between the two sides exactly once, and the desk's replies to one person in order."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from localapi import FakeUser, LocalBotApi
from storage.crypto import generate_desk_key_pair, generate_master_key
from storage.db import make_engine
from storage.models import Delivery, DeskSignal
from tests.e2e.flows import submit_request
from tests.e2e.test_operations import free_port
from tests.e2e.test_two_processes import SECRET, RoundRobin, _wait_healthy
from tests.support.people import command, eventually, say
from tests.support.servers import PostgresServer

PEOPLE = 16  # at once, each writing and answered: enough to interleave both intakes
TWICE = frozenset(range(0, PEOPLE, 3))
"""The people who get two replies: the second must reach them after the first."""
ADMIN_ID = 5570001
VOLUNTEER_ID = 5570002
WAIT = 120.0
"""Generous: 30 people on two shared cores, every step through two processes and a database."""


@pytest.fixture
def balancer() -> Iterator[tuple[RoundRobin, list[int]]]:
    ports = [free_port(), free_port()]
    server = RoundRobin([f"http://127.0.0.1:{port}/telegram" for port in ports])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, ports
    server.shutdown()
    server.server_close()


@pytest.fixture
def desk_api() -> Iterator[LocalBotApi]:
    """The volunteers' bot: its own token, its own local server."""
    with LocalBotApi() as server:
        yield server


Command = tuple[list[str], dict[str, str], Path]
"""A process to run: argv, environment, working directory."""


@dataclass
class Deployment:
    """What runs where: the two intakes' and the desk's commands, on a migrated database."""

    database: str
    intakes: list[Command]
    desk: Command
    intake_health: list[int]
    desk_health: int


@pytest.fixture
def deployment(
    api: LocalBotApi,
    desk_api: LocalBotApi,
    balancer: tuple[RoundRobin, list[int]],
    redis_url: str,
    postgres_server: PostgresServer,
    tmp_path: Path,
) -> Deployment:
    """Sealed mode's settings for each process, as an operator sets them; the schema made."""
    server, ports = balancer
    database = postgres_server.url_for(postgres_server.create_database())
    private, public = generate_desk_key_pair()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    common = {**clean, "INTAKE_DATABASE_URL": database, "INTAKE_SEALED_POLL_SECONDS": "0.2"}
    intake = {
        **common, "INTAKE_BOT_TOKEN": api.token, "INTAKE_API_URL": api.base_url,
        "INTAKE_MASTER_KEYS": generate_master_key(), "INTAKE_DESK_PUBLIC_KEY": public,
        "INTAKE_REDIS_URL": redis_url,
        "INTAKE_WEBHOOK_URL": f"http://127.0.0.1:{server.server_address[1]}/telegram",
        "INTAKE_WEBHOOK_SECRET": SECRET, "INTAKE_WEBHOOK_LISTEN": "127.0.0.1",
    }  # fmt: skip
    desk_health = free_port()
    desk = {
        **common, "INTAKE_BOT_TOKEN": desk_api.token, "INTAKE_API_URL": desk_api.base_url,
        "INTAKE_DESK_PRIVATE_KEY": private, "INTAKE_ADMIN_IDS": str(ADMIN_ID),
        "INTAKE_POLL_TIMEOUT": "1", "INTAKE_HEALTH_PORT": str(desk_health),
        # One volunteer works every case within a minute; people keep the default limit.
        "INTAKE_FLOOD_BURST": "1000",
    }  # fmt: skip
    executable = str(Path(sys.executable).parent / "intake-bot")
    migrated = subprocess.run([executable, "migrate"], env={**intake, "INTAKE_ROLE": "intake"},
                              capture_output=True, text=True, check=False, timeout=60)  # fmt: skip
    assert migrated.returncode == 0, migrated.stderr
    health = [free_port(), free_port()]
    intakes = [
        ([executable, "run", "--role", "intake"],
         {**intake, "INTAKE_WEBHOOK_PORT": str(port), "INTAKE_HEALTH_PORT": str(hport)},
         tmp_path / f"intake{n}")
        for n, (port, hport) in enumerate(zip(ports, health, strict=True))
    ]  # fmt: skip
    desk_command = ([executable, "run", "--role", "desk"], desk, tmp_path / "desk")
    return Deployment(database, intakes, desk_command, health, desk_health)


class Processes:
    """Real `intake-bot` processes; each stopped with SIGTERM must exit cleanly, and none may
    log an error (a failed round, an undelivered message, a traceback)."""

    def __init__(self) -> None:
        self.running: dict[int, subprocess.Popen[str]] = {}
        self.logs: list[str] = []

    def start(self, slot: int, command: Command) -> None:
        argv, env, cwd = command
        cwd.mkdir(parents=True, exist_ok=True)
        self.running[slot] = subprocess.Popen(
            argv, cwd=cwd, env=env, stderr=subprocess.PIPE, text=True
        )

    def stop(self, slot: int) -> None:
        process = self.running.pop(slot)
        process.send_signal(signal.SIGTERM)
        log = process.communicate(timeout=60)[1]
        self.logs.append(log)
        assert process.returncode == 0, log

    def stop_all(self) -> None:
        """The desk first (slot 0 is the desk), then the intakes."""
        for slot in sorted(self.running):
            self.stop(slot)
        bad = [line for log in self.logs for line in log.splitlines() if _bad(line)]
        assert not bad, "\n".join(bad)


def _bad(line: str) -> bool:
    return any(word in line for word in (" ERROR ", " CRITICAL ", "Traceback", "not delivered",
                                         "round failed"))  # fmt: skip


@contextmanager
def started(deployment: Deployment) -> Iterator[Processes]:
    """Both intakes (which publish the delivery key), then the desk; all stopped at the end."""
    processes = Processes()
    try:
        for slot, command in enumerate(deployment.intakes, start=1):
            processes.start(slot, command)
        for port in deployment.intake_health:
            _wait_healthy(port)
        processes.start(0, deployment.desk)
        _wait_healthy(deployment.desk_health)
        yield processes
    finally:
        processes.stop_all()


def test_two_intakes_and_one_desk_lose_and_double_nothing(
    api: LocalBotApi,
    desk_api: LocalBotApi,
    balancer: tuple[RoundRobin, list[int]],
    deployment: Deployment,
) -> None:
    server, _ = balancer
    with started(deployment):
        volunteer = _volunteer(desk_api)
        people, references = _submit_and_take(api, volunteer, PEOPLE)
        _follow_up(people, references, volunteer, "follow-up")
        _reply_to_each(volunteer, references)
        _wait_for_replies(people)
        _wait_until_drained(deployment.database)
    # Every process has stopped: nothing more can arrive, so each count below is final.
    assert all(count > PEOPLE for count in server.served.values()), server.served
    assert asyncio.run(_rows_left(deployment.database)) == (0, 0)
    _assert_once_each(people, references, volunteer, ["follow-up"])


def test_an_intake_restarted_midway_loses_and_doubles_nothing(
    api: LocalBotApi, desk_api: LocalBotApi, deployment: Deployment
) -> None:
    """A rolling restart: one intake stops (SIGTERM) while the desk's replies go out and comes
    back; the other carries on. Updates it refused reach the other one; every reply is sent
    once, by one of them, in order."""
    people_count = 8
    with started(deployment) as processes:
        volunteer = _volunteer(desk_api)
        people, references = _submit_and_take(api, volunteer, people_count)
        _follow_up(people, references, volunteer, "before the restart")
        half = people_count // 2
        _reply_to_each(volunteer, references[:half], start=0)
        processes.stop(1)  # in the middle of sending, most likely
        _reply_to_each(volunteer, references[half:], start=half)
        _follow_up(people, references, volunteer, "while one intake was down")
        processes.start(1, deployment.intakes[0])
        _wait_healthy(deployment.intake_health[0])
        _follow_up(people, references, volunteer, "after the restart")
        _wait_for_replies(people)
        _wait_until_drained(deployment.database)
    assert asyncio.run(_rows_left(deployment.database)) == (0, 0)
    _assert_once_each(
        people, references, volunteer,
        ["before the restart", "while one intake was down", "after the restart"],
    )  # fmt: skip


def _volunteer(desk_api: LocalBotApi) -> FakeUser:
    """The admin (configured) invites one volunteer, who joins the desk bot."""
    admin = desk_api.user(ADMIN_ID, language_code="en", username="admin_username_x")
    command(admin, "/queue", expect="The queue is empty", timeout=WAIT)
    invite = command(admin, "/invite", expect="One-time invite")
    code = invite.visible_text.split("/join ")[1].split()[0].rstrip(".")
    volunteer = desk_api.user(VOLUNTEER_ID, language_code="en", username="vol_processes")
    command(volunteer, "/join", args=code, expect="Welcome to the desk")
    return volunteer


def _submit_and_take(
    api: LocalBotApi, volunteer: FakeUser, count: int
) -> tuple[list[FakeUser], list[str]]:
    """`count` people submit at once; every case is announced, queued, then taken."""
    people = [api.user(5570100 + n, language_code="en") for n in range(count)]
    with ThreadPoolExecutor(count) as pool:
        references = list(pool.map(
            lambda n: submit_request(people[n], details=f"person number {n}"), range(count)
        ))  # fmt: skip
    assert len(set(references)) == count
    eventually(lambda: all(_count(volunteer, f"New case {r}") for r in references),
               timeout=WAIT, what="every new case announced")  # fmt: skip
    command(volunteer, "/queue", expect=f"{count} cases are waiting", timeout=WAIT)
    for reference in references:
        command(volunteer, "/take", args=reference, expect="Case " + reference, timeout=WAIT)
    return people, references


def _follow_up(
    people: list[FakeUser], references: list[str], volunteer: FakeUser, words: str
) -> None:
    """Each person writes once more, all at once; each message is relayed to the volunteer."""
    with ThreadPoolExecutor(len(people)) as pool:
        list(pool.map(
            lambda n: say(people[n], f"{words} {n}.", expect="was added to request",
                          timeout=WAIT),
            range(len(people)),
        ))  # fmt: skip
    eventually(
        lambda: all(_count(volunteer, f"{r}, from the person: {words} {n}.")
                    for n, r in enumerate(references)),
        timeout=WAIT, what=f"every {words!r} relayed",
    )  # fmt: skip


def _reply_to_each(volunteer: FakeUser, references: list[str], start: int = 0) -> None:
    """One reply to each case, two to those of `TWICE` (the second after the first)."""
    for n, reference in enumerate(references, start=start):
        handed = f"Handed to the intake bot for the person of case {reference}"
        command(volunteer, "/reply", args=f"{reference} First reply to {n}.", expect=handed,
                timeout=WAIT)  # fmt: skip
        if n in TWICE:
            command(volunteer, "/reply", args=f"{reference} Second reply to {n}.",
                    expect=handed, timeout=WAIT)  # fmt: skip


def _wait_for_replies(people: list[FakeUser]) -> None:
    for n, person in enumerate(people):
        last = f"Second reply to {n}." if n in TWICE else f"First reply to {n}."
        person.wait_for_text(last, timeout=WAIT)


def _wait_until_drained(database: str) -> None:
    eventually(lambda: asyncio.run(_rows_left(database)) == (0, 0), timeout=WAIT,
               what="every signal acted on, every delivery sent and deleted")  # fmt: skip


def _assert_once_each(
    people: list[FakeUser], references: list[str], volunteer: FakeUser, follow_ups: list[str]
) -> None:
    """Each case announced once, each follow-up relayed once, each reply shown once, the
    second after the first."""
    assert not _count(volunteer, "Could not deliver")
    for n, (person, reference) in enumerate(zip(people, references, strict=True)):
        assert _count(volunteer, f"New case {reference}") == 1, reference
        for words in follow_ups:
            relayed = _count(volunteer, f"{reference}, from the person: {words} {n}.")
            assert relayed == 1, (reference, words, relayed)
        first = _shown_at(person, f"First reply to {n}.")
        assert len(first) == 1, (n, first)
        second = _shown_at(person, f"Second reply to {n}.")
        if n in TWICE:
            assert len(second) == 1, (n, second)
            assert first[0] < second[0], f"person {n} got the replies out of order"
        else:
            assert second == []


def _count(user: FakeUser, text: str) -> int:
    return sum(text in message.visible_text for message in user.bot_messages())


def _shown_at(user: FakeUser, text: str) -> list[int]:
    """Where in the chat (oldest first) the bot's messages showing `text` are."""
    return [i for i, message in enumerate(user.bot_messages()) if text in message.visible_text]


async def _rows_left(url: str) -> tuple[int, int]:
    """How many signals and deliveries wait: none once both sides have caught up."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            signals = await connection.scalar(select(func.count()).select_from(DeskSignal))
            deliveries = await connection.scalar(select(func.count()).select_from(Delivery))
            return int(signals or 0), int(deliveries or 0)
    finally:
        await engine.dispose()
