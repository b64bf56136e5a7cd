"""Diagnostic only (``surge.py --no-rate-limit``): ``intake-bot run`` with python-telegram-bot's
AIORateLimiter told not to apply its overall 30-calls-per-second limit.

This is not how the bot ships. It shows how fast the bot's own work is once the outgoing rate
limit stops being the bottleneck. Everything else (settings, handlers, storage) is the real bot,
started exactly as `run` does. One addition for digging: SIGUSR1 writes where every pending
asyncio task is waiting (code locations only, no data) to stderr, i.e. the bot's log;
surge.py sends it before stopping the bot when some people never got an answer.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

from telegram.ext import AIORateLimiter

if __package__ in (None, ""):  # run as a script: import the bot from the repository root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

_original_init = AIORateLimiter.__init__


def _without_overall_limit(self: AIORateLimiter, *args: Any, **kwargs: Any) -> None:
    kwargs["overall_max_rate"] = 0  # 0 turns the overall limit off (per-group limits stay)
    _original_init(self, *args, **kwargs)


AIORateLimiter.__init__ = _without_overall_limit  # type: ignore[method-assign]


def _dump_tasks(signum: int, frame: FrameType | None) -> None:
    """Group the pending tasks by the chain of code locations they are suspended in."""
    loop = asyncio._get_running_loop()  # the signal arrives on the loop's thread
    if loop is None:
        return
    chains: Counter[str] = Counter()
    for task in asyncio.all_tasks(loop):
        chain = " <- ".join(reversed(_awaiting(task.get_coro())))
        chains[chain or "(no frames)"] += 1
    lines = [f"{count:4d} x {chain}" for chain, count in chains.most_common()]
    sys.stderr.write("pending asyncio tasks, innermost first:\n" + "\n".join(lines) + "\n")
    sys.stderr.flush()


def _awaiting(coro: Any) -> list[str]:
    """The code locations of a coroutine and of what it awaits, outermost first."""
    where: list[str] = []
    for _ in range(60):  # bounded: chains are short
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        frame = frame or getattr(coro, "ag_frame", None)
        if frame is not None:
            code = frame.f_code
            where.append(f"{Path(code.co_filename).name}:{frame.f_lineno} {code.co_name}")
        nxt = (
            getattr(coro, "cr_await", None)
            or getattr(coro, "gi_yieldfrom", None)
            or getattr(coro, "ag_await", None)
        )
        if type(nxt).__name__ == "async_generator_asend" and frame is not None:
            # An @asynccontextmanager: follow its generator (the asend object hides it).
            nxt = getattr(frame.f_locals.get("self"), "gen", None) or nxt
        if nxt is None:
            if coro is not None and frame is None:
                where.append(type(coro).__name__)
            break
        coro = nxt
    return where


signal.signal(signal.SIGUSR1, _dump_tasks)

from bot.__main__ import main  # noqa: E402 - after the patch, so the app is built with it

if __name__ == "__main__":
    sys.exit(main(["run"]))
