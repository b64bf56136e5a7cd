"""The surge benchmark: many people fill in the questionnaire at once against the real bot.

    .venv/bin/python bench/surge.py [--people 1000] [--database sqlite|postgresql]
                                    [--volunteers 3] [--out bench/results] [--timeout 1200]
                                    [--peers echo,same_calls,aiogram]
                                    [--mode polling|webhook|both] [--two-processes] [--sealed]
                                    [--open-loop 100,300,1000] [--pause 2,8]

What it starts (and always stops again): a throwaway redis-server, PostgreSQL when asked, a local
Bot API server (``localapi``, in this process, on 127.0.0.1), and the bots as separate
processes, one after the other, against that same server:

1. the peers (``--peers``): ``bench/echo_bot.py``, a bare python-telegram-bot echo bot, and the
   same-calls bots ``bench/same_calls_bot.py`` (python-telegram-bot) and ``bench/aiogram_bot.py``
   (aiogram 3), which answer every press and edit its message into the next screen as the intake
   bot does: N people send each the same stream of updates an intake produces (2 text messages
   and 16 button presses each, in the same order), each waiting for the answer (the echo) or
   the next screen (the same-calls bots) before the next;
2. the real bot, ``intake-bot run``, with Redis and the chosen database: N people complete the
   whole questionnaire concurrently while a few volunteers (``INTAKE_ADMIN_IDS``) loop
   ``/take`` and ``/close REF`` until every case is closed; with ``--mode both`` (the default)
   1 and 2 run with long polling, then again with a webhook (each bot on a port of its own, the
   intake bot on a database and Redis database of its own; the server posts up to the webhook's
   max_connections updates at once, as Telegram does); with ``--two-processes``, webhook mode's
   intake bot is then run again as two ``intake-bot run`` processes (one port each, the same
   database, Redis and secret) behind a round-robin balancer (bench/balancer.py, a process of
   its own) on the same webhook, with new people, into ``two_processes`` of latest.json;
3. with ``--sealed``, the same again in sealed mode (long polling) on a database of its own:
   ``intake-bot run --role intake`` for the people (holding only the desk's public key) and
   ``--role desk`` on a second local server for the volunteers (holding the private key).
   Each mode is then also given ten new people's first and second /start one at a time (what a
   first message costs: one Argon2id pseudonym in sealed mode).
4. the open loop (bench/open_loop.py, long polling), for each N of ``--open-loop``
   (100,300,1000): a fresh bot and N people who pause ``--pause`` 2-8 s before every step;
   their next-screen latency goes into ``open_loop.<N>`` of latest.json.

Measured at the local server: updates delivered (by getUpdates or to the webhook) per second,
reply latency (an update enqueued -> the bot's first sendMessage/editMessageText/answerCallbackQuery
for that chat), the latency until the next question is on screen, intakes completed, cases lost
or duplicated (references people received against the cases table), the bot's peak memory
(VmHWM), Redis bytes per active draft and database bytes per case; always, the cost of one
memory-hard pseudonym (sealed mode's) and of trying every Telegram id at it. Writes
``<out>/latest.json`` and ``<out>/latest.png`` and prints a table. Everything is bounded by
``--timeout``: when it passes, the run stops and reports what it has (``"partial": true``).

Not part of the test suite (tests/integration/test_surge_peers.py runs it short); see
bench/README.md for the figures and where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/surge.py`: import from the repository root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

try:
    from bench import open_loop
    from bench.metered import REPLY_METHODS, Event, MeteredApi, Phase
    from bench.observe import DraftSample, Profiler, Sample, snapshot, watch_drafts, watch_memory
    from bench.people import (
        DeskWork,
        Feed,
        Hub,
        Outcome,
        StepTimeout,
        Surge,
        desk_command,
        echo_person,
        intake_person,
        peer_person,
        volunteer,
    )
    from bench.processes import ROOT, START_TIMEOUT, BotProcess, BotProcesses
    from bench.report import PhaseResult, build_report, plot, table
    from localapi import FakeUser
    from storage.crypto import generate_desk_key_pair, generate_master_key
    from storage.slow_pseudonyms import cost_per_id_seconds, years_to_try_every_id
    from tests.support.servers import (
        PostgresServer,
        RedisServer,
        ServerError,
        free_port,
        postgres_bindir,
        redis_binary,
        tail,
    )
except ImportError as missing:  # pragma: no cover - a hint for the wrong interpreter
    sys.exit(f"surge.py: {missing}; run it with the project's venv: .venv/bin/python {__file__}")

INTAKE_PEOPLE_BASE = 7_200_000
VOLUNTEER_BASE = 7_000_000
SEALED_PEOPLE_BASE = 7_300_000
WEBHOOK_OFFSET = 500_000  # webhook mode's people, apart from long polling's
PROBE_BASE = 7_400_000  # the first-message probe's people, apart from the surge's
PROBE_PEOPLE = 10
PSEUDONYM_ROUNDS = 5
# Redis databases: the surge's 0, sealed mode's 1, webhook mode's 2, the open loop's 3 to 12.
TWO_PROCESSES_REDIS_DB = 13


@dataclass
class Target:
    """Where one bot phase keeps its data: a database of its own, a Redis database of its own."""

    database_url: str
    redis_url: str
    inspect: Callable[[], dict[str, Any]]


@dataclass
class DeskSide:
    """Sealed mode: the desk bot's own local server and its key pair (the intake gets the
    public half only)."""

    api: MeteredApi
    private_key: str
    public_key: str


@dataclass(frozen=True)
class Webhook:
    """Webhook mode: where a bot listens (127.0.0.1) and the secret Telegram sends back; with
    `backends`, `port` is the balancer's (bench/balancer.py) and each bot process listens on
    one of them."""

    port: int
    secret: str = "surge-webhook-secret-0123456789"  # noqa: S105 - a throwaway local bot's
    backends: tuple[int, ...] = ()

    @property
    def url(self) -> str:
        return self.url_of(self.port)

    @staticmethod
    def url_of(port: int) -> str:
        return f"http://127.0.0.1:{port}/telegram"

    @classmethod
    def new(cls) -> Webhook:
        return cls(free_port())

    @classmethod
    def balanced(cls, processes: int) -> Webhook:
        return cls(free_port(), backends=tuple(free_port() for _ in range(processes)))


async def wait_ready(
    api: MeteredApi, process: BotProcess, deadline: float, webhook: Webhook | None = None
) -> None:
    """Until the bot polls, or with `webhook` until it has set that webhook."""
    end = min(deadline, time.monotonic() + START_TIMEOUT)
    while not (
        api.webhook_info().get("url") == webhook.url if webhook else api.meter.polled.is_set()
    ):
        if not process.running():
            raise ServerError(f"{process.name} exited at start:\n{tail(process.log)}")
        if time.monotonic() > end:
            raise ServerError(f"{process.name} was not ready within {START_TIMEOUT:g} s")
        await asyncio.sleep(0.1)


async def wait_listening(process: BotProcess, port: int, deadline: float) -> None:
    """Until something accepts connections on 127.0.0.1:`port` (a bot's webhook, once its
    application has started; the balancer)."""
    end = min(deadline, time.monotonic() + START_TIMEOUT)
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            pass
        else:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return
        if not process.running():
            raise ServerError(f"{process.name} exited at start:\n{tail(process.log)}")
        if time.monotonic() > end:
            raise ServerError(f"{process.name} did not listen within {START_TIMEOUT:g} s")
        await asyncio.sleep(0.1)


def start_balancer(webhook: Webhook, workdir: Path, name: str) -> BotProcess:
    """bench/balancer.py in front of the webhook's backends (stopped like a bot)."""
    command = [sys.executable, str(ROOT / "bench" / "balancer.py"), "--port", str(webhook.port),
               "--counts", str(workdir / f"{name}-balancer-counts.json")]  # fmt: skip
    for port in webhook.backends:
        command += ["--backend", Webhook.url_of(port)]
    return BotProcess(f"{name}-balancer", command, clean_env(), workdir)


