"""Latency at a human pace: the surge benchmark's open loop.

The closed-loop surge (bench/surge.py) has every person tap again the moment the next question
is shown, so it measures capacity. Here N people fill in the same questionnaire (the steps of
``intake_person``, retries included) but each pauses a random ``--pause MIN,MAX`` seconds (2 to
8) before every step, as a person reads and thinks; the first pause is drawn from 0 to MAX, so
the people start spread over one pause instead of all at once. The pauses are seeded by the
person's id: the same invocation draws the same pauses. What a person waits for is measured as
in the surge: from the update enqueued at the local server to the call that shows the next
question (``next_screen_ms``).

Each N runs against a bot of its own, started and stopped by ``intake_phase`` (the surge's
machinery): a fresh process, a SQLite file or PostgreSQL database of its own and a Redis
database of its own, so every N starts from the same state and its cases, CPU and memory are its
own. The volunteers are known to the bot (each submission notifies them) but do not loop
``/take``: at this pace their closed loop would be most of the load, so the queue just fills up.

Everything here is driven by bench/surge.py: ``--open-loop N,N,...`` (100,300,1000; ``""`` or
``0`` for none) after the closed-loop surge, ``--pause MIN,MAX`` (2,8).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bench.metered import MeteredApi
from bench.report import PhaseResult, check_cases, draft_summary, summarize
from localapi import FakeUser

DEFAULT_SIZES = "100,300,1000"
DEFAULT_PAUSE = "2,8"
BASE = 7_500_000  # people's ids: each N its own million, apart from the surge's and the probe's
MAX_SIZES = 10  # Redis databases 2..11 (0 is the surge's, 1 sealed mode's)
SEED = 16


def sizes(text: str) -> list[int]:
    """``--open-loop``: "100,300,1000"; "" or "0" runs none."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    try:
        values = [int(part) for part in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if values == [0]:
        return []
    if any(not 1 <= n <= 20_000 for n in values) or len(set(values)) != len(values):
        raise argparse.ArgumentTypeError("each N must be 1..20000, and each only once")
    if len(values) > MAX_SIZES:
        raise argparse.ArgumentTypeError(f"at most {MAX_SIZES} sizes")
    return values


def pause_range(text: str) -> tuple[float, float]:
    """``--pause``: "MIN,MAX" in seconds."""
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not MIN,MAX: {text!r}") from None
    if not 0 <= low <= high:
        raise argparse.ArgumentTypeError("need 0 <= MIN <= MAX")
    return low, high


def target_name(people: int) -> str:
    return f"open_loop_{people}"


def redis_urls(surge_url: str, people: list[int]) -> dict[str, str]:
    """A Redis database of its own for each N (the surge's is 0, sealed mode's 1, webhook
    mode's 2)."""
    server = surge_url.rsplit("/", 1)[0]
    return {target_name(n): f"{server}/{3 + i}" for i, n in enumerate(people)}


@dataclass
class Crowd:
    """One open-loop run: who the people are and how long each pauses before a step."""

    people: int
    base: int
    pause: tuple[float, float]

    @property
    def name(self) -> str:
        return target_name(self.people)

    def pause_for(self, user: FakeUser) -> Callable[[], Awaitable[None]]:
        """A person's pauses, the same in every run (seeded by their id); the first from 0."""
        rng = random.Random(SEED * 100_000_000 + user.id)
        low, high = self.pause
        steps = 0

        async def pause() -> None:
            nonlocal steps
            await asyncio.sleep(rng.uniform(0.0, high) if steps == 0 else rng.uniform(low, high))
            steps += 1

        return pause


@dataclass
class Run:
    """One N's result, with the machine's load average (1 min) before and after it: this
    benchmark shares its cores, and a busy machine shows in every figure."""

    result: PhaseResult
    load_before: float
    load_after: float


class PhaseRunner(Protocol):
    """bench/surge.py's ``intake_phase`` (passed in: that module imports this one)."""

    def __call__(
        self,
        api: MeteredApi,
        args: argparse.Namespace,
        workdir: Any,
        deadline: float,
        target: Any,
        *,
        crowd: Crowd,
    ) -> Awaitable[PhaseResult]: ...


async def run_all(
    intake_phase: PhaseRunner,
    api: MeteredApi,
    args: argparse.Namespace,
    workdir: Any,
    deadline: float,
    targets: dict[str, Any],
    results: dict[int, Run],
    notes: list[str],
) -> None:
    """Every N of ``--open-loop`` one after the other, each against a fresh bot."""
    for index, people in enumerate(args.open_loop):
        if time.monotonic() >= deadline:
            notes.append(f"open loop {people}: not run, the global timeout was reached")
            continue
        crowd = Crowd(people, BASE + index * 1_000_000, args.pause)
        load_before = round(os.getloadavg()[0], 2)
        result = await intake_phase(api, args, workdir, deadline, targets[crowd.name], crowd=crowd)
        results[people] = Run(result, load_before, round(os.getloadavg()[0], 2))
        leftover = api.pending_updates()
        if leftover:
            notes.append(f"open loop {people}: {leftover} updates were left unconfirmed")


def add_to(report: dict[str, Any], results: dict[int, Run], args: argparse.Namespace) -> None:
    """``open_loop`` in latest.json: per N, what people waited for and whether all finished;
    their notes join the report's, and an unfinished person or a lost case makes it partial."""
    out: dict[str, Any] = {"pause_seconds": list(args.pause), "sizes": list(args.open_loop)}
    for people, run in results.items():
        result = run.result
        summary = summarize(result)
        summary.update(check_cases(result))
        screen = summary["screen_latency_ms"]
        out[str(people)] = {
            "next_screen_ms": {
                "p50": screen["p50"],
                "p95": screen["p95"],
                "p99": screen["p99"],
                "max": screen["max"],
                "count": screen["n"],
            },
            "reply_latency_ms": summary["reply_latency_ms"],
            "people": summary["people"],
            "completed": summary["completed"],
            "failed": summary["failed"],
            "people_left_without_an_answer": summary["people_left_without_an_answer"],
            "people_told_something_went_wrong": summary["people_told_something_went_wrong"],
            "people_sent_later_by_the_outbox": summary["people_sent_later_by_the_outbox"],
            "failures": summary["failures"],
            "references_received": summary.get("references_received"),
            "cases_in_database": summary.get("cases_in_database"),
            "cases_lost": summary.get("cases_lost"),
            "cases_duplicated": summary.get("cases_duplicated"),
            "cases_waiting_in_the_queue": (summary.get("case_status") or {}).get("waiting"),
            "wall_seconds": summary["wall_seconds"],
            "updates_delivered": summary["updates_delivered"],
            "updates_per_second": summary["updates_per_second"],
            "bot_cpu_ms_per_update": summary["bot_cpu_ms_per_update"],
            "bot_cpu_ms_per_call": summary["bot_cpu_ms_per_call"],
            "bot_calls_per_update": summary["bot_calls_per_update"],
            "bot_cpu_share_of_one_core": summary["bot_cpu_share_of_one_core"],
            "harness_cpu_share_of_one_core": summary["harness_cpu_share_of_one_core"],
            "peak_memory_mib": summary["peak_memory_mib"],
            **draft_summary(result.drafts),
            "next_screen_ms_by_step": {
                step: {"p50": figures["p50"], "p99": figures["p99"]}
                for step, figures in summary["screen_latency_ms_by_step"].items()
            },
            "exit_status": summary["exit_status"],
            "load_average_1min_before_after": [run.load_before, run.load_after],
        }
        report["notes"].extend(f"{result.phase.name}: {note}" for note in result.notes)
        entry = out[str(people)]
        stopped = any("timeout" in note or "exited" in note for note in result.notes)
        if entry["failed"] or entry["cases_lost"] or entry["cases_duplicated"] or stopped:
            report["partial"] = True
    if len(results) < len(args.open_loop):
        report["partial"] = True
    report["open_loop"] = out


def table(section: dict[str, Any]) -> str:
    """One line per N for the printed table."""
    lines = []
    for people in section.get("sizes", []):
        entry = section.get(str(people))
        if entry is None:
            lines.append(f"open loop, {people} people: not run")
            continue
        screen = entry["next_screen_ms"]
        lines.append(
            f"open loop, {people} people (pause {section['pause_seconds'][0]:g}-"
            f"{section['pause_seconds'][1]:g} s): next screen p50/p95/p99/max "
            f"{screen['p50']} / {screen['p95']} / {screen['p99']} / {screen['max']} ms "
            f"(n {screen['count']}); completed {entry['completed']} of {entry['people']}; "
            f"cases lost/duplicated {entry['cases_lost']} / {entry['cases_duplicated']}; "
            f"bot CPU {entry['bot_cpu_ms_per_update']} ms per update, "
            f"{entry['bot_cpu_share_of_one_core']} of a core; machine load "
            f"{' to '.join(str(x) for x in entry['load_average_1min_before_after'])}"
        )
    return "\n".join(lines)
