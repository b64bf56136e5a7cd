"""Open drafts and memory: many people start the questionnaire, answer its first steps and pause.

    .venv/bin/python bench/drafts.py [--drafts 10000] [--database sqlite|postgresql]
                                     [--steps 4] [--out bench/results] [--timeout 2400]
                                     [--tracemalloc]

What it starts (and always stops again), as surge.py's intake phase does: a throwaway
redis-server, PostgreSQL when asked, the metered local Bot API server in this process and
``intake-bot run`` in its own process (a fresh master key, ``INTAKE_FLOOD_BURST=10000``,
everything else default). The bot is first left idle for a few seconds; then N people at once
each send /start and answer the first ``--steps`` steps of the questionnaire in English (4: the
language, the consent and the first question after it, "Who needs help?"), each waiting for the
next screen, and then never write again: N open drafts.

Measured: the bot's VmRSS and VmHWM (peak) from /proc while idle and after every draft is open
(and a few seconds later), Redis ``used_memory`` before and after, ``MEMORY USAGE key SAMPLES 0``
of every ``*:draft:*`` key (averaged) and the other keys the people left, and the time from the
first /start to the last person's paused screen. Writes ``<out>/drafts-<N>.json``
(``drafts-<N>-postgresql.json`` on PostgreSQL). With ``--tracemalloc`` the bot runs through
``bench/bot_with_tracemalloc.py`` and writes where its live Python memory was allocated (code
locations only) when a quarter of the drafts are open (``<out>/drafts-<N>-tracemalloc-early.txt``)
and after all are (``<out>/drafts-<N>-tracemalloc.txt``).

Not part of the test suite (a 50-person run is, tests/integration/test_drafts_bench.py); see
"Open drafts and memory" in bench/README.md for the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/drafts.py`: import from the repository root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

try:
    import redis

    from bench.metered import MeteredApi, Phase
    from bench.observe import Sample, watch_memory
    from bench.people import INTAKE_STEPS, Feed, Hub, Outcome, Surge, take_steps
    from bench.processes import ROOT, START_TIMEOUT, BotProcess
    from bench.report import latency_summary, machine_info
    from bench.surge import clean_env, run_people, wait_ready
    from storage.crypto import generate_master_key
    from tests.support.servers import (
        PostgresServer,
        RedisServer,
        ServerError,
        postgres_bindir,
        redis_binary,
        tail,
    )
except ImportError as missing:  # pragma: no cover - a hint for the wrong interpreter
    sys.exit(f"drafts.py: {missing}; run it with the project's venv: .venv/bin/python {__file__}")

PEOPLE_BASE = 7_500_000  # apart from surge.py's people
MIB = 1024 * 1024
# A key's id parts (pseudonyms, numbers) folded away, so keys are counted by kind.
_ID_PART = re.compile(r"^[0-9a-f]{16,}$|^-?[0-9]+$|^[A-Za-z0-9_-]{20,}$")


def memory_mib(process: BotProcess) -> dict[str, float]:
    process.sample()
    return {
        "rss_mib": round(process.rss_kib / 1024, 1),
        "peak_mib": round(process.peak_kib / 1024, 1),
    }


def key_kind(key: bytes) -> str:
    parts = key.decode(errors="replace").split(":")
    return ":".join("*" if _ID_PART.match(part) else part for part in parts)


def redis_figures(url: str) -> dict[str, Any]:
    """used_memory, the keys by kind and MEMORY USAGE (exact, SAMPLES 0) of every key, averaged
    per kind (the drafts' is the figure asked for; the rest is what else a paused person holds)."""
    client = redis.Redis.from_url(url, socket_timeout=30)
    try:
        keys = list(client.scan_iter(count=1000))
        sizes: list[Any] = []
        for start in range(0, len(keys), 1000):
            pipe = client.pipeline(transaction=False)
            for key in keys[start : start + 1000]:
                pipe.memory_usage(key, samples=0)
            sizes.extend(pipe.execute())
        by_kind: dict[str, list[int]] = {}
        for key, size in zip(keys, sizes, strict=True):
            if isinstance(size, int):
                by_kind.setdefault(key_kind(key), []).append(size)
        info = client.info("memory")
        clients = client.info("clients")
        drafts = [size for kind, found in by_kind.items() if ":draft:" in kind for size in found]
        return {
            "used_memory": int(info.get("used_memory", 0)),
            "used_memory_dataset": int(info.get("used_memory_dataset", 0)),
            "used_memory_overhead": int(info.get("used_memory_overhead", 0)),
            "connected_clients": int(clients.get("connected_clients", 0)),
            "keys": len(keys),
            "keys_by_kind": {
                kind: {"keys": len(found), "memory_usage_mean": round(statistics.fmean(found))}
                for kind, found in sorted(by_kind.items(), key=lambda item: -len(item[1]))
            },
            "draft_keys": len(drafts),
            "draft_bytes_mean": round(statistics.fmean(drafts)) if drafts else None,
            "draft_bytes_max": max(drafts, default=None),
        }
    finally:
        client.close()


async def open_drafts(
    args: argparse.Namespace, workdir: Path, deadline: float, database_url: str, redis_url: str
) -> dict[str, Any]:
    api = MeteredApi(callback_query_ttl=args.callback_ttl)
    api.start()
    hub = Hub(asyncio.get_running_loop())
    users = [api.user(PEOPLE_BASE + n, language_code="en", first_name="Person")
             for n in range(args.drafts)]  # fmt: skip
    for user in users:
        hub.feeds[user.id] = Feed()
    phase = Phase("drafts", {user.id for user in users})
    env = clean_env()
    env.update(
        INTAKE_BOT_TOKEN=api.token,
        INTAKE_API_URL=api.base_url,
        INTAKE_REDIS_URL=redis_url,
        INTAKE_DATABASE_URL=database_url,
        INTAKE_DATA_DIR=str(workdir / "data"),
        INTAKE_MASTER_KEYS=generate_master_key(),
        INTAKE_HEALTH_PORT="0",
        INTAKE_FLOOD_BURST="10000",
        INTAKE_CASES_PER_HOUR_CAP="1000000000",
        INTAKE_LOG_LEVEL="INFO",
    )
    executable = Path(sys.executable).parent / "intake-bot"
    if not executable.exists():
        executable = ROOT / ".venv" / "bin" / "intake-bot"
    command = [str(executable), "run"]
    if args.tracemalloc:
        command = [sys.executable, str(ROOT / "bench" / "bot_with_tracemalloc.py")]
    process = BotProcess("intake-bot", command, env, workdir)
    figures: dict[str, Any] = {
        "people": args.drafts,
        "at_once": args.at_once or args.drafts,
        "steps": [v for _, v, _ in args.step_list],
    }
    notes: list[str] = figures.setdefault("notes", [])
    series: list[Sample] = []
    stop = asyncio.Event()
    try:
        await wait_ready(api, process, deadline)
        await asyncio.sleep(args.idle)  # the idle bot: started, polling, nobody has written
        figures["idle"] = memory_mib(process)
        before = await asyncio.to_thread(redis_figures, redis_url)
        api.meter.sink, api.meter.phase = hub.sink, phase
        memory = asyncio.create_task(watch_memory(process, stop, series))
        surge = Surge(api, hub, phase, deadline, args)
        began = time.monotonic()
        progress = Progress(
            max(1, args.drafts // 4), asyncio.Semaphore(args.at_once or args.drafts)
        )
        early: asyncio.Task[dict[str, Any]] | None = None
        if args.tracemalloc:  # the pending updates are most when the fewest drafts are open
            early = asyncio.create_task(
                dump_when(progress, process, args.out / trace_name(args, "-early"))
            )
        outcomes = await run_people(
            surge,
            process,
            [lambda u=u: pause_after_steps(surge, u, args.step_list, progress) for u in users],
            notes,
        )
        opened_in = time.monotonic() - began
        if early is not None and progress.reached.is_set():
            figures["tracemalloc_early"] = await early
        elif early is not None:
            early.cancel()
        figures["all_open"] = memory_mib(process)
        await asyncio.sleep(args.settle)  # nothing is sent now: what the paused drafts hold
        figures["settled"] = memory_mib(process)
        figures["settle_seconds"] = args.settle
        stop.set()
        await memory
        after = await asyncio.to_thread(redis_figures, redis_url)
        if args.tracemalloc and process.running():
            figures["tracemalloc"] = await dump_tracemalloc(
                process, args.out / trace_name(args, "")
            )
    finally:
        api.meter.sink = api.meter.phase = None
        stop.set()
        process.sample()
        code = process.stop()
        api.stop()
    opened = sum(1 for o in outcomes if o.done)
    failures = Counter((o.failed_at or "?").split(" (")[0] for o in outcomes if not o.done)
    delta = after["used_memory"] - before["used_memory"]
    figures.update(
        opened=opened,
        failed=dict(failures.most_common(10)),
        people_told_something_went_wrong=sum(1 for o in outcomes if o.errors),
        seconds_to_open_all=round(opened_in, 1),
        updates_delivered=len(phase.delivered),
        updates_per_second=round(len(phase.delivered) / opened_in, 1) if opened_in else None,
        next_screen_ms=latency_summary(phase.screen_latencies),
        bot_api_calls=dict(phase.calls.most_common()),
        peak_memory_mib=round(process.peak_kib / 1024, 1),
        peak_memory_goal_mib=150,
        rss_series_mib=[[round(s.at - series[0].at, 1), round(s.rss_kib / 1024, 1)]
                        for s in series[:: max(1, len(series) // 200)]] if series else [],
        redis_before=before,
        redis_after=after,
        redis_used_memory_delta=delta,
        redis_bytes_per_draft_used_memory=round(delta / opened) if opened else None,
        redis_bytes_per_draft_memory_usage=after["draft_bytes_mean"],
        exit_status=code,
    )  # fmt: skip
    if code not in (0, None):
        notes.append(f"intake-bot exit status {code}; log tail:\n{tail(process.log)}")
    return figures


@dataclass
class Progress:
    quarter: int
    at_once: asyncio.Semaphore
    opened: int = 0
    reached: asyncio.Event = field(default_factory=asyncio.Event)


async def pause_after_steps(
    surge: Surge, user: Any, steps: list[tuple[str, str, str]], progress: Progress
) -> Outcome:
    """The first `steps` of an intake, then nothing: the draft stays open."""
    outcome = Outcome()
    async with progress.at_once:
        screen = await take_steps(surge, user, steps, False, outcome)
    if screen is not None:
        outcome.done = True
        outcome.finished_at = surge.meter.now()
        progress.opened += 1
        if progress.opened >= progress.quarter:
            progress.reached.set()
    return outcome


async def dump_when(progress: Progress, process: BotProcess, out: Path) -> dict[str, Any]:
    """The tracemalloc report once a quarter of the drafts are open (mid-surge)."""
    await progress.reached.wait()
    return await dump_tracemalloc(process, out)


def trace_name(args: argparse.Namespace, when: str) -> str:
    return f"{result_name(args)}-tracemalloc{when}.txt"


def result_name(args: argparse.Namespace) -> str:
    suffix = "" if args.database == "sqlite" else f"-{args.database}"
    if args.at_once and args.at_once < args.drafts:
        suffix += f"-at-once-{args.at_once}"
    return f"drafts-{args.drafts}{suffix}"


async def dump_tracemalloc(process: BotProcess, out: Path) -> dict[str, Any]:
    """SIGUSR2 to bench/bot_with_tracemalloc.py: it writes its report to the log; keep that."""
    mark = process.log.stat().st_size
    process.process.send_signal(signal.SIGUSR2)
    for _ in range(600):  # a snapshot of a big heap takes a while
        await asyncio.sleep(0.5)
        report = await asyncio.to_thread(read_report, process.log, mark)
        if report is not None:
            await asyncio.to_thread(out.write_text, report)
            traced = re.search(r"traced now (\d+) bytes, peak (\d+) bytes", report)
            return {
                "file": out.name,
                "traced_mib": round(int(traced[1]) / MIB, 1) if traced else None,
                "traced_peak_mib": round(int(traced[2]) / MIB, 1) if traced else None,
            }
    return {"error": "no tracemalloc report within 300 s"}


def read_report(log: Path, mark: int) -> str | None:
    text = log.read_bytes()[mark:].decode(errors="replace")
    begin, end = text.find("tracemalloc report\n"), text.find("end of tracemalloc report\n")
    return text[begin:end] if begin >= 0 and end > begin else None


def table(figures: dict[str, Any]) -> str:
    def mib(section: str, key: str) -> str:
        return str((figures.get(section) or {}).get(key, "-"))

    rows = [
        ("drafts opened", f"{figures.get('opened', 0)} of {figures.get('people')}"),
        ("idle bot: RSS / peak, MiB", f"{mib('idle', 'rss_mib')} / {mib('idle', 'peak_mib')}"),
        ("all open: RSS / peak, MiB",
         f"{mib('all_open', 'rss_mib')} / {mib('all_open', 'peak_mib')}"),
        (f"{figures.get('settle_seconds')} s later: RSS, MiB", mib("settled", "rss_mib")),
        ("peak RSS (goal <= 150 MiB)", str(figures.get("peak_memory_mib"))),
        ("Redis used_memory delta, bytes", str(figures.get("redis_used_memory_delta"))),
        ("Redis bytes per draft (delta / N)",
         str(figures.get("redis_bytes_per_draft_used_memory"))),
        ("Redis bytes per draft (MEMORY USAGE)",
         str(figures.get("redis_bytes_per_draft_memory_usage"))),
        ("seconds to open all", str(figures.get("seconds_to_open_all"))),
    ]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drafts", type=int, default=10_000, help="people (default 10000)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--steps",
        type=int,
        default=4,
        help="steps each person takes before pausing (4: up to answering the first question)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--timeout", type=float, default=2400, help="global limit in seconds")
    parser.add_argument("--step-timeout", type=float, default=900,
                        help="how long one person waits for one screen (s)")  # fmt: skip
    parser.add_argument("--callback-ttl", type=float, default=900.0,
                        help="how long a button press may wait for its answer (s)")  # fmt: skip
    parser.add_argument(
        "--at-once",
        type=int,
        default=0,
        help="at most this many people taking their steps at the same time (default: all)",
    )
    parser.add_argument("--retries", type=int, default=2)
    parser.add_argument("--retry-pause", type=float, default=3.0)
    parser.add_argument("--idle", type=float, default=5.0, help="seconds idle before the people")
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds to wait, then measure again")  # fmt: skip
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="run the bot through bench/bot_with_tracemalloc.py and keep where its memory went",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.drafts <= 50_000:
        parser.error("--drafts must be 1..50000")
    if not 1 <= args.steps <= len(INTAKE_STEPS) - 1:
        parser.error(f"--steps must be 1..{len(INTAKE_STEPS) - 1} (the last one submits)")
    args.step_list = INTAKE_STEPS[: args.steps]
    args.out.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    deadline = began + args.timeout
    date = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    figures: dict[str, Any] = {}
    failure: str | None = None
    workdir = Path(tempfile.mkdtemp(prefix="intake-drafts-"))
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        cleanup.callback(keep_log, workdir, args)
        try:
            binary = redis_binary()
            if binary is None:
                raise ServerError("redis-server is not installed (apt-get install redis-server)")
            redis_server = RedisServer(binary, workdir, start_timeout=START_TIMEOUT)
            cleanup.callback(redis_server.stop)
            redis_server.start()
            if args.database == "postgresql":
                bindir = postgres_bindir()
                if bindir is None:
                    raise ServerError("PostgreSQL (initdb, pg_ctl) is not installed")
                postgres = PostgresServer(
                    bindir, prefix="intake-drafts-pg-", start_timeout=START_TIMEOUT
                )
                cleanup.callback(postgres.stop)
                postgres.start()
                postgres.psql('CREATE DATABASE "drafts"')
                database_url = postgres.url_for("drafts")
            else:
                database_url = f"sqlite:///{workdir / 'intake.db'}"
            figures = asyncio.run(
                open_drafts(args, workdir, deadline, database_url, redis_server.url)
            )
        except ServerError as error:
            failure = str(error)
        except KeyboardInterrupt:
            failure = "interrupted"
    report = {
        "benchmark": "drafts",
        "date": date,
        "database": args.database,
        "machine": machine_info(),
        "failure": failure,
        "seconds": round(time.monotonic() - began, 1),
        **figures,
    }
    out = args.out / f"{result_name(args)}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(table(report))  # noqa: T201
    for note in report.get("notes", []):
        print(f"note: {note}")  # noqa: T201
    if failure:
        print(f"failed: {failure}")  # noqa: T201
    print(f"wrote {out}")  # noqa: T201
    return 1 if failure or report.get("opened") != args.drafts else 0


def keep_log(workdir: Path, args: argparse.Namespace) -> None:
    """The bot's log (no personal data by design) next to the results."""
    log = workdir / "intake-bot.log"
    if log.exists():
        shutil.copyfile(log, args.out / f"{result_name(args)}-intake-bot.log")


if __name__ == "__main__":
    sys.exit(main())
