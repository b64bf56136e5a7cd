"""``intake-bot run`` under tracemalloc (``drafts.py --tracemalloc``): on SIGUSR2 it writes where
its live Python memory was allocated to stderr, i.e. the bot's log.

Only code locations and sizes are written (file, line, bytes, count), never data. Tracing costs
time and some memory of its own, so only the shares of this run mean anything, not its RSS; what
the imports allocate is not traced (tracing begins after them).
Everything else is the real bot, started exactly as `intake-bot run` does.
"""

from __future__ import annotations

import gc
import signal
import sys
import tracemalloc
from pathlib import Path
from types import FrameType

if __package__ in (None, ""):  # run as a script: import the bot from the repository root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

FRAMES = 10  # deep enough to see which of the bot's calls an allocation in a library served
TOP = 40


def _where(frame: tracemalloc.Frame) -> str:
    return f"{'/'.join(Path(frame.filename).parts[-3:])}:{frame.lineno}"


def _report(signum: int, frame: FrameType | None) -> None:
    gc.collect()
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    now, peak = tracemalloc.get_traced_memory()
    lines = ["tracemalloc report", f"traced now {now} bytes, peak {peak} bytes", ""]
    for title, key in (("by file", "filename"), ("by line", "lineno")):
        lines.append(f"-- top {TOP} {title}")
        for stat in snapshot.statistics(key)[:TOP]:
            where = _where(stat.traceback[0])
            lines.append(f"{stat.size / 1024:10.1f} KiB {stat.count:8d} x {where}")
        lines.append("")
    # The biggest allocation sites with the call chain that led to them (innermost last), so a
    # library's allocation can be charged to the bot's code that asked for it.
    lines.append("-- top 15 tracebacks")
    for stat in snapshot.statistics("traceback")[:15]:
        lines.append(f"{stat.size / 1024:10.1f} KiB {stat.count:8d} x")
        lines.extend(f"      {_where(f)}" for f in stat.traceback)
    lines.append("end of tracemalloc report")
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()


signal.signal(signal.SIGUSR2, _report)

# Imported before tracing begins: tracing the imports would make the bot start too slowly for
# the harness (they are most of the idle bot's RSS, which drafts.py measures without tracing).
import bot.app  # noqa: E402
import bot.runner  # noqa: E402, F401
from bot.__main__ import main  # noqa: E402

tracemalloc.start(FRAMES)

if __name__ == "__main__":
    sys.exit(main(["run"]))