def balancer_counts(workdir: Path, name: str) -> list[int] | None:
    """The requests each backend got, written by the balancer when it stopped."""
    try:
        return json.loads((workdir / f"{name}-balancer-counts.json").read_text())
    except (OSError, ValueError):
        return None


async def run_people(
    surge: Surge,
    process: BotProcess,
    people: list[Callable[[], Any]],
    notes: list[str],
) -> list[Outcome]:
    """All people at once; returns when all are done, the bot dies, or the deadline passes."""
    tasks = [asyncio.create_task(person()) for person in people]
    pending: set[asyncio.Task[Outcome]] = set(tasks)
    while pending:
        remaining = surge.deadline - time.monotonic()
        if remaining <= 0:
            notes.append("global timeout reached while people were still answering")
            break
        if not process.running():
            notes.append(f"{process.name} exited with {process.returncode} mid-surge")
            break
        _, pending = await asyncio.wait(pending, timeout=min(1.0, remaining))
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    outcomes = []
    for task in tasks:
        if task.cancelled() or task.exception() is not None:
            failure = "cancelled" if task.cancelled() else repr(task.exception())
            outcomes.append(Outcome(failed_at=failure))
        else:
            outcomes.append(task.result())
    # The surge ends with the last completed intake: people stuck waiting for an answer that
    # never comes would otherwise stretch it by the step timeout (they are counted apart).
    finished = [o.finished_at for o in outcomes if o.done and o.finished_at is not None]
    finished = finished or [o.finished_at for o in outcomes if o.finished_at is not None]
    surge.phase.ended_at = max(finished, default=None)
    return outcomes


