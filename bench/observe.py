"""What is sampled while a surge runs: the bot's memory and CPU, drafts in Redis, a profile."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import redis

from bench.processes import ROOT, BotProcess
from tests.support.servers import ServerError


@dataclass
class DraftSample:
    at: float
    drafts: int
    sampled: int
    bytes_total: int
    used_memory: int


def sample_drafts(client: redis.Redis, at: float, limit: int = 300) -> DraftSample:
    """Count draft keys and MEMORY USAGE of up to `limit` of them (exact, SAMPLES 0)."""
    keys: list[bytes] = []
    count = 0
    for key in client.scan_iter(match="*:draft:*", count=1000):
        count += 1
        if len(keys) < limit:
            keys.append(key)
        if count >= 100_000:
            break
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.memory_usage(key, samples=0)
    sizes = [size for size in pipe.execute() if isinstance(size, int)]
    used = int(client.info("memory").get("used_memory", 0))
    return DraftSample(at, count, len(sizes), sum(sizes), used)


class Sample(NamedTuple):
    at: float
    rss_kib: int
    cpu_seconds: float
    harness_cpu_seconds: float


def snapshot(process: BotProcess) -> Sample:
    """The bot's memory and CPU time now, and this script's own CPU time (the harness)."""
    process.sample()
    times = os.times()
    return Sample(time.time(), process.rss_kib, process.cpu_seconds, times.user + times.system)


async def watch_memory(process: BotProcess, stop: asyncio.Event, series: list[Sample]) -> None:
    while not stop.is_set() and process.running():
        series.append(snapshot(process))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def watch_drafts(url: str, stop: asyncio.Event, samples: list[DraftSample]) -> None:
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        while not stop.is_set():
            with contextlib.suppress(redis.RedisError):
                samples.append(await asyncio.to_thread(sample_drafts, client, time.time()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 2.0)
    finally:
        client.close()


class Profiler:
    """``py-spy record`` against a bot process (``--profile``; py-spy is not a dependency)."""

    RATE = 100

    def __init__(self, pid: int, out: Path) -> None:
        binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not Path(binary).exists():
            raise ServerError("--profile needs py-spy: .venv/bin/pip install py-spy")
        self.out = out
        self.started = time.time()
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed command line
            [binary, "record", "--pid", str(pid), "--rate", str(self.RATE), "--format", "raw",
             "--output", str(out), "--nonblocking"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def stop(self) -> dict[str, Any]:
        elapsed = time.time() - self.started
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # py-spy writes its output and exits
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        try:
            return summarize_profile(self.out, self.RATE, elapsed)
        except (OSError, ValueError) as error:
            return {"error": f"no profile: {error}"}


DATABASE_FILES = ("sqlalchemy/", "aiosqlite/", "asyncpg/", "sqlite3/")
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*?)(?::\d+)?\)$")
# Each sample is charged to one component: walking from the innermost frame outwards, the first
# frame that belongs to one of these (so an HTTP request made inside the rate limiter counts as
# HTTP, and a stdlib helper counts for whoever called it). Reaching the event loop's own
# `_run_once` first means the loop itself (polling sockets, scheduling callbacks).
COMPONENTS: list[tuple[str, tuple[str, ...]]] = [
    ("imports at run time (importlib)", ("<frozen importlib",)),
    ("encryption (storage/crypto, cryptography)", ("storage/crypto", "cryptography/")),
    ("texts (locales, fluent)", ("locales/", "fluent/")),
    ("questionnaire engine (dialogs, transitions)", ("dialogs/", "transitions/")),
    ("database (sqlalchemy, aiosqlite, asyncpg, sqlite3)", DATABASE_FILES),
    ("Redis (redis-py)", ("redis/",)),
    ("HTTP client (httpx, httpcore, anyio, h11)", ("httpx/", "httpcore/", "anyio/", "h11/")),
    ("rate limiter (AIORateLimiter, aiolimiter)", ("_aioratelimiter", "aiolimiter/")),
    ("python-telegram-bot (objects, dispatch)", ("telegram/",)),
    ("the bot's own code (bot/, storage/)", ("bot/", "storage/")),
]
EVENT_LOOP = "event loop (asyncio, selectors)"


def _component(frames: list[tuple[str, str]]) -> str:
    for function, file in reversed(frames):
        if function.endswith("_run_once") and "asyncio/" in file:
            return EVENT_LOOP
        for name, needles in COMPONENTS:
            if any(needle in file for needle in needles):
                return name
    return "other (stdlib, threads)"


def _package(path: str) -> str:
    path = path.removeprefix(str(ROOT) + "/")
    if path.startswith("<frozen"):
        return path.strip("<>").replace("frozen ", "") + " (frozen)"
    head = path.lstrip("/").split("/")[0]
    return head.removesuffix(".py")


def summarize_profile(path: Path, rate: int, elapsed: float) -> dict[str, Any]:
    """Shares of py-spy samples: by component (see COMPONENTS), by the package of the innermost
    frame, and the busiest functions (inclusive and self)."""
    total = 0
    by_leaf: Counter[str] = Counter()
    by_component: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = []
        for raw in stack.split(";"):
            match = _FRAME.match(raw)
            frames.append((match["function"], match["file"]) if match else (raw, raw))
        function, file = frames[-1]
        by_leaf[_package(file)] += samples
        own[f"{function} ({file})"] += samples
        for name in {f"{f} ({p})" for f, p in frames}:
            inclusive[name] += samples
        by_component[_component(frames)] += samples
    if not total:
        raise ValueError("py-spy recorded no samples")

    def shares(counter: Counter[str], n: int) -> list[list[Any]]:
        return [[round(c / total, 3), name] for name, c in counter.most_common(n)]

    return {
        "samples": total,
        "rate_hz": rate,
        "seconds": round(elapsed, 1),
        "busy_share_of_one_core": round(total / (rate * elapsed), 2) if elapsed else None,
        "self_by_package": shares(by_leaf, 15),
        "by_component": shares(by_component, len(COMPONENTS) + 1),
        "top_inclusive": shares(inclusive, 40),
        "top_self": shares(own, 20),
    }
