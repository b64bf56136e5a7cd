"""Sealed mode end to end: two bots, each with its own local Bot API server and token, one
database. People write to the intake bot (`--role intake`, holding only the desk's public key);
volunteers work from the desk bot (`--role desk`, holding the private key)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.inprocess import BotThread
from bot.settings import Settings
from localapi import FakeUser, LocalBotApi
from storage.crypto import generate_desk_key_pair, generate_master_key
from tests.support.people import command
from tests.support.servers import PostgresServer

ADMIN_ID = 5560001


@dataclass
class SealedPair:
    """The two bots and their two servers; `desk_public` is what the intake host is given."""

    people: LocalBotApi
    desk_api: LocalBotApi
    intake: BotThread
    desk: BotThread
    master_keys: str
    desk_private: str
    desk_public: str
    database_url: str

    def restart_desk(self) -> BotThread:
        """Stop the desk bot (if it runs) and start it again, as its host coming back."""
        self.desk.stop()
        self.desk.check()
        self.desk = BotThread(self.desk.settings, name="desk").start()
        return self.desk

    def restart_intake(self) -> BotThread:
        self.intake.stop()
        self.intake.check()
        self.intake = BotThread(self.intake.settings, name="intake").start()
        return self.intake

    def admin(self) -> FakeUser:
        admin = self.desk_api.user(ADMIN_ID, language_code="en", username="admin_username_x")
        command(admin, "/queue", expect="The queue is empty")
        return admin

    def volunteer(self, admin: FakeUser, user_id: int) -> FakeUser:
        invite = command(admin, "/invite", expect="One-time invite")
        code = invite.visible_text.split("/join ")[1].split()[0].rstrip(".")
        volunteer = self.desk_api.user(user_id, language_code="en", username=f"vol_{user_id}")
        command(volunteer, "/join", args=code, expect="Welcome to the desk")
        return volunteer


def sealed_settings(
    api: LocalBotApi, data_dir: Path, database_url: str, role: str, **values: Any
) -> Settings:
    base: dict[str, Any] = {
        "bot_token": api.token,
        "api_url": api.base_url,
        "data_dir": data_dir,
        "database_url": database_url,
        "poll_timeout": 1,
        "health_port": 0,
        "role": role,
        "sealed_poll_seconds": 0.2,
    }
    base.update(values)
    return Settings(_env_file=None, **base)  # type: ignore[call-arg]


@contextmanager
def start_sealed(
    tmp_path: Path,
    database_url: str,
    *,
    intake: dict[str, Any] | None = None,
    desk: dict[str, Any] | None = None,
) -> Iterator[SealedPair]:
    """Both bots on their own local servers, one database; `intake`, `desk`: more settings."""
    private, public = generate_desk_key_pair()
    master = generate_master_key()
    with LocalBotApi() as people, LocalBotApi() as desk_api:
        intake_settings = sealed_settings(
            people, tmp_path / "intake", database_url, "intake",
            master_keys=master, desk_public_key=public, **(intake or {}),
        )  # fmt: skip
        desk_settings = sealed_settings(
            desk_api, tmp_path / "desk", database_url, "desk",
            desk_private_key=private, admin_ids=[ADMIN_ID], **(desk or {}),
        )  # fmt: skip
        # The intake first: it makes the schema and publishes its delivery key.
        pair = SealedPair(
            people, desk_api, BotThread(intake_settings, name="intake").start(), None,  # type: ignore[arg-type]
            master, private, public, database_url,
        )  # fmt: skip
        try:
            pair.desk = BotThread(desk_settings, name="desk").start()
            yield pair
        finally:
            for side in (pair.desk, pair.intake):
                if side is not None:
                    side.stop()
            for side in (pair.desk, pair.intake):
                if side is not None:
                    side.check()


@pytest.fixture
def postgresql_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh PostgreSQL database: sealed mode's two hosts share one over the network."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.url_for(name)
    finally:
        postgres_server.drop_database(name)


@pytest.fixture
def sealed(tmp_path: Path, postgresql_url: str) -> Iterator[SealedPair]:
    """Both bots on PostgreSQL, as two hosts run them (the sealed demo runs them on SQLite:
    `tests/e2e/test_demo.py`; the seizure test runs on both)."""
    with start_sealed(tmp_path, postgresql_url) as pair:
        yield pair
