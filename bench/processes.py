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

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    def send_signal(self, signum: int) -> None:
        self.process.send_signal(signum)

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


class BotProcesses:
    """Several processes of one bot (webhook mode, behind a balancer), seen as one bot: it runs
    while all of them run; its CPU time, resident set and peak (each process's VmHWM) are the
    sums of theirs. The first is its name, log and pid (what ``--profile`` records)."""

    def __init__(self, members: list[BotProcess]) -> None:
        self.members = members

    @property
    def name(self) -> str:
        return f"{self.members[0].name} (and {len(self.members) - 1} more)"

    @property
    def log(self) -> Path:
        return self.members[0].log

    @property
    def pid(self) -> int:
        return self.members[0].pid

    @property
    def peak_kib(self) -> int:
        return sum(member.peak_kib for member in self.members)

    @property
    def rss_kib(self) -> int:
        return sum(member.rss_kib for member in self.members)

    @property
    def cpu_seconds(self) -> float:
        return sum(member.cpu_seconds for member in self.members)

    @property
    def returncode(self) -> int | None:
        codes = [member.returncode for member in self.members]
        return next((code for code in codes if code not in (0, None)), codes[0])

    def running(self) -> bool:
        return all(member.running() for member in self.members)

    def send_signal(self, signum: int) -> None:
        for member in self.members:
            if member.running():
                member.send_signal(signum)

    def sample(self) -> None:
        for member in self.members:
            member.sample()

    def stop(self) -> int | None:
        """Stops every process; the first exit status that is not 0, else the first's."""
        for member in self.members:
            member.stop()
        return self.returncode