@dataclass(frozen=True)
class Peer:
    """A bot the intake bot is compared with: its script in bench/, the person who uses it and
    where its people's ids begin."""

    script: str
    person: Callable[[Surge, FakeUser], Awaitable[Outcome]]
    people_base: int


PEERS = {
    "echo": Peer("echo_bot.py", echo_person, 7_100_000),
    "same_calls": Peer("same_calls_bot.py", peer_person, 7_130_000),
    "aiogram": Peer("aiogram_bot.py", peer_person, 7_160_000),
}


async def peer_phase(
    api: MeteredApi,
    args: argparse.Namespace,
    workdir: Path,
    deadline: float,
    name: str,
    webhook: Webhook | None = None,
) -> PhaseResult:
    peer = PEERS[name]
    hub = Hub(asyncio.get_running_loop())
    base = peer.people_base + (WEBHOOK_OFFSET if webhook else 0)
    users = [api.user(base + n, language_code="en", first_name="Peer") for n in range(args.people)]
    for user in users:
        hub.feeds[user.id] = Feed()
    phase = Phase(name, {user.id for user in users})
    env = clean_env()
    env.update(PEER_BOT_TOKEN=api.token, PEER_API_URL=api.base_url)
    if webhook is not None:
        env.update(PEER_WEBHOOK_URL=webhook.url, PEER_WEBHOOK_PORT=str(webhook.port),
                   PEER_WEBHOOK_SECRET=webhook.secret)  # fmt: skip
    api.meter.polled.clear()
    process = BotProcess(
        f"{name}-bot{'-webhook' if webhook else ''}",
        [sys.executable, str(ROOT / "bench" / peer.script)],
        env,
        workdir,
    )
    notes: list[str] = []
    series: list[Sample] = []
    stop = asyncio.Event()
    profiler: Profiler | None = None
    profile: dict[str, Any] | None = None
    try:
        await wait_ready(api, process, deadline, webhook)
        api.meter.sink, api.meter.phase = hub.sink, phase
        memory = asyncio.create_task(watch_memory(process, stop, series))
        surge = Surge(api, hub, phase, deadline, args)
        profiler = (
            Profiler(process.pid, args.out / f"latest-profile-{name}.txt") if args.profile else None
        )
        outcomes = await run_people(
            surge, process, [lambda u=u: peer.person(surge, u) for u in users], notes
        )
        profile = profiler.stop() if profiler else None
        stop.set()
        await memory
        process.sample()
        series.append(snapshot(process))
    finally:
        if profiler is not None and profile is None:
            profile = profiler.stop()
        api.meter.sink = api.meter.phase = None
        stop.set()
        process.sample()
        code = process.stop()
    result = PhaseResult(phase, outcomes, process.peak_kib, series, code, notes, profile=profile)
    result.webhook_answers = [call.at for call in api.webhook_replies()]
    return result


async def first_messages(
    api: MeteredApi, hub: Hub, process: BotProcess, deadline: float, base: int
) -> dict[str, Any]:
    """What a person's first message costs the bot against their second: `PROBE_PEOPLE` fresh
    people send /start one after the other (nothing else is sent meanwhile), then each again.
    CPU of the bot process per /start (from /proc, 10 ms ticks) and the time to its reply."""
    users = [
        api.user(base + n, language_code="en", first_name="Probe") for n in range(PROBE_PEOPLE)
    ]
    for user in users:
        hub.feeds[user.id] = Feed()
    figures: dict[str, Any] = {"people": len(users)}
    for label in ("first", "second"):
        latencies: list[float] = []
        process.sample()
        cpu_before = process.cpu_seconds
        for user in users:
            feed = hub.feeds[user.id]
            start = len(feed.events)
            user.send_command("/start")

            def replied(feed: Feed = feed, start: int = start) -> Event | None:
                return next(
                    (e for e in feed.events[start:] if e.method in REPLY_METHODS and not e.error),
                    None,
                )

            timeout = min(30.0, deadline - time.monotonic())
            try:
                event = await feed.wait(replied, timeout)
            except StepTimeout:
                figures[f"{label}_unanswered"] = figures.get(f"{label}_unanswered", 0) + 1
                continue
            enqueued = api.meter.last_enqueued.get(user.id, event.at)
            latencies.append((event.at - enqueued) * 1000)
        process.sample()
        spent = process.cpu_seconds - cpu_before
        figures[f"{label}_cpu_ms_per_start"] = round(spent * 1000 / len(users), 1)
        figures[f"{label}_reply_ms_median"] = (
            round(statistics.median(latencies), 1) if latencies else None
        )
    return figures


