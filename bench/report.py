"""From measurements to figures: the JSON report, the table and the plot."""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import subprocess
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.metered import CHAT_SCOPED, Phase
from bench.observe import DraftSample, Sample
from bench.people import INTAKE_STEPS, PEER_CALLS, DeskWork, Outcome
from bench.processes import ROOT

PEER_NAMES = tuple(PEER_CALLS)


@dataclass
class PhaseResult:
    phase: Phase
    outcomes: list[Outcome]
    peak_kib: int
    rss_series: list[Sample]
    exit_code: int | None
    notes: list[str] = field(default_factory=list)
    desk: DeskWork | None = None
    drafts: list[DraftSample] = field(default_factory=list)
    database: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, Any] | None = None
    first_messages: dict[str, Any] | None = None  # `--sealed`: the first-message probe
    desk_process: dict[str, Any] | None = None  # sealed mode: the desk bot's own process
    # When the server ran methods webhook answers carried (bot.webhook_reply): not HTTP calls.
    webhook_answers: list[float] = field(default_factory=list)
    # The two-process phase: each process's figures and the balancer's (bench/surge.py).
    processes: dict[str, Any] | None = None


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(points: list[tuple[float, float]]) -> dict[str, Any]:
    values = [latency * 1000 for _, latency in points]
    return {
        "n": len(values),
        **{f"p{p}": _round(percentile(values, p)) for p in (50, 95, 99)},
        "max": _round(max(values) if values else None),
    }


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def bins(times: Iterable[float], start: float, width: float) -> list[list[float]]:
    counts: Counter[int] = Counter(int((t - start) // width) for t in times if t >= start)
    if not counts:
        return []
    return [[i * width, counts.get(i, 0) / width] for i in range(max(counts) + 1)]


def latency_bins(points: list[tuple[float, float]], start: float, width: float) -> list[list[Any]]:
    grouped: dict[int, list[float]] = {}
    for at, latency in points:
        grouped.setdefault(int((at - start) // width), []).append(latency * 1000)
    return [
        [i * width, _round(percentile(v, 50)), _round(percentile(v, 95)), len(v)]
        for i, v in sorted(grouped.items())
    ]


def bracket(series: list[Sample], start: float, end: float) -> tuple[Sample, Sample] | None:
    """The samples that bracket the surge (taken at least every 0.5 s), or None."""
    if not series:
        return None
    before = [row for row in series if row[0] <= start] or series[:1]
    after = [row for row in series if row[0] >= end] or series[-1:]
    first, last = before[-1], after[0]
    return (first, last) if last.at > first.at else None


def summarize(result: PhaseResult) -> dict[str, Any]:
    phase = result.phase
    start = phase.started_at
    end = phase.ended_at
    wall = (end - start) if (start is not None and end is not None) else None
    in_window = [
        t for t in phase.delivered if start is not None and end is not None and start <= t <= end
    ]
    done = [o for o in result.outcomes if o.done]
    cpu = share = harness = harness_cpu = None
    bracketed = (
        bracket(result.rss_series, start, end) if start is not None and end is not None else None
    )
    if bracketed is not None:
        # CPU time between the samples that bracket the surge.
        first, last = bracketed
        span = last.at - first.at
        cpu = round(last.cpu_seconds - first.cpu_seconds, 2)
        share = round(cpu / span, 2)
        harness_cpu = round(last.harness_cpu_seconds - first.harness_cpu_seconds, 2)
        harness = round(harness_cpu / span, 2)
    scoped = sum(count for method, count in phase.calls.items() if method in CHAT_SCOPED)

    # Bot API calls other than getUpdates made in the same window as the updates counted.
    def window(times: Iterable[float]) -> int:
        if start is None or end is None:
            return 0
        return sum(1 for at in times if start <= at <= end)

    # The server tells the bench of a method a webhook answer carried like of a call: count it
    # apart, as one outgoing call fewer.
    answers = window(result.webhook_answers)
    calls = window(at for at, _ in phase.call_times) - answers
    summary: dict[str, Any] = {
        "people": len(result.outcomes),
        "completed": len(done),
        "failed": len(result.outcomes) - len(done),
        "people_left_without_an_answer": sum(1 for o in result.outcomes if o.unanswered),
        "people_told_something_went_wrong": sum(1 for o in result.outcomes if o.errors),
        "people_sent_later_by_the_outbox": sum(1 for o in result.outcomes if o.kept_for_later),
        "something_went_wrong_replies": sum(o.errors for o in result.outcomes),
        "failures": Counter(
            f"{o.failed_at}; last screen: {o.last_screen!r}" for o in result.outcomes if not o.done
        ).most_common(5),
        "wall_seconds": _round(wall, 2),
        "updates_delivered": len(in_window),
        "person_updates_sent": phase.person_updates,
        "updates_per_second": _round(len(in_window) / wall, 1) if wall else None,
        "completed_per_second": _round(len(done) / wall, 2) if wall else None,
        "reply_latency_ms": latency_summary(phase.reply_latencies),
        "screen_latency_ms": latency_summary(phase.screen_latencies),
        "screen_latency_ms_by_step": {
            step: latency_summary([(0.0, x) for x in values])
            for step, values in phase.step_latencies.items()
        },
        "peak_memory_mib": round(result.peak_kib / 1024, 1),
        "bot_cpu_seconds_in_surge": cpu,
        "bot_cpu_share_of_one_core": share,
        "bot_cpu_ms_per_update": _round(cpu * 1000 / len(in_window), 2)
        if (cpu is not None and in_window)
        else None,
        "harness_cpu_share_of_one_core": harness,
        "harness_cpu_seconds_in_surge": harness_cpu,
        "harness_cpu_ms_per_update": _round(harness_cpu * 1000 / len(in_window), 2)
        if (harness_cpu is not None and in_window)
        else None,
        "bot_calls_with_a_chat_id": scoped,
        "bot_calls_with_a_chat_id_per_completed_person": _round(scoped / len(done), 1)
        if done
        else None,
        "bot_calls": dict(phase.calls.most_common()),
        "bot_calls_per_update": _round(calls / len(in_window), 2) if in_window else None,
        "bot_calls_in_webhook_answers": answers,
        "bot_cpu_ms_per_call": _round(cpu * 1000 / calls, 2)
        if (cpu is not None and calls)
        else None,
        "bot_call_errors": dict(phase.errors.most_common()),
        "exit_status": result.exit_code,
    }
    return summary


def check_cases(result: PhaseResult) -> dict[str, Any]:
    received = [o.reference for o in result.outcomes if o.reference]
    rows = result.database.get("cases")
    if rows is None:
        return {"cases_in_database": None}
    stored = [reference for reference, _ in rows]
    stored_set, received_set = set(stored), set(received)
    lost = len(received_set - stored_set)
    duplicated = (len(stored) - len(stored_set)) + (len(received) - len(received_set))
    orphans = len(stored_set - received_set)  # stored, but nobody saw its confirmation
    statuses = Counter(status for _, status in rows)
    checked: dict[str, Any] = {
        "references_received": len(received),
        "cases_in_database": len(stored),
        "cases_lost": lost,
        "cases_duplicated": duplicated + orphans,
        "cases_without_confirmation": orphans,
        "case_status": dict(statuses),
        "database_bytes": result.database.get("bytes"),
        "database_bytes_measured_as": result.database.get("what"),
        "database_bytes_per_case": (
            round(result.database["bytes"] / len(stored))
            if stored and result.database.get("bytes")
            else None
        ),
    }
    if result.desk is not None:
        checked["volunteer_takes"] = len(result.desk.taken)
        checked["volunteer_closes"] = len(result.desk.closed)
        checked["volunteer_problems"] = dict(result.desk.problems)
    return checked


def check_calls(result: PhaseResult, per_person: dict[str, int]) -> dict[str, Any]:
    """A peer's calls against what its people's streams ask for: none lost, none doubled."""
    people = len(result.outcomes)
    calls = result.phase.calls
    return {
        "bot_calls_expected": {method: n * people for method, n in per_person.items()},
        "bot_calls_missing": sum(max(0, n * people - calls[m]) for m, n in per_person.items()),
        "bot_calls_extra": sum(max(0, calls[m] - per_person.get(m, 0) * people) for m in calls),
    }


def draft_summary(samples: list[DraftSample]) -> dict[str, Any]:
    useful = [s for s in samples if s.sampled]
    if not useful:
        return {"redis_bytes_per_draft": None, "samples": 0}
    busiest = max(useful, key=lambda s: s.drafts)
    return {
        "redis_bytes_per_draft": round(
            sum(s.bytes_total for s in useful) / sum(s.sampled for s in useful)
        ),
        "samples": len(useful),
        "keys_measured": sum(s.sampled for s in useful),
        "most_active_drafts": busiest.drafts,
        "redis_used_memory_then": busiest.used_memory,
    }


def machine_info() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    commit = None
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = (
            subprocess.run(  # noqa: S603
                ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],  # noqa: S607
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
            or None
        )
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "memory_mib": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": commit,
    }


COLOURS = {
    "intake": "tab:red",
    "sealed": "tab:green",
    "echo": "tab:blue",
    "same_calls": "tab:purple",
    "aiogram": "tab:olive",
    "two_processes": "tab:orange",
}
LABELS = {"intake": "intake bot", "sealed": "sealed intake bot", "echo": "echo bot",
          "same_calls": "same-calls bot (PTB)", "aiogram": "same-calls bot (aiogram)",
          "two_processes": "intake bot, 2 processes · webhook"}  # fmt: skip


def plot(path: Path, results: dict[str, PhaseResult], title: str) -> None:
    """Over time, each bot from its own surge's start (webhook mode dotted): updates delivered
    per second and the next screen's median latency; below, every bot side by side: its rate
    and its next screen p50."""
    import matplotlib  # the optional `bench` extra, only needed here

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (top, middle, bars) = plt.subplots(
        3, 1, figsize=(11, 11), gridspec_kw={"height_ratios": [3, 3, 2]}
    )
    width = 2.0
    shown: list[tuple[str, float, float]] = []
    colours: list[str] = []
    for key, result in results.items():
        phase = result.phase
        if phase.started_at is None:
            continue
        mode, _, bot = key.rpartition("/")
        start, colour = phase.started_at, COLOURS.get(bot, "tab:gray")
        name = LABELS.get(bot, bot) + (f" · {mode}" if mode else "")
        style = ":" if mode else "-"  # webhook mode dotted
        series = bins(phase.delivered, start, 1.0)
        if series:
            top.plot(
                [x for x, _ in series],
                [y for _, y in series],
                color=colour,
                linestyle=style,
                label=name,
            )
        binned = latency_bins(phase.screen_latencies, start, width)
        middle.plot(
            [b[0] + width / 2 for b in binned],
            [b[1] for b in binned],
            color=colour,
            linestyle=style,
            marker=".",
            label=name,
        )
        summary = summarize(result)
        shown.append(
            (name, summary["updates_per_second"] or 0.0, summary["screen_latency_ms"]["p50"] or 0.0)
        )
        colours.append(colour)
    top.set_ylabel("updates delivered / s")
    top.legend(loc="upper right", fontsize="small")
    top.grid(alpha=0.3)
    middle.set_yscale("log")
    middle.set_ylabel("next screen p50 (ms, log)")
    middle.set_xlabel("seconds since each bot's surge began (update enqueued)")
    middle.legend(loc="upper right", fontsize="x-small", ncol=2)  # p95 and p99: latest.json
    middle.grid(alpha=0.3, which="both")
    xs = range(len(shown))
    rate = bars.bar(
        [x - 0.2 for x in xs], [r for _, r, _ in shown], 0.4,
        color=colours,
    )  # fmt: skip
    bars.bar_label(rate, fmt="%.0f /s", fontsize="small")
    latency = bars.twinx()
    screen = latency.bar(
        [x + 0.2 for x in xs], [p for _, _, p in shown], 0.4, color="lightgray", hatch="//"
    )
    latency.bar_label(screen, fmt="%.0f ms", fontsize="small")
    ticks = [n.replace(" (", "\n(").replace(" · ", "\n") for n, _, _ in shown]
    bars.set_xticks(list(xs), ticks, fontsize="x-small")
    bars.set_ylabel("updates handled / s (coloured)")
    latency.set_ylabel("next screen p50, ms (grey)")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def table(report: dict[str, Any]) -> str:
    lines = [] if not report.get("intake") else bots_table(report)
    if report.get("webhook"):
        lines += ["", "webhook mode:", *bots_table(report["webhook"])]
    lines += two_processes_lines(report)
    lines += sealed_lines(report)
    return "\n".join(lines)


def cell(data: dict[str, Any], *path: str) -> str:
    """The figure at `path` in a block of the report, or "-" where there is none."""
    value: Any = data
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return "-" if value is None else str(value)


def two_processes_lines(report: dict[str, Any]) -> list[str]:
    """Two webhook processes beside one: the same figures, and what the harness used."""
    two = report.get("two_processes")
    if not two:
        return []
    one = (report.get("webhook") or {}).get("intake") or {}

    rows = [
        ("people / completed", ("people",), ("completed",)),
        ("cases lost / duplicated", ("cases_lost",), ("cases_duplicated",)),
        ("updates handled per s", ("updates_per_second",), None),
        ("reply latency p50 (ms)", ("reply_latency_ms", "p50"), None),
        ("reply latency p95 (ms)", ("reply_latency_ms", "p95"), None),
        ("reply latency p99 (ms)", ("reply_latency_ms", "p99"), None),
        ("next screen p50 (ms)", ("screen_latency_ms", "p50"), None),
        ("next screen p99 (ms)", ("screen_latency_ms", "p99"), None),
        ("bot CPU ms per update (summed)", ("bot_cpu_ms_per_update",), None),
        ("harness CPU ms per update", ("harness_cpu_ms_per_update",), None),
        ("balancer CPU ms per update", ("balancer_cpu_ms_per_update",), None),
        ("peak memory, summed (MiB)", ("peak_memory_mib",), None),
    ]
    width = 34
    lines = ["", "webhook mode, one process against two behind a balancer:",
             f"{'':{width}}  {'one process':>14}  {'two processes':>14}"]  # fmt: skip
    for name, path, second in rows:
        cells = [
            cell(block, *path) + (f" / {cell(block, *second)}" if second else "")
            for block in (one, two)
        ]
        lines.append(f"{name:{width}}  {cells[0]:>14}  {cells[1]:>14}")
    lines.append(f"{'updates to each process':{width}}  {'':>14}  "
                 f"{cell(two, 'updates_to_each_process'):>14}")  # fmt: skip
    lines.append(f"{'two / one: throughput':{width}}  {'':>14}  "
                 f"{cell(two, 'ratio', 'throughput'):>14}")  # fmt: skip
    return lines


def bots_table(report: dict[str, Any]) -> list[str]:
    """One mode's bots side by side, the intake bot first."""
    intake = report.get("intake") or {}
    peers = [name for name in PEER_NAMES if report.get(name)]

    every = [
        ("wall time of the surge (s)", ("wall_seconds",)),
        ("updates delivered", ("updates_delivered",)),
        ("updates handled per s", ("updates_per_second",)),
        ("reply latency p50 (ms)", ("reply_latency_ms", "p50")),
        ("reply latency p95 (ms)", ("reply_latency_ms", "p95")),
        ("reply latency p99 (ms)", ("reply_latency_ms", "p99")),
        ("next screen p50 (ms)", ("screen_latency_ms", "p50")),
        ("next screen p95 (ms)", ("screen_latency_ms", "p95")),
        ("peak memory (MiB)", ("peak_memory_mib",)),
        ("bot CPU, share of one core", ("bot_cpu_share_of_one_core",)),
        ("bot CPU ms per update", ("bot_cpu_ms_per_update",)),
        ("Bot API calls per update", ("bot_calls_per_update",)),
        ("... and methods in webhook answers", ("bot_calls_in_webhook_answers",)),
        ("bot CPU ms per Bot API call", ("bot_cpu_ms_per_call",)),
    ]
    peers_only = [
        ("answers missing / extra", ("bot_calls_missing",), ("bot_calls_extra",)),
    ]
    ours_only = [
        ("left without an answer", ("people_left_without_an_answer",)),
        ("told 'something went wrong'", ("people_told_something_went_wrong",)),
        ("answers kept, sent later (outbox)", ("people_sent_later_by_the_outbox",)),
        ("cases in database", ("cases_in_database",)),
        ("cases lost", ("cases_lost",)),
        ("cases duplicated", ("cases_duplicated",)),
        ("cases closed by volunteers", ("volunteer_closes",)),
        ("Redis bytes per active draft", ("redis_bytes_per_draft",)),
        ("database bytes per case", ("database_bytes_per_case",)),
    ]
    columns = [intake, *(report[name] for name in peers)]
    rows: list[list[str]] = [
        ["people / completed", *(f"{cell(c, 'people')} / {cell(c, 'completed')}" for c in columns)],
        *([name, *(cell(c, *path) for c in columns)] for name, path in every),
        *(
            [name, "", *(f"{cell(c, *lost)} / {cell(c, *extra)}" for c in columns[1:])]
            for name, lost, extra in peers_only
        ),
        *([name, cell(intake, *path), *("" for _ in peers)] for name, path in ours_only),
    ]
    ratios = report.get("ratio") or {}
    rows += [[f"intake throughput / {name}'s", cell(ratios, name, "throughput")] for name in peers]
    width = max(len(row[0]) for row in rows)
    heads = ["intake bot", *(f"{name} bot" for name in peers)]
    lines = [f"{'':{width}}" + "".join(f"  {head:>14}" for head in heads)]
    lines += [f"{row[0]:{width}}" + "".join(f"  {c:>14}" for c in row[1:]) for row in rows]
    return lines


def sealed_lines(report: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    width = 36
    sealed = report.get("sealed") or {}
    for name, key in (
        ("sealed: pseudonym ms per id", "pseudonym_ms_per_id"),
        ("sealed: CPU-years to try every id", "cpu_years_to_try_every_id"),
        ("sealed: people / completed", "completed"),
        ("sealed: cases lost / duplicated", "cases_lost"),
        ("sealed: intake CPU ms per person update", "intake_cpu_ms_per_person_update"),
        ("sealed: desk CPU ms per person update", "desk_cpu_ms_per_person_update"),
        ("role all: CPU ms per person update", "role_all_cpu_ms_per_person_update"),
        ("sealed: first message, extra CPU ms", "first_message_extra_cpu_ms"),
    ):
        if key not in sealed:
            continue
        value = sealed[key]
        if key == "completed":
            value = f"{sealed.get('people')} / {value}"
        elif key == "cases_lost":
            value = f"{value} / {sealed.get('cases_duplicated')}"
        lines.append(f"{name:{width}}  {'-' if value is None else value:>14}")
    return lines


def build_report(
    args: argparse.Namespace,
    results: dict[str, PhaseResult],
    notes: list[str],
    date: str,
    elapsed: float,
    failure: str | None,
    pseudonyms: dict[str, Any] | None = None,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "date": date,
        "machine": machine_info(),
        "settings": {
            "people": args.people,
            "database": args.database,
            "volunteers": args.volunteers,
            "timeout_seconds": args.timeout,
            "step_timeout_seconds": args.step_timeout,
            "updates_per_intake": len(INTAKE_STEPS),
            "sealed": args.sealed,
            "intake_bot_command": "bench/bot_with_task_dump.py"
            if args.dump_stuck
            else "intake-bot run",
            "intake_settings": {
                "INTAKE_FLOOD_BURST": 10000,
                "INTAKE_CASES_PER_HOUR_CAP": 1000000000,
                "INTAKE_CLEAN_AFTER_SUBMIT": "default (true)",
                "redis": True,
            },
        },
        "elapsed_seconds": round(elapsed, 1),
        "notes": list(notes),
    }
    if failure:
        report["notes"].append(f"failed: {failure}")
    series: dict[str, Any] = {}
    for key, result in results.items():
        mode, _, bot = key.rpartition("/")  # "webhook/echo": webhook mode's echo bot
        summary = summarize(result)
        if bot in ("intake", "sealed", "two_processes"):
            summary.update(check_cases(result))
            summary.update(draft_summary(result.drafts))
        elif bot in PEER_CALLS:
            summary.update(check_calls(result, PEER_CALLS[bot]))
        if result.profile is not None:
            summary["profile"] = result.profile
        if result.first_messages is not None:
            summary["first_messages"] = result.first_messages
        if result.desk_process is not None:
            summary["desk_process"] = result.desk_process
        (report.setdefault(mode, {}) if mode else report)[bot] = summary
        report["notes"].extend(f"{key}: {note}" for note in result.notes)
        start = result.phase.started_at
        if start is not None:
            series[key] = {
                "updates_per_second_1s": bins(result.phase.delivered, start, 1.0),
                "reply_latency_ms_2s_p50_p95_n": latency_bins(
                    result.phase.reply_latencies, start, 2.0
                ),
                "screen_latency_ms_2s_p50_p95_n": latency_bins(
                    result.phase.screen_latencies, start, 2.0
                ),
                "rss_mib_bot_cpu_s_harness_cpu_s": [
                    [
                        round(x.at - start, 1),
                        round(x.rss_kib / 1024, 1),
                        x.cpu_seconds,
                        round(x.harness_cpu_seconds, 2),
                    ]
                    for x in result.rss_series
                ],
                "chat_scoped_calls_per_second_1s": bins(
                    (at for at, method in result.phase.call_times if method in CHAT_SCOPED),
                    start,
                    1.0,
                ),
            }
    for block in (report, report.get("webhook")):
        if block and block.get("intake"):
            block["ratio"] = ratios(block["intake"], block)
    intake = report.get("intake") or (report.get("webhook") or {}).get("intake")
    sealed = report.pop("sealed", None)  # moved to the end, beside the pseudonym's cost
    two = report.pop("two_processes", None)
    if two is not None:
        report["two_processes"] = two_processes_summary(
            two, results["two_processes"], (report.get("webhook") or {}).get("intake")
        )
    report["partial"] = (
        bool(failure)
        or not intake
        or bool(sealed and sealed["failed"])
        or bool(two and (two["failed"] or two["cases_lost"] or two["cases_duplicated"]))
        or bool(intake["failed"])
        or bool(((report.get("webhook") or {}).get("intake") or {}).get("failed"))
        or any("timeout" in note or "exited" in note for note in report["notes"])
    )
    report["series"] = series
    report["sealed"] = sealed_summary(intake, sealed, pseudonyms or {})
    return report


def ratios(intake: dict[str, Any], peers: dict[str, Any]) -> dict[str, Any]:
    """The intake bot's figures over each peer's (`ratio.<peer>`): throughput, and latencies."""

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a and b else None

    return {
        name: {
            "throughput": ratio(intake["updates_per_second"], peer["updates_per_second"]),
            **{
                f"{figure}_{p}": ratio(intake[key][p], peer[key][p])
                for figure, key in (
                    ("reply_latency", "reply_latency_ms"),
                    ("next_screen", "screen_latency_ms"),
                )
                for p in ("p50", "p95")
            },
        }
        for name in PEER_NAMES
        if (peer := peers.get(name))
    }


def two_processes_summary(
    two: dict[str, Any], result: PhaseResult, one: dict[str, Any] | None
) -> dict[str, Any]:
    """The two-process webhook phase (`--two-processes`): the intake bot's usual figures with
    CPU and memory summed over its processes, then each process's share, the balancer's CPU
    (a process of its own) and the harness's (this process: the local server and the people),
    and `ratio`, two processes over the one-process webhook run of the same invocation."""
    extra = dict(result.processes or {})
    series = extra.pop("balancer_series", [])
    start, end = result.phase.started_at, result.phase.ended_at
    bracketed = bracket(series, start, end) if start is not None and end is not None else None
    balancer_cpu = (
        round(bracketed[1].cpu_seconds - bracketed[0].cpu_seconds, 2) if bracketed else None
    )
    updates = two.get("updates_delivered")
    out = {
        "what": "intake-bot run x2 (webhook, one port each; the same database, Redis and"
        " secret) behind bench/balancer.py (round robin, a process of its own)",
        **two,
        **extra,
        "bot_cpu_ms_per_update_measured_as": "both processes' CPU summed, over the updates",
        "balancer_cpu_seconds_in_surge": balancer_cpu,
        "balancer_cpu_ms_per_update": _round(balancer_cpu * 1000 / updates, 2)
        if (balancer_cpu is not None and updates)
        else None,
        "harness_measured_as": "this process: the local Bot API server's thread, the simulated"
        " people and the meter (not the balancer, counted apart)",
    }

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a and b else None

    if one:
        out["ratio"] = {
            "against": "webhook.intake (one process, no balancer)",
            "throughput": ratio(two["updates_per_second"], one["updates_per_second"]),
            **{
                f"{figure}_{p}": ratio(two[key][p], one[key][p])
                for figure, key in (
                    ("reply_latency", "reply_latency_ms"),
                    ("next_screen", "screen_latency_ms"),
                )
                for p in ("p50", "p95", "p99")
            },
            "bot_cpu_ms_per_update": ratio(
                two["bot_cpu_ms_per_update"], one["bot_cpu_ms_per_update"]
            ),
            "harness_cpu_ms_per_update": ratio(
                two["harness_cpu_ms_per_update"], one["harness_cpu_ms_per_update"]
            ),
        }
    return out


def sealed_summary(
    single: dict[str, Any] | None, sealed: dict[str, Any] | None, pseudonyms: dict[str, Any]
) -> dict[str, Any]:
    """Sealed mode against the single process: the memory-hard pseudonym's cost, and with
    `--sealed` the surge's figures side by side, CPU per person's update (the volunteers' commands
    go to the desk bot in sealed mode, so only the people's count on both sides) and the first
    message's extra cost (the probe: one Argon2id per new person)."""
    out: dict[str, Any] = dict(pseudonyms)
    if not sealed:
        return out

    def per_update(summary: dict[str, Any] | None, cpu: float | None) -> float | None:
        updates = (summary or {}).get("person_updates_sent")
        return round(cpu * 1000 / updates, 2) if cpu is not None and updates else None

    single = single or {}
    desk_cpu = (sealed.get("desk_process") or {}).get("cpu_seconds_in_surge")
    intake_cpu = sealed.get("bot_cpu_seconds_in_surge")
    all_ms = per_update(single, single.get("bot_cpu_seconds_in_surge"))
    intake_ms = per_update(sealed, intake_cpu)
    both = None if intake_cpu is None or desk_cpu is None else intake_cpu + desk_cpu
    first = sealed.get("first_messages") or {}
    first_all = single.get("first_messages") or {}
    extra = (
        round(first["first_cpu_ms_per_start"] - first_all["first_cpu_ms_per_start"], 1)
        if "first_cpu_ms_per_start" in first and "first_cpu_ms_per_start" in first_all
        else None
    )
    out.update(
        {
            "surge": sealed,
            "people": sealed.get("people"),
            "completed": sealed.get("completed"),
            "cases_lost": sealed.get("cases_lost"),
            "cases_duplicated": sealed.get("cases_duplicated"),
            "intake_cpu_ms_per_person_update": intake_ms,
            "desk_cpu_ms_per_person_update": per_update(sealed, desk_cpu),
            "intake_and_desk_cpu_ms_per_person_update": per_update(sealed, both),
            "role_all_cpu_ms_per_person_update": all_ms,
            "intake_to_role_all_cpu_ratio": round(intake_ms / all_ms, 2)
            if intake_ms and all_ms
            else None,
            "updates_per_second": sealed.get("updates_per_second"),
            "role_all_updates_per_second": single.get("updates_per_second"),
            "next_screen_ms_p50": (sealed.get("screen_latency_ms") or {}).get("p50"),
            "role_all_next_screen_ms_p50": (single.get("screen_latency_ms") or {}).get("p50"),
            "first_message": first,
            "role_all_first_message": first_all,
            "first_message_extra_cpu_ms": extra,
        }
    )
    return out
