"""``intake-bot run`` plus one thing for digging (``surge.py --dump-stuck``): on SIGUSR1 it writes
where every pending asyncio task is waiting to stderr, i.e. the bot's log.

Only code locations are written (file, line, function), never data. surge.py sends the signal
before stopping the bot when some people never got an answer, so the log shows where their
updates are stuck. Everything else is the real bot, started exactly as `intake-bot run` does.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

if __package__ in (None, ""):  # run as a script: import the bot from the repository root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)


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


signal.signal(signal.SIGUSR1, _dump_tasks)

from bot.__main__ import main  # noqa: E402 - after the handler is installed

if __name__ == "__main__":
    sys.exit(main(["run"]))
