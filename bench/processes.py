"""The bots a surge starts, each in a process of its own and always stopped again.

redis-server and PostgreSQL come from the tests' harness (tests/support/servers.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class BotProcess:
    """A bot in a process of its own, its output in a log file; stopped with SIGTERM."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.log = workdir / f"{name}.log"
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed command lines
            command, env=env, cwd=workdir, stdout=self._log_file, stderr=subprocess.STDOUT
        )
        self.peak_kib = 0
        self.rss_kib = 0
        self.cpu_seconds = 0.0

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def sample(self) -> None:
        """VmHWM (peak resident set), VmRSS and CPU time from /proc (no psutil needed)."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                self.peak_kib = max(self.peak_kib, int(line.split()[1]))
            elif line.startswith("VmRSS:"):
                self.rss_kib = int(line.split()[1])
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks = int(fields[11]) + int(fields[12])  # utime + stime
            self.cpu_seconds = ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> int | None:
        if self.running():
            self.sample()
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(10)
        self._log_file.close()
        return self.process.returncode
