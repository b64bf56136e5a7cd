"""Shared fixtures: throwaway Redis and PostgreSQL servers on free local ports, and a cipher.

The servers are real processes started once per test session and stopped by pid at the end.
A missing binary is a failure, not a skip: a green run must mean the tests really ran.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from storage.crypto import Cipher, MasterKeyWrapper, generate_master_key, parse_master_keys

_START_TIMEOUT = 30.0

# As `intake-bot` does in main(): durations from Telegram as timedelta objects.
os.environ.setdefault("PTB_TIMEDELTA", "1")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _process_gone(pid: int) -> bool:
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


def _stop_pid(pid: int, sig: signal.Signals, timeout: float = 20.0) -> None:
    """Signal one process we started and wait until it is gone (SIGKILL as a last resort)."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _process_gone(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while not _process_gone(pid):
        time.sleep(0.05)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _run(command: list[str], what: str, log: Path | None = None, cwd: Path | None = None) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=120, cwd=cwd)
    except subprocess.CalledProcessError as exc:
        detail = (exc.stdout or "") + (exc.stderr or "")
        if log is not None:
            detail += "\n--- server log ---\n" + _tail(log)
        pytest.fail(f"{what} failed (exit {exc.returncode}):\n{detail}", pytrace=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what} timed out", pytrace=False)


class RedisServer:
    """A redis-server daemon on 127.0.0.1 with no persistence, for one test session."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        self.port = _free_port()
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
        _run(command, "starting redis-server", self.logfile)
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self.pidfile.exists() and self._answers_ping():
                self.pid = int(self.pidfile.read_text().strip())
                return
            time.sleep(0.05)
        pytest.fail(f"redis-server did not answer on port {self.port}:\n{_tail(self.logfile)}")

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.pid is not None:
            _stop_pid(self.pid, signal.SIGTERM)
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


def _postgres_bindir() -> Path | None:
    found = list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        newest = max(found, key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
        return newest.parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, trust auth on 127.0.0.1 only."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = _free_port()
        self.base = Path(tempfile.mkdtemp(prefix="intake-pg-"))
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
                pytest.fail(
                    "running as root but there is no 'postgres' system user to run PostgreSQL "
                    "as; install the postgresql package (it creates the user) or run as a "
                    "non-root user",
                    pytrace=False,
                )
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
        _run(self._as_user + initdb, "initdb", cwd=self.base)
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        pg_ctl = [
            str(self.bindir / "pg_ctl"),
            "-D", str(self.data),
            "-l", str(self.logfile),
            "-w", "-t", str(int(_START_TIMEOUT)),
            "-o", options,
            "start",
        ]  # fmt: skip
        _run(self._as_user + pg_ctl, "pg_ctl start", self.logfile, cwd=self.base)
        self.pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def psql(self, sql: str) -> None:
        command = [
            str(self.bindir / "psql"),
            "-X", "-q", "-v", "ON_ERROR_STOP=1",
            "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
            "-c", sql,
        ]  # fmt: skip
        _run(command, "psql")

    def create_database(self) -> str:
        name = f"test_{uuid.uuid4().hex[:16]}"
        self.psql(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.pid is not None:
            _stop_pid(self.pid, signal.SIGINT)  # "fast" shutdown
            self.pid = None
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if binary is None:
        pytest.fail(
            "redis-server is not installed; run scripts/test (it installs it) or "
            "`apt-get install redis-server`",
            pytrace=False,
        )
    server = RedisServer(binary, tmp_path_factory.mktemp("redis"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found; run scripts/test (it "
            "installs them) or `apt-get install postgresql`",
            pytrace=False,
        )
    server = PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """URL of the session's Redis, emptied before the test."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh empty database per test; every test using this runs on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'intake.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    try:
        yield server.url_for(name)
    finally:
        server.drop_database(name)


@pytest.fixture
def cipher() -> Cipher:
    """A Cipher over one freshly generated master key."""
    return Cipher(MasterKeyWrapper(parse_master_keys(generate_master_key())))