async def intake_phase(
    api: MeteredApi,
    args: argparse.Namespace,
    workdir: Path,
    deadline: float,
    target: Target,
    desk_side: DeskSide | None = None,
    webhook: Webhook | None = None,
    *,
    crowd: open_loop.Crowd | None = None,
) -> PhaseResult:
    """The real bot under the surge: one process (`--role all`), or with `desk_side` sealed
    mode's two, the intake (`--role intake`, people's bot, on `api`) and the desk (`--role desk`,
    volunteers' bot, on `desk_side.api`) sharing one database. With `crowd`, the open loop's
    people instead, who pause before every step; the volunteers then only receive the notices.
    With a `webhook` that has backends (`Webhook.balanced`), one process per backend, sharing the
    database, Redis and the webhook's secret, behind bench/balancer.py on the webhook's port."""
    balanced = webhook is not None and bool(webhook.backends)
    name = "intake" if desk_side is None else "sealed"
    name = "two_processes" if balanced else name
    name = crowd.name if crowd is not None else name
    hub = Hub(asyncio.get_running_loop())
    desk_hub = hub if desk_side is None else Hub(asyncio.get_running_loop())
    desk_api = api if desk_side is None else desk_side.api
    volunteers = [
        desk_api.user(VOLUNTEER_BASE + n + 1, language_code="en", first_name="Volunteer")
        for n in range(args.volunteers)
    ]
    base = INTAKE_PEOPLE_BASE if desk_side is None else SEALED_PEOPLE_BASE
    base += WEBHOOK_OFFSET * (2 if balanced else 1) if webhook else 0
    base, count = (crowd.base, crowd.people) if crowd is not None else (base, args.people)
    users = [api.user(base + n, language_code="en", first_name="Person") for n in range(count)]
    for user in volunteers:
        desk_hub.feeds[user.id] = Feed()
    for user in users:
        hub.feeds[user.id] = Feed()
    phase = Phase(name, {user.id for user in users})
    env = clean_env()
    env.update(
        INTAKE_BOT_TOKEN=api.token,
        INTAKE_API_URL=api.base_url,
        INTAKE_REDIS_URL=target.redis_url,
        INTAKE_DATABASE_URL=target.database_url,
        INTAKE_DATA_DIR=str(workdir / f"data-{name}"),
        INTAKE_MASTER_KEYS=generate_master_key(),
        INTAKE_ADMIN_IDS=",".join(str(v.id) for v in volunteers),
        INTAKE_HEALTH_PORT="0",
        INTAKE_FLOOD_BURST="10000",
        INTAKE_CASES_PER_HOUR_CAP="1000000000",
        INTAKE_LOG_LEVEL="INFO",
    )
    if webhook is not None:  # as tests/e2e/test_webhook_reply.py starts it
        env.update(INTAKE_WEBHOOK_URL=webhook.url, INTAKE_WEBHOOK_SECRET=webhook.secret,
                   INTAKE_WEBHOOK_PORT=str(webhook.port),
                   INTAKE_WEBHOOK_LISTEN="127.0.0.1")  # fmt: skip
    desk_env: dict[str, str] | None = None
    if desk_side is not None:
        desk_env = dict(env)
        del desk_env["INTAKE_MASTER_KEYS"]  # the desk holds no master key, only its own key
        desk_env.update(
            INTAKE_ROLE="desk",
            INTAKE_BOT_TOKEN=desk_side.api.token,
            INTAKE_API_URL=desk_side.api.base_url,
            INTAKE_DATA_DIR=str(workdir / "data-desk"),
            INTAKE_DESK_PRIVATE_KEY=desk_side.private_key,
        )
        del env["INTAKE_ADMIN_IDS"]  # volunteers work from the desk bot
        env.update(INTAKE_ROLE="intake", INTAKE_DESK_PUBLIC_KEY=desk_side.public_key)
    executable = Path(sys.executable).parent / "intake-bot"
    if not executable.exists():
        executable = ROOT / ".venv" / "bin" / "intake-bot"
    command = [str(executable), "run"]
    if args.dump_stuck:  # the same bot, plus a dump of its pending tasks on SIGUSR1
        command = [sys.executable, str(ROOT / "bench" / "bot_with_task_dump.py")]
    api.meter.polled.clear()
    label = "intake-bot" if desk_side is None else "sealed-intake-bot"
    label = f"{name.replace('_', '-')}-bot" if crowd is not None or balanced else label
    balancer: BotProcess | None = None
    balancer_series: list[Sample] = []
    if webhook is not None and balanced:
        balancer = start_balancer(webhook, workdir, name.replace("_", "-"))
        env["INTAKE_WEBHOOK_PORT"] = str(webhook.backends[0])
    process: BotProcess | BotProcesses = BotProcess(
        label + ("-webhook" if webhook else ""), command, env, workdir
    )
    desk_process: BotProcess | None = None
    each_cpu: list[float] = []
    notes: list[str] = []
    series: list[Sample] = []
    drafts: list[DraftSample] = []
    work = DeskWork()
    stop = asyncio.Event()
    people_done = asyncio.Event()
    outcomes: list[Outcome] = []
    profiler: Profiler | None = None
    profile: dict[str, Any] | None = None
    desk_cpu: float | None = None
    probe: dict[str, Any] | None = None
    try:
        # The intake first: it makes the schema (and in sealed mode publishes its delivery key).
        await wait_ready(api, process, deadline, webhook)
        if webhook is not None and balancer is not None:
            # The others once it has (each sets the same webhook again), then the balancer.
            group = BotProcesses([process])
            process = group
            for n, port in enumerate(webhook.backends[1:], start=2):
                member = BotProcess(f"{label}-{n}-webhook", command,
                                    {**env, "INTAKE_WEBHOOK_PORT": str(port)}, workdir)  # fmt: skip
                group.members.append(member)
                await wait_listening(member, port, deadline)
            await wait_listening(balancer, webhook.port, deadline)
        api.meter.sink = hub.sink
        if desk_side is not None and desk_env is not None:
            desk_side.api.meter.polled.clear()
            desk_process = BotProcess("desk-bot", [str(executable), "run"], desk_env, workdir)
            await wait_ready(desk_side.api, desk_process, deadline)
            desk_side.api.meter.sink = desk_hub.sink
        surge = Surge(api, hub, phase, deadline, args)
        desk_surge = (
            surge if desk_side is None else Surge(desk_api, desk_hub, phase, deadline, args)
        )
        # A volunteer is known to the desk from their first message: say hello before the surge.
        for helper in volunteers:
            await desk_command(
                desk_surge, helper, "/queue", lambda t: "queue" in t.lower() or "waiting" in t
            )
        api.meter.phase = phase
        memory = asyncio.create_task(watch_memory(process, stop, series))
        balancer_memory = (
            asyncio.create_task(watch_memory(balancer, stop, balancer_series))
            if balancer is not None
            else None
        )
        sampler = asyncio.create_task(watch_drafts(target.redis_url, people_done, drafts))
        desk = [
            asyncio.create_task(volunteer(desk_surge, v, people_done, work))
            for v in (volunteers if crowd is None else [])
        ]
        profiler = (
            Profiler(process.pid, args.out / f"latest-profile-{name}.txt") if args.profile else None
        )
        if desk_process is not None:
            desk_process.sample()
            desk_cpu = desk_process.cpu_seconds
        members = process.members if isinstance(process, BotProcesses) else []
        for member in members:
            member.sample()
        each_cpu = [member.cpu_seconds for member in members]
        rng = random.Random(20)  # which people say "urgent", reproducibly
        urgent_flags = [rng.random() < 0.1 for _ in users]
        outcomes = await run_people(
            surge,
            process,
            [
                lambda u=u, urgent=urgent: intake_person(
                    surge, u, urgent, crowd.pause_for(u) if crowd is not None else None
                )
                for u, urgent in zip(users, urgent_flags, strict=True)
            ],
            notes,
        )
        process.sample()
        series.append(snapshot(process))
        if balancer is not None:
            balancer_series.append(snapshot(balancer))
        if desk_process is not None and desk_cpu is not None:
            desk_process.sample()
            desk_cpu = desk_process.cpu_seconds - desk_cpu
        each_cpu = [member.cpu_seconds - cpu for member, cpu in zip(members, each_cpu, strict=True)]
        profile = profiler.stop() if profiler else None
        if args.dump_stuck and process.running() and not all(o.done for o in outcomes):
            process.send_signal(signal.SIGUSR1)  # where its tasks wait, into its log
        people_done.set()
        await sampler
        while desk and time.monotonic() < deadline and process.running():
            _, still = await asyncio.wait(desk, timeout=1.0)
            if not still:
                break
        for task in desk:
            task.cancel()
        await asyncio.gather(*desk, return_exceptions=True)
        if time.monotonic() >= deadline:
            notes.append("global timeout reached while volunteers were closing cases")
        stop.set()
        await memory
        if balancer_memory is not None:
            await balancer_memory
        if (
            args.sealed
            and not webhook
            and crowd is None
            and process.running()
            and time.monotonic() < deadline
        ):
            probe_base = PROBE_BASE if desk_side is None else PROBE_BASE + PROBE_PEOPLE
            probe = await first_messages(api, hub, process, deadline, probe_base)
    finally:
        if profiler is not None and profile is None:
            profile = profiler.stop()
        api.meter.sink = api.meter.phase = None
        if desk_side is not None:
            desk_side.api.meter.sink = None
        people_done.set()
        stop.set()
        process.sample()
        code = process.stop()
        desk_code = desk_process.stop() if desk_process is not None else None
        balancer_code = balancer.stop() if balancer is not None else None
    result = PhaseResult(
        phase, outcomes, process.peak_kib, series, code, notes,
        work if crowd is None else None, drafts, profile=profile,
    )  # fmt: skip
    result.first_messages = probe
    result.webhook_answers = [call.at for call in api.webhook_replies()]
    if desk_process is not None:
        result.desk_process = {
            "cpu_seconds_in_surge": None if desk_cpu is None else round(desk_cpu, 2),
            "peak_memory_mib": round(desk_process.peak_kib / 1024, 1),
            "exit_status": desk_code,
        }
        if desk_code not in (0, None):
            notes.append(f"desk-bot exit status {desk_code}; log tail:\n{tail(desk_process.log)}")
    if balancer is not None:
        members = process.members if isinstance(process, BotProcesses) else [process]
        result.processes = {
            "processes": len(members),
            "exit_status_each": [member.returncode for member in members],
            "peak_memory_mib_each": [round(m.peak_kib / 1024, 1) for m in members],
            "bot_cpu_seconds_each_in_surge": [round(cpu, 2) for cpu in each_cpu] or None,
            "updates_to_each_process": balancer_counts(workdir, name.replace("_", "-")),
            "balancer_series": balancer_series,
            "balancer_peak_memory_mib": round(balancer.peak_kib / 1024, 1),
            "balancer_exit_status": balancer_code,
        }
        if balancer_code not in (0, None):
            notes.append(f"balancer exit status {balancer_code}; log tail:\n{tail(balancer.log)}")
        for member in members:
            if member.returncode not in (0, None):
                notes.append(f"{member.name} exit status {member.returncode}; log tail:\n"
                             f"{tail(member.log)}")  # fmt: skip
    try:
        result.database = await asyncio.to_thread(target.inspect)
    except (ServerError, sqlite3.Error) as error:
        notes.append(f"could not read the database: {error}")
    if code not in (0, None) and not isinstance(process, BotProcesses):
        notes.append(f"{process.name} exit status {code}; log tail:\n{tail(process.log)}")
    return result


