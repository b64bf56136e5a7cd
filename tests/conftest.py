"""Shared fixtures: throwaway Redis and PostgreSQL servers on free local ports, and a cipher.

The servers are real processes (tests/support/servers.py) started once per test session and
stopped by pid at the end. A missing binary is a failure, not a skip: a green run must mean the
tests really ran.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.crypto import Cipher, MasterKeyWrapper, generate_master_key, parse_master_keys
from tests.support.servers import (
    PostgresServer,
    RedisServer,
    ServerError,
    postgres_bindir,
    redis_binary,
)

# As `intake-bot` does in main(): durations from Telegram as timedelta objects.
os.environ.setdefault("PTB_TIMEDELTA", "1")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    binary = redis_binary()
    if binary is None:
        pytest.fail(
            "redis-server is not installed; run scripts/test (it installs it) or "
            "`apt-get install redis-server`",
            pytrace=False,
        )
    server = RedisServer(binary, tmp_path_factory.mktemp("redis"))
    try:
        try:
            server.start()
        except ServerError as exc:
            pytest.fail(str(exc), pytrace=False)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = postgres_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found; run scripts/test (it "
            "installs them) or `apt-get install postgresql`",
            pytrace=False,
        )
    try:
        server = PostgresServer(bindir)
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        try:
            server.start()
        except ServerError as exc:
            pytest.fail(str(exc), pytrace=False)
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
