"""Two bot processes serve one bot (webhook, one port each, the same Redis and PostgreSQL)."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import text

from localapi import LocalBotApi
from storage.crypto import generate_master_key
from storage.db import make_engine
from tests.e2e.flows import submit_request
from tests.e2e.test_operations import free_port, get
from tests.support.servers import PostgresServer

SECRET = "two-processes-webhook-secret"
PEOPLE = 8


class RoundRobin(ThreadingHTTPServer):
    """A load balancer: each webhook request goes to the next bot process, and its answer back."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = itertools.cycle(backends)
        self.lock = threading.Lock()
        self.served: dict[str, int] = dict.fromkeys(backends, 0)
        super().__init__(("127.0.0.1", 0), _Forward)

    def next_backend(self) -> str:
        with self.lock:
            backend = next(self.backends)
            self.served[backend] += 1
            return backend


class _Forward(BaseHTTPRequestHandler):
    server: RoundRobin

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {
            k: v for k, v in self.headers.items() if k.lower().startswith(("x-", "content-t"))
        }
        request = urllib.request.Request(self.server.next_backend(), data=body, headers=headers)  # noqa: S310
        answer, content_type = b"", ""
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - local
                status, answer = response.status, response.read()
                content_type = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 502
        self.send_response(status)
        if content_type:  # the answer may carry a method for Telegram to run (a press's answer)
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        """Quiet: requests carry updates."""


@pytest.fixture
def balancer() -> Iterator[tuple[RoundRobin, list[int]]]:
    ports = [free_port(), free_port()]
    server = RoundRobin([f"http://127.0.0.1:{port}/telegram" for port in ports])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, ports
    server.shutdown()
    server.server_close()


def test_two_processes_share_the_work_and_lose_nothing(
    api: LocalBotApi,
    balancer: tuple[RoundRobin, list[int]],
    redis_url: str,
    postgres_server: PostgresServer,
    tmp_path: Path,
) -> None:
    server, ports = balancer
    database = postgres_server.url_for(postgres_server.create_database())
    keys = generate_master_key()
    base = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    base.update(
        INTAKE_BOT_TOKEN=api.token, INTAKE_API_URL=api.base_url, INTAKE_MASTER_KEYS=keys,
        INTAKE_DATABASE_URL=database, INTAKE_REDIS_URL=redis_url,
        INTAKE_WEBHOOK_URL=f"http://127.0.0.1:{server.server_address[1]}/telegram",
        INTAKE_WEBHOOK_SECRET=SECRET, INTAKE_WEBHOOK_LISTEN="127.0.0.1",
    )  # fmt: skip
    executable = str(Path(sys.executable).parent / "intake-bot")
    assert subprocess.run([executable, "migrate"], env=base, capture_output=True,
                          check=False, timeout=60).returncode == 0  # fmt: skip
    health = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [executable, "run"],
            cwd=tmp_path,
            stderr=subprocess.PIPE,
            text=True,
            env={**base, "INTAKE_WEBHOOK_PORT": str(port), "INTAKE_HEALTH_PORT": str(hport)},
        )
        for port, hport in zip(ports, health, strict=True)
    ]
    try:
        for hport in health:
            _wait_healthy(hport)
        people = [api.user(6990100 + n, language_code="en") for n in range(PEOPLE)]
        with ThreadPoolExecutor(PEOPLE) as pool:
            references = list(pool.map(
                lambda pair: submit_request(pair[1], details=f"person number {pair[0]}"),
                enumerate(people),
            ))  # fmt: skip
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=30)[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert all(count > PEOPLE for count in server.served.values()), server.served
    assert len(set(references)) == PEOPLE
    assert sorted(asyncio.run(_references(database))) == sorted(references)  # none lost or twice
    # Every press answered, each in the webhook's answer that came back through the balancer.
    presses = [u["callback_query"]["id"] for u in api.delivered_updates() if "callback_query" in u]
    answered = [a["callback_query_id"] for person in people for a in person.callback_answers()]
    assert sorted(answered) == sorted(presses)
    assert api.calls("answerCallbackQuery") == []


async def _references(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(text("SELECT reference FROM cases"))).scalars())
    finally:
        await engine.dispose()


def _wait_healthy(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the bot on health port {port} did not become healthy")


def test_an_update_delivered_to_both_processes_runs_once(
    api: LocalBotApi,
    balancer: tuple[RoundRobin, list[int]],
    redis_url: str,
    postgres_server: PostgresServer,
    tmp_path: Path,
) -> None:
    """Telegram re-delivers a /reply; the balancer hands it to the other process: one reply."""
    from tests.e2e.test_desk import ADMIN_ID, admin_of, join_as_volunteer
    from tests.e2e.test_hostile_traffic import redeliver_and_wait, replies_seen, the_update_of
    from tests.support.people import command, eventually

    server, ports = balancer
    database = postgres_server.url_for(postgres_server.create_database())
    base = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    base.update(
        INTAKE_BOT_TOKEN=api.token, INTAKE_API_URL=api.base_url,
        INTAKE_MASTER_KEYS=generate_master_key(), INTAKE_DATABASE_URL=database,
        INTAKE_REDIS_URL=redis_url, INTAKE_ADMIN_IDS=str(ADMIN_ID),
        INTAKE_WEBHOOK_URL=f"http://127.0.0.1:{server.server_address[1]}/telegram",
        INTAKE_WEBHOOK_SECRET=SECRET, INTAKE_WEBHOOK_LISTEN="127.0.0.1",
    )  # fmt: skip
    executable = str(Path(sys.executable).parent / "intake-bot")
    health = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [executable, "run"],
            cwd=tmp_path,
            stderr=subprocess.PIPE,
            text=True,
            env={**base, "INTAKE_WEBHOOK_PORT": str(port), "INTAKE_HEALTH_PORT": str(hport)},
        )
        for port, hport in zip(ports, health, strict=True)
    ]
    try:
        for hport in health:
            _wait_healthy(hport)
        admin = admin_of(api)
        volunteer = join_as_volunteer(api, admin, 6990201)
        person = api.user(6990202, language_code="en")
        reference = submit_request(person)
        command(volunteer, "/take", expect="Case " + reference)
        words = f"{reference} Both processes got this."
        command(volunteer, "/reply", args=words, expect="Sent to the person")
        update_id = the_update_of(api, volunteer, f"/reply {words}")["update_id"]
        served = dict(server.served)
        redeliver_and_wait(api, update_id)
        assert sum(server.served.values()) == sum(served.values()) + 1
        command(person, "/status", expect="A volunteer is working on your request")
        eventually(lambda: replies_seen(person, "Both processes got this") >= 1, what="reply")
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=30)[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert replies_seen(person, "Both processes got this") == 1
