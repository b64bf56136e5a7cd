"""Throwaway redis-server and PostgreSQL processes on free local ports, always stopped by pid.

One harness for the test fixtures (tests/conftest.py) and the benchmarks (bench/): a failure to
start raises ServerError with what went wrong and the server log's tail; the caller decides
whether that is a failed test or a failed benchmark run.
"""

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
import uuid
from pathlib import Path

import redis

START_TIMEOUT = 30.0


class ServerError(RuntimeError):
    """A server or process could not be started or driven; the message says what."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_gone(pid: int) -> bool:
    """Whether a process has exited, counting a zombie nobody reaps as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    # A daemon re-parented to a PID 1 that does not reap stays a zombie: that is gone too.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def stop_pid(pid: int, sig: signal.Signals, timeout: float = 20.0) -> None:
    """Signal one process we started and wait until it is gone (SIGKILL as a last resort)."""
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


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log, for an error message."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def run_quietly(
    command: list[str], what: str, log: Path | None = None, cwd: Path | None = None
) -> str:
    """Run one of our own fixed command lines; its output, or ServerError saying what failed."""
    try:
        done = subprocess.run(
            command, check=True, capture_output=True, text=True, timeout=120, cwd=cwd
        )
    except subprocess.CalledProcessError as exc:
        detail = (exc.stdout or "") + (exc.stderr or "")
        if log is not None:
            detail += "\n--- server log ---\n" + tail(log)
        raise ServerError(f"{what} failed (exit {exc.returncode}):\n{detail}") from None
    except subprocess.TimeoutExpired:
        raise ServerError(f"{what} timed out") from None
    return done.stdout


def redis_binary() -> str | None:
    """Path of redis-server, or None when it is not installed."""
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )


def postgres_bindir() -> Path | None:
    """The newest installed PostgreSQL's bin directory (initdb, pg_ctl, psql), or None."""
    found = list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        newest = max(found, key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
        return newest.parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class RedisServer:
    """A redis-server daemon on 127.0.0.1 with no persistence, in a directory of ours."""

    def __init__(self, binary: str, directory: Path, start_timeout: float = START_TIMEOUT) -> None:
        self.binary = binary
        self.directory = directory
        self.start_timeout = start_timeout
        self.port = free_port()
        self.pidfile = directory / "redis.pid"
        self.logfile = directory / "redis.log"
        self.pid: int | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.pidfile.unlink(missing_ok=True)
        command = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "yes",
            "--pidfile", str(self.pidfile),
            "--dir", str(self.directory),
            "--logfile", str(self.logfile),
        ]  # fmt: skip
        run_quietly(command, "starting redis-server", self.logfile)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.pidfile.exists() and self._answers_ping():
                self.pid = int(self.pidfile.read_text().strip())
                return
            time.sleep(0.05)
        raise ServerError(f"redis-server did not answer on port {self.port}:\n{tail(self.logfile)}")

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

    def restart(self) -> None:
        """Stop and start again on the same port (for outage drills)."""
        self.stop()
        self.start()

    def flush(self) -> None:
        client = redis.Redis.from_url(self.url)
        try:
            client.flushall()
        finally:
            client.close()


class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, trust auth on 127.0.0.1 only, fsync off.

    `tls`: (certificate file, key file) to turn TLS on with (`ssl=on`); plaintext connections
    are still accepted, so that a client that does not insist on TLS would be seen to fall back.
    `hba`: the text of a pg_hba.conf to use instead of trust on 127.0.0.1 (`psql` then needs
    a line that admits it; `socket_psql` goes through the Unix socket).
    """

    def __init__(
        self,
        bindir: Path,
        prefix: str = "intake-pg-",
        start_timeout: float = START_TIMEOUT,
        *,
        tls: tuple[Path, Path] | None = None,
        hba: str | None = None,
    ) -> None:
        self.bindir = bindir
        self.start_timeout = start_timeout
        self.tls = tls
        self.hba = hba
        self.port = free_port()
        # Its own directory straight under the temp dir: the postgres user must be able to enter.
        self.base = Path(tempfile.mkdtemp(prefix=prefix))
        self.data = self.base / "data"
        self.sockets = self.base / "sock"
        self.logfile = self.base / "postgres.log"
        self.pid: int | None = None
        # PostgreSQL refuses to run as root: as root, run it as the `postgres` system user.
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.base, ignore_errors=True)
                raise ServerError(
                    "running as root but there is no 'postgres' system user to run PostgreSQL "
                    "as; install the postgresql package (it creates the user) or run as a "
                    "non-root user"
                ) from None
            self._as_user = ["runuser", "-u", "postgres", "--"]
            self.sockets.mkdir()
            for path in (self.base, self.sockets):
                os.chown(path, user.pw_uid, user.pw_gid)
        else:
            self.sockets.mkdir()

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        initdb = [
            str(self.bindir / "initdb"),
            "-D", str(self.data),
            "-U", "postgres",
            "-A", "trust",
            "--no-sync",
            "-E", "UTF8",
            "--locale=C",
        ]  # fmt: skip
        run_quietly(self._as_user + initdb, "initdb", cwd=self.base)
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        if self.tls is not None:
            options += " " + self._tls_options(*self.tls)
        if self.hba is not None:
            hba_file = self.base / "pg_hba.conf"
            hba_file.write_text(self.hba, encoding="utf-8")
            hba_file.chmod(0o644)
            options += f" -c hba_file={hba_file}"
        pg_ctl = [
            str(self.bindir / "pg_ctl"),
            "-D", str(self.data),
            "-l", str(self.logfile),
            "-w", "-t", str(int(self.start_timeout)),
            "-o", options,
            "start",
        ]  # fmt: skip
        run_quietly(self._as_user + pg_ctl, "pg_ctl start", self.logfile, cwd=self.base)
        self.pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def _tls_options(self, certificate: Path, key: Path) -> str:
        """Copies of the certificate and key in the cluster's directory, owned by the server's
        user (it refuses a key that others can read), and the options that turn TLS on."""
        copies = self.base / "server.crt", self.base / "server.key"
        for source, copy in zip((certificate, key), copies, strict=True):
            shutil.copyfile(source, copy)
            copy.chmod(0o600)
            if self._as_user:
                user = pwd.getpwnam("postgres")
                os.chown(copy, user.pw_uid, user.pw_gid)
        return f"-c ssl=on -c ssl_cert_file={copies[0]} -c ssl_key_file={copies[1]}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL in one database; its rows unaligned, without headers."""
        command = [
            str(self.bindir / "psql"),
            "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
            "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
            "-c", sql,
        ]  # fmt: skip
        return run_quietly(command, "psql")

    def socket_psql(self, sql: str, database: str = "postgres", user: str = "postgres") -> str:
        """Run SQL over the Unix socket (`local` lines of pg_hba.conf), as `user`."""
        command = [
            str(self.bindir / "psql"),
            "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
            "-h", str(self.sockets), "-p", str(self.port), "-U", user, "-d", database,
            "-c", sql,
        ]  # fmt: skip
        return run_quietly(command, "psql")

    def create_database(self) -> str:
        name = f"test_{uuid.uuid4().hex[:16]}"
        self.psql(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.pid is not None:
            stop_pid(self.pid, signal.SIGINT)  # "fast" shutdown
            self.pid = None
        shutil.rmtree(self.base, ignore_errors=True)
