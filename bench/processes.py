"""The processes a surge starts: redis-server, PostgreSQL and the bots, always stopped again."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class BenchError(RuntimeError):
    """Something the benchmark needs could not be started; the message says what."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"  # a zombie nobody reaps is gone too


def stop_pid(pid: int, sig: signal.Signals, timeout: float = 20.0) -> None:
    """Signal one process this script started and wait until it is gone (then SIGKILL)."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process_gone(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not process_gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def run_quietly(
    command: list[str], what: str, log: Path | None = None, cwd: Path | None = None
) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - our own fixed command lines
            command, check=True, capture_output=True, text=True, timeout=120, cwd=cwd
        )
    except subprocess.CalledProcessError as exc:
        detail = (exc.stdout or "") + (exc.stderr or "")
        if log is not None:
            detail += "\n--- log ---\n" + tail(log)
        raise BenchError(f"{what} failed (exit {exc.returncode}):\n{detail}") from None
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what} timed out") from None
    return done.stdout


class RedisServer:
    """redis-server on 127.0.0.1 with no persistence, in a directory of ours."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise BenchError("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.pidfile = directory / "redis.pid"
        self.logfile = directory / "redis.log"
        self.pid: int | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--daemonize", "yes", "--pidfile", str(self.pidfile),
            "--dir", str(self.directory), "--logfile", str(self.logfile),
        ]  # fmt: skip
        run_quietly(command, "starting redis-server", self.logfile)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.pidfile.exists() and self._answers_ping():
                self.pid = int(self.pidfile.read_text().strip())
                return
            time.sleep(0.05)
        raise BenchError(f"redis-server did not answer on port {self.port}:\n{tail(self.logfile)}")

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.pid is not None:
            stop_pid(self.pid, signal.SIGTERM)
            self.pid = None


class PostgresServer:
    """A PostgreSQL cluster in a directory of ours, trust auth, 127.0.0.1 only, fsync off."""

    def __init__(self) -> None:
        found = sorted(
            Path("/usr/lib/postgresql").glob("*/bin/initdb"),
            key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
        )
        initdb = found[-1] if found else (Path(shutil.which("initdb") or "/nonexistent"))
        if not initdb.exists():
            raise BenchError(
                "PostgreSQL (initdb, pg_ctl) is not installed (apt-get install postgresql)"
            )
        self.bindir = initdb.parent
        self.port = free_port()
        # Its own directory straight under the temp dir: the postgres user must be able to enter.
        base = self.base = Path(tempfile.mkdtemp(prefix="intake-surge-pg-"))
        self.data = base / "data"
        self.sockets = base / "sock"
        self.logfile = base / "postgres.log"
        self.pid: int | None = None
        self.as_user: list[str] = []
        self.sockets.mkdir()
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(base, ignore_errors=True)
                raise BenchError("running as root without a 'postgres' system user") from None
            self.as_user = ["runuser", "-u", "postgres", "--"]
            for path in (base, self.sockets):
                os.chown(path, user.pw_uid, user.pw_gid)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        initdb = [
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8", "--locale=C",
        ]  # fmt: skip
        run_quietly(self.as_user + initdb, "initdb", cwd=self.base)
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        pg_ctl = [
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.logfile),
            "-w", "-t", str(int(START_TIMEOUT)), "-o", options, "start",
        ]  # fmt: skip
        run_quietly(self.as_user + pg_ctl, "pg_ctl start", self.logfile, cwd=self.base)
        self.pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def psql(self, sql: str, database: str = "postgres") -> str:
        command = [
            str(self.bindir / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
            "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database, "-c", sql,
        ]  # fmt: skip
        return run_quietly(command, "psql")

    def stop(self) -> None:
        if self.pid is not None:
            stop_pid(self.pid, signal.SIGINT)  # "fast" shutdown
            self.pid = None
        shutil.rmtree(self.base, ignore_errors=True)


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
