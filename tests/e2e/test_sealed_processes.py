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

PEOPLE = 30
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


@contextmanager
def running(commands: list[tuple[list[str], dict[str, str], Path]]) -> Iterator[list[str]]:
    """Start each (argv, env, cwd) as a subprocess; on leaving, SIGTERM each and require a clean
    exit. Yields nothing useful until they stop: their stderr, filled in at the end."""
    outputs: list[str] = []
    processes: list[subprocess.Popen[str]] = []
    try:
        for argv, env, cwd in commands:
            cwd.mkdir(parents=True, exist_ok=True)
            processes.append(
                subprocess.Popen(argv, cwd=cwd, env=env, stderr=subprocess.PIPE, text=True)
            )
        yield outputs
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        outputs += [process.communicate(timeout=60)[1] for process in processes]
    assert [process.returncode for process in processes] == [0] * len(processes), outputs


def test_two_intakes_and_one_desk_lose_and_double_nothing(
    api: LocalBotApi,
    desk_api: LocalBotApi,
    balancer: tuple[RoundRobin, list[int]],
    redis_url: str,
    postgres_server: PostgresServer,
    tmp_path: Path,
) -> None:
    server, ports = balancer
    database = postgres_server.url_for(postgres_server.create_database())
    private, public = generate_desk_key_pair()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    common = {**clean, "INTAKE_DATABASE_URL": database, "INTAKE_SEALED_POLL_SECONDS": "0.2"}
    intake = {
        **common, "INTAKE_BOT_TOKEN": api.token, "INTAKE_API_URL": api.base_url,
        "INTAKE_MASTER_KEYS": generate_master_key(), "INTAKE_DESK_PUBLIC_KEY": public,
        "INTAKE_REDIS_URL": redis_url, "INTAKE_ROLE": "intake",
        "INTAKE_WEBHOOK_URL": f"http://127.0.0.1:{server.server_address[1]}/telegram",
        "INTAKE_WEBHOOK_SECRET": SECRET, "INTAKE_WEBHOOK_LISTEN": "127.0.0.1",
    }  # fmt: skip
    desk_health = free_port()
    desk = {
        **common, "INTAKE_BOT_TOKEN": desk_api.token, "INTAKE_API_URL": desk_api.base_url,
        "INTAKE_DESK_PRIVATE_KEY": private, "INTAKE_ADMIN_IDS": str(ADMIN_ID),
        "INTAKE_POLL_TIMEOUT": "1", "INTAKE_HEALTH_PORT": str(desk_health),
        # One volunteer works all 30 cases within a minute; people keep the default limit.
        "INTAKE_FLOOD_BURST": "1000",
    }  # fmt: skip
    executable = str(Path(sys.executable).parent / "intake-bot")
    migrated = subprocess.run([executable, "migrate"], env=intake, capture_output=True,
                              text=True, check=False, timeout=60)  # fmt: skip
    assert migrated.returncode == 0, migrated.stderr
    health = [free_port(), free_port()]
    intakes = [
        ([executable, "run", "--role", "intake"],
         {**intake, "INTAKE_WEBHOOK_PORT": str(port), "INTAKE_HEALTH_PORT": str(hport)},
         tmp_path / f"intake{n}")
        for n, (port, hport) in enumerate(zip(ports, health, strict=True))
    ]  # fmt: skip
    with running(intakes):
        for hport in health:
            _wait_healthy(hport)  # the intakes first: they publish the delivery key
        with running([([executable, "run", "--role", "desk"], desk, tmp_path / "desk")]):
            _wait_healthy(desk_health)
            people, references, volunteer = _work_every_case(api, desk_api)
            eventually(lambda: asyncio.run(_rows_left(database)) == (0, 0), timeout=WAIT,
                       what="every signal acted on, every delivery sent and deleted")  # fmt: skip
    # Every process has stopped: nothing more can arrive, so each count below is final.
    assert all(count > PEOPLE for count in server.served.values()), server.served
    assert asyncio.run(_rows_left(database)) == (0, 0)
    for n, (person, reference) in enumerate(zip(people, references, strict=True)):
        assert _count(volunteer, f"New case {reference}") == 1, reference
        assert _count(volunteer, f"{reference}, from the person: follow-up {n}.") == 1, reference
        first = _shown_at(person, f"First reply to {n}.")
        assert len(first) == 1, (n, first)
        if n in TWICE:
            second = _shown_at(person, f"Second reply to {n}.")
            assert len(second) == 1, (n, second)
            assert first[0] < second[0], f"person {n} got the replies out of order"
        else:
            assert _shown_at(person, f"Second reply to {n}.") == []


def _work_every_case(
    api: LocalBotApi, desk_api: LocalBotApi
) -> tuple[list[FakeUser], list[str], FakeUser]:
    """30 people submit at once; the volunteer takes every case; each person writes once more
    at once; the volunteer replies to each (twice to some). Returns when the desk has seen
    everything and every person has their last reply."""
    admin = desk_api.user(ADMIN_ID, language_code="en", username="admin_username_x")
    command(admin, "/queue", expect="The queue is empty", timeout=WAIT)
    invite = command(admin, "/invite", expect="One-time invite")
    code = invite.visible_text.split("/join ")[1].split()[0].rstrip(".")
    volunteer = desk_api.user(VOLUNTEER_ID, language_code="en", username="vol_processes")
    command(volunteer, "/join", args=code, expect="Welcome to the desk")

    people = [api.user(5570100 + n, language_code="en") for n in range(PEOPLE)]
    with ThreadPoolExecutor(PEOPLE) as pool:
        references = list(pool.map(
            lambda n: submit_request(people[n], details=f"person number {n}"), range(PEOPLE)
        ))  # fmt: skip
    assert len(set(references)) == PEOPLE
    eventually(lambda: all(_count(volunteer, f"New case {r}") for r in references),
               timeout=WAIT, what="every new case announced")  # fmt: skip
    command(volunteer, "/queue", expect=f"{PEOPLE} cases are waiting", timeout=WAIT)
    for reference in references:
        command(volunteer, "/take", args=reference, expect="Case " + reference, timeout=WAIT)

    with ThreadPoolExecutor(PEOPLE) as pool:
        list(pool.map(
            lambda n: say(people[n], f"follow-up {n}.", expect="was added to request",
                          timeout=WAIT),
            range(PEOPLE),
        ))  # fmt: skip
    eventually(
        lambda: all(_count(volunteer, f"{r}, from the person: follow-up {n}.")
                    for n, r in enumerate(references)),
        timeout=WAIT, what="every follow-up relayed",
    )  # fmt: skip

    for n, reference in enumerate(references):
        handed = f"Handed to the intake bot for the person of case {reference}"
        command(volunteer, "/reply", args=f"{reference} First reply to {n}.", expect=handed,
                timeout=WAIT)  # fmt: skip
        if n in TWICE:
            command(volunteer, "/reply", args=f"{reference} Second reply to {n}.",
                    expect=handed, timeout=WAIT)  # fmt: skip
    for n, person in enumerate(people):
        last = f"Second reply to {n}." if n in TWICE else f"First reply to {n}."
        person.wait_for_text(last, timeout=WAIT)
    return people, references, volunteer


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
