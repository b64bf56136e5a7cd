"""`intake-bot run` that cannot start: one line naming the setting, exit status 2, no secret.

Each test runs the installed console script as an operator would, with the failure made real:
a local Bot API server that rejects the token, a port where nothing listens, a database written
with another master key, a PostgreSQL database that does not exist. Failure messages of these
tests never show the process's output (it could hold a secret): they assert on booleans.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from bot.services import Services
from bot.settings import Settings
from localapi import LocalBotApi
from storage.crypto import generate_master_key, parse_master_keys
from storage.db import make_engine
from tests.support.servers import PostgresServer, free_port

EXECUTABLE = str(Path(sys.executable).parent / "intake-bot")
REJECTED_TOKEN = "123456:REJECTED-7f3c9a1e5b2d8c4f6a0e9d3b1c7f5a2e"  # not a real token
PASSWORD = "pw-CANARY-5e1d9c"  # must never reach the output


def run(cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update(settings)
    return subprocess.run(
        [EXECUTABLE, "run"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


def assert_one_line(
    result: subprocess.CompletedProcess[str], expected: str, secrets: list[str]
) -> None:
    """Exit status 2 and exactly `expected` on stderr: no traceback, no secret."""
    leaked = [any(secret in stream for stream in (result.stdout, result.stderr))
              for secret in secrets]  # fmt: skip
    assert not any(leaked), "a secret is in the output"
    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [expected]


def test_a_rejected_token_is_one_line_without_the_token(api: LocalBotApi, tmp_path: Path) -> None:
    keys = generate_master_key()
    result = run(tmp_path, INTAKE_BOT_TOKEN=REJECTED_TOKEN, INTAKE_API_URL=api.base_url,
                 INTAKE_MASTER_KEYS=keys)  # fmt: skip
    assert_one_line(
        result,
        "intake-bot: Telegram rejected INTAKE_BOT_TOKEN: copy the token again from @BotFather"
        " (it may have been revoked)",
        [REJECTED_TOKEN, REJECTED_TOKEN.split(":")[1], keys.split(":")[1]],
    )
    assert api.calls("getMe"), "the token was tried"
    assert not (tmp_path / "data").exists(), "nothing is created before Telegram accepts it"


def test_an_unreachable_bot_api_is_one_line(tmp_path: Path) -> None:
    result = run(tmp_path, INTAKE_BOT_TOKEN=REJECTED_TOKEN,
                 INTAKE_API_URL=f"http://127.0.0.1:{free_port()}/bot",
                 INTAKE_MASTER_KEYS=generate_master_key())  # fmt: skip
    assert_one_line(
        result,
        "intake-bot: the Telegram Bot API cannot be reached (no connection); check the network"
        " and INTAKE_API_URL",
        [REJECTED_TOKEN.split(":")[1]],
    )


def _write_keyring(database_url: str, keys: str) -> None:
    """A database as a first start leaves it: schema and pseudonym key, under `keys`."""
    settings = Settings(_env_file=None, bot_token="1:x", database_url=database_url,  # type: ignore[call-arg]
                        master_keys=keys)  # fmt: skip

    async def start_once() -> None:
        services = await Services.start(settings)
        await services.aclose()

    asyncio.run(start_once())


def test_a_master_key_that_does_not_open_the_database_is_named_by_its_id(
    api: LocalBotApi, tmp_path: Path, database_url: str
) -> None:
    written_with = generate_master_key()
    _write_keyring(database_url, written_with)
    key_id = parse_master_keys(written_with)[0].key_id
    other = generate_master_key()
    result = run(tmp_path, INTAKE_BOT_TOKEN=api.token, INTAKE_API_URL=api.base_url,
                 INTAKE_DATABASE_URL=database_url, INTAKE_MASTER_KEYS=other)  # fmt: skip
    assert_one_line(
        result,
        "intake-bot: INTAKE_MASTER_KEYS does not include the key this database was written"
        f" with (key id {key_id})",
        [api.token, written_with.split(":")[1], other.split(":")[1]],
    )
    # The right id with other key material: said as such.
    same_id = f"{key_id}:{other.split(':')[1]}"
    result = run(tmp_path, INTAKE_BOT_TOKEN=api.token, INTAKE_API_URL=api.base_url,
                 INTAKE_DATABASE_URL=database_url, INTAKE_MASTER_KEYS=same_id)  # fmt: skip
    assert_one_line(
        result,
        f"intake-bot: INTAKE_MASTER_KEYS: the key with id {key_id} is not the key this database"
        " was written with (same id, other key)",
        [api.token, written_with.split(":")[1], other.split(":")[1]],
    )


def test_a_database_that_refuses_the_connection_is_one_line(
    api: LocalBotApi, tmp_path: Path
) -> None:
    url = f"postgresql://intake:{PASSWORD}@127.0.0.1:{free_port()}/intake"
    result = run(tmp_path, INTAKE_BOT_TOKEN=api.token, INTAKE_API_URL=api.base_url,
                 INTAKE_DATABASE_URL=url, INTAKE_MASTER_KEYS=generate_master_key())  # fmt: skip
    assert_one_line(
        result,
        "intake-bot: INTAKE_DATABASE_URL: the database refused the connection (connection refused)",
        [api.token, PASSWORD],
    )


def test_a_postgresql_database_that_does_not_exist_is_one_line(
    api: LocalBotApi, tmp_path: Path, postgres_server: PostgresServer
) -> None:
    url = postgres_server.url_for("no_such_database").replace("postgres@", f"postgres:{PASSWORD}@")
    result = run(tmp_path, INTAKE_BOT_TOKEN=api.token, INTAKE_API_URL=api.base_url,
                 INTAKE_DATABASE_URL=url, INTAKE_MASTER_KEYS=generate_master_key())  # fmt: skip
    assert_one_line(
        result,
        "intake-bot: INTAKE_DATABASE_URL: the database refused the connection (no such database)",
        [api.token, PASSWORD],
    )


def test_a_sqlite_file_that_cannot_be_created_is_one_line(api: LocalBotApi, tmp_path: Path) -> None:
    (tmp_path / "not-a-directory").write_text("", encoding="utf-8")
    path = tmp_path / "not-a-directory" / "intake.db"
    result = run(tmp_path, INTAKE_BOT_TOKEN=api.token, INTAKE_API_URL=api.base_url,
                 INTAKE_DATABASE_URL=f"sqlite:///{path}",
                 INTAKE_MASTER_KEYS=generate_master_key())  # fmt: skip
    assert_one_line(
        result,
        f"intake-bot: INTAKE_DATABASE_URL: cannot create {path}: Not a directory",
        [api.token],
    )


def test_a_redis_that_refuses_the_connection_is_one_line(
    api: LocalBotApi, tmp_path: Path, database_url: str
) -> None:
    redis_url = f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0"
    result = run(tmp_path, INTAKE_BOT_TOKEN=api.token, INTAKE_API_URL=api.base_url,
                 INTAKE_DATABASE_URL=database_url, INTAKE_REDIS_URL=redis_url,
                 INTAKE_MASTER_KEYS=generate_master_key())  # fmt: skip
    assert_one_line(
        result,
        "intake-bot: INTAKE_REDIS_URL: Redis refused the connection (connection refused)",
        [api.token, PASSWORD],
    )


def test_a_database_another_program_made_is_one_line(
    api: LocalBotApi, tmp_path: Path, database_url: str
) -> None:
    async def make_foreign_table() -> None:
        engine = make_engine(database_url)
        try:
            async with engine.begin() as connection:
                await connection.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
        finally:
            await engine.dispose()

    asyncio.run(make_foreign_table())
    keys = generate_master_key()
    result = run(tmp_path, INTAKE_BOT_TOKEN=api.token, INTAKE_API_URL=api.base_url,
                 INTAKE_DATABASE_URL=database_url, INTAKE_MASTER_KEYS=keys)  # fmt: skip
    assert_one_line(
        result,
        "intake-bot: INTAKE_DATABASE_URL: the database has tables but no migration history; it"
        " was not made by this bot",
        [api.token],
    )