def pseudonym_cost() -> dict[str, Any]:
    """Sealed mode's memory-hard pseudonym: one uncached Argon2id per id, the median of a few
    (each the fastest of one), and what trying every Telegram id would cost at that rate."""
    seconds = statistics.median(cost_per_id_seconds(rounds=1) for _ in range(PSEUDONYM_ROUNDS))
    return {
        "pseudonym_ms_per_id": round(seconds * 1000, 1),
        "pseudonym_rounds": PSEUDONYM_ROUNDS,
        "cpu_years_to_try_every_id": round(years_to_try_every_id(seconds), 1),
        "ids_tried_for_that": 2**33,
    }


def keep_logs(workdir: Path, out: Path) -> None:
    """The bots' logs (no personal data by design) next to the results, for a failed run."""
    out.mkdir(parents=True, exist_ok=True)
    # Every bot's, in each mode and the open loop's, and the balancer's.
    for log in [*workdir.glob("*-bot*.log"), *workdir.glob("*-balancer.log")]:
        shutil.copyfile(log, out / f"latest-{log.name}")


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTAKE_", "PEER_"))}
    env["PTB_TIMEDELTA"] = "1"
    return env


def inspect_sqlite(path: Path) -> dict[str, Any]:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT reference, status FROM cases").fetchall()
    size = path.stat().st_size
    for extra in (Path(f"{path}-wal"), Path(f"{path}-journal")):
        if extra.exists():
            size += extra.stat().st_size
    return {"cases": rows, "bytes": size, "what": "SQLite file size (with any -wal)"}


def inspect_postgres(server: PostgresServer, database: str) -> dict[str, Any]:
    out = server.psql("SELECT reference || ' ' || status FROM cases", database)
    rows = [tuple(line.split(" ", 1)) for line in out.splitlines() if line.strip()]
    size = server.psql(
        "SELECT pg_total_relation_size('cases') + pg_total_relation_size('case_entries')", database
    )
    return {
        "cases": rows,
        "bytes": int(size.strip() or 0),
        "what": "pg_total_relation_size(cases) + pg_total_relation_size(case_entries)",
    }


# -------------------------------------------------------------------------------- main


async def run(
    args: argparse.Namespace,
    api: MeteredApi,
    workdir: Path,
    deadline: float,
    targets: dict[str, Target],
    results: dict[str, PhaseResult],
    notes: list[str],
    open_results: dict[int, open_loop.Run],
) -> None:
    for n, mode in enumerate(args.modes):
        # Each mode gets its share of the time left; each peer an equal share of its mode's
        # with two shares kept for the intake bot (a sixth each starved the slowest peer of a
        # 1000-person run); with --sealed the last single process gets at most half.
        mode_deadline = time.monotonic() + (deadline - time.monotonic()) / (len(args.modes) - n)
        prefix = "" if mode == "polling" else f"{mode}/"
        for i, name in enumerate(args.peers):
            remaining = mode_deadline - time.monotonic()
            shares = len(args.peers) - i + 2
            peer_deadline = min(mode_deadline, time.monotonic() + remaining / shares)
            webhook = Webhook.new() if mode == "webhook" else None
            results[prefix + name] = await peer_phase(
                api, args, workdir, peer_deadline, name, webhook
            )
            leftover = api.pending_updates()
            if leftover:
                notes.append(f"{leftover} {prefix}{name} updates were left for the next bot")
        last = n == len(args.modes) - 1
        intake_deadline = (
            min(mode_deadline, time.monotonic() + (mode_deadline - time.monotonic()) / 2)
            if args.sealed and last
            else mode_deadline
        )
        two = mode == "webhook" and args.two_processes  # then half of it each
        one_deadline = (
            time.monotonic() + (intake_deadline - time.monotonic()) / 2 if two else intake_deadline
        )
        webhook = Webhook.new() if mode == "webhook" else None
        results[prefix + "intake"] = await intake_phase(
            api, args, workdir, one_deadline, targets[prefix + "intake"], None, webhook
        )
        if two:
            leftover = api.pending_updates()
            if leftover:
                notes.append(f"{leftover} webhook/intake updates were left for two processes")
            results["two_processes"] = await intake_phase(
                api, args, workdir, intake_deadline, targets["two_processes"], None,
                Webhook.balanced(2),
            )  # fmt: skip
    if args.sealed:
        leftover = api.pending_updates()
        if leftover:
            notes.append(f"{leftover} intake updates were left unconfirmed for sealed mode")
        private, public = generate_desk_key_pair()
        desk_api = MeteredApi(callback_query_ttl=args.callback_ttl)
        desk_api.start()
        try:
            results["sealed"] = await intake_phase(
                api, args, workdir, deadline, targets["sealed"], DeskSide(desk_api, private, public)
            )
        finally:
            desk_api.stop()
    await open_loop.run_all(
        intake_phase, api, args, workdir, deadline, targets, open_results, notes
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1000, help="simulated people (default 1000)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--volunteers", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--timeout", type=float, default=2400, help="global limit in seconds")
    parser.add_argument(
        "--step-timeout",
        type=float,
        default=300,
        help="how long one person waits for one answer (s)",
    )
    parser.add_argument(
        "--callback-ttl",
        type=float,
        default=60.0,
        help="how long a button press may wait for its answer (s)",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="how often a person told 'something went wrong' tries the same step again",
    )
    parser.add_argument("--retry-pause", type=float, default=3.0, help="seconds before a retry")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="record both bots with py-spy during the surge (install py-spy into the venv first)",
    )
    parser.add_argument(
        "--dump-stuck",
        action="store_true",
        help="when people are left without an answer, write where the bot's tasks wait to its"
        " log (runs bench/bot_with_task_dump.py instead of intake-bot run)",
    )
    parser.add_argument(
        "--peers",
        default=",".join(PEERS),
        help=f"the peers to run before the intake bot, comma-separated (default {','.join(PEERS)})",
    )
    parser.add_argument("--no-echo", action="store_true", help="run no peer (as --peers '')")
    parser.add_argument(
        "--mode",
        choices=["polling", "webhook", "both"],
        default="both",
        help="how every bot takes its updates: long polling, a webhook, or both one after the"
        " other (default both)",
    )
    parser.add_argument(
        "--open-loop",
        type=open_loop.sizes,
        default=open_loop.DEFAULT_SIZES,
        help="then for each N, N people who pause before every step (default 100,300,1000;"
        ' "" or 0: none)',
    )
    parser.add_argument(
        "--pause",
        type=open_loop.pause_range,
        default=open_loop.DEFAULT_PAUSE,
        help="the open loop's pause before each step, MIN,MAX seconds (default 2,8)",
    )
    parser.add_argument(
        "--two-processes",
        action="store_true",
        help="in webhook mode, after the intake bot, the same surge against two intake-bot"
        " processes behind a round-robin balancer (bench/balancer.py), into two_processes",
    )
    parser.add_argument(
        "--sealed",
        action="store_true",
        help="then the same surge in sealed mode (an intake and a desk process, two bots) on a"
        " database of its own, and each mode's first-message cost",
    )
    args = parser.parse_args(argv)
    args.peers = [] if args.no_echo else [p for p in args.peers.split(",") if p]
    args.modes = ["polling", "webhook"] if args.mode == "both" else [args.mode]
    if args.two_processes and "webhook" not in args.modes:
        parser.error("--two-processes needs --mode webhook or both (only one process may poll)")
    if set(args.peers) - set(PEERS):
        parser.error(f"--peers: choose from {', '.join(PEERS)}")
    if not 1 <= args.people <= 20_000 or not 1 <= args.volunteers <= 50:
        parser.error("--people must be 1..20000 and --volunteers 1..50")
    args.out.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    deadline = began + args.timeout
    date = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    results: dict[str, PhaseResult] = {}
    open_results: dict[int, open_loop.Run] = {}
    notes: list[str] = []
    failure: str | None = None
    workdir = Path(tempfile.mkdtemp(prefix="intake-surge-"))
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        cleanup.callback(keep_logs, workdir, args.out)
        try:
            binary = redis_binary()
            if binary is None:
                raise ServerError("redis-server is not installed (apt-get install redis-server)")
            redis_server = RedisServer(binary, workdir, start_timeout=START_TIMEOUT)
            cleanup.callback(redis_server.stop)
            redis_server.start()
            redis_urls = {
                "intake": redis_server.url,
                "sealed": redis_server.url.rsplit("/", 1)[0] + "/1",
                "webhook/intake": redis_server.url.rsplit("/", 1)[0] + "/2",
                "two_processes": redis_server.url.rsplit("/", 1)[0] + f"/{TWO_PROCESSES_REDIS_DB}",
                **open_loop.redis_urls(redis_server.url, args.open_loop),
            }
            names = [("" if mode == "polling" else f"{mode}/") + "intake" for mode in args.modes]
            names += ["two_processes"] if args.two_processes else []
            names += ["sealed"] if args.sealed else []
            names += [open_loop.target_name(n) for n in args.open_loop]
            targets: dict[str, Target] = {}
            if args.database == "postgresql":
                bindir = postgres_bindir()
                if bindir is None:
                    raise ServerError(
                        "PostgreSQL (initdb, pg_ctl) is not installed (apt-get install postgresql)"
                    )
                postgres = PostgresServer(
                    bindir, prefix="intake-surge-pg-", start_timeout=START_TIMEOUT
                )
                cleanup.callback(postgres.stop)
                postgres.start()
                for name in names:
                    database = "surge" if name == "intake" else f"surge_{name.split('/')[0]}"
                    postgres.psql(f'CREATE DATABASE "{database}"')
                    targets[name] = Target(
                        postgres.url_for(database),
                        redis_urls[name],
                        lambda database=database: inspect_postgres(postgres, database),
                    )
            else:
                for name in names:
                    path = workdir / (
                        "intake.db" if name == "intake" else f"{name.split('/')[0]}.db"
                    )
                    targets[name] = Target(
                        f"sqlite:///{path}",
                        redis_urls[name],
                        lambda path=path: inspect_sqlite(path),
                    )

            api = MeteredApi(callback_query_ttl=args.callback_ttl)
            api.start()
            cleanup.callback(api.stop)
            asyncio.run(
                run(
                    args,
                    api,
                    workdir,
                    deadline,
                    targets,
                    results,
                    notes,
                    open_results,
                )
            )
        except ServerError as error:
            failure = str(error)
        except KeyboardInterrupt:
            failure = "interrupted"
    title = (
        f"surge: {args.people} people, {args.database}, {args.volunteers} volunteers · "
        f"{os.cpu_count()} cpu · {date}"
    )
    report = build_report(
        args, results, notes, date, time.monotonic() - began, failure, pseudonym_cost()
    )
    open_loop.add_to(report, open_results, args)
    (args.out / "latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    try:
        plot(args.out / "latest.png", results, title)
        figure = f" and {args.out / 'latest.png'}"
    except ImportError:
        figure = " (no figure: matplotlib is missing; pip install -e '.[bench]')"
    print(table(report))  # noqa: T201
    print(open_loop.table(report["open_loop"]))  # noqa: T201
    for note in report["notes"]:
        print(f"note: {note}")  # noqa: T201
    print(f"wrote {args.out / 'latest.json'}{figure}")  # noqa: T201
    return 1 if (failure or report["partial"]) else 0


if __name__ == "__main__":
    sys.exit(main())
