"""End-to-end fixtures: the local Bot API server, settings pointing at it, the running bot."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.inprocess import BotThread
from bot.settings import Settings
from localapi import LocalBotApi
from storage.crypto import generate_master_key
from tests.e2e.sealed import postgresql_url, sealed  # noqa: F401 (sealed mode's two bots)

SettingsFactory = Callable[..., Settings]

HERE = Path(__file__).parent
# Crash, restart and outage drills: whole files, and single tests in other files (by file and
# function name). `-m "not drill"` leaves them out.
DRILL_FILES = frozenset(
    {
        "test_commands_and_outages.py",
        "test_crash_drills.py",
        "test_drills.py",
        "test_one_poller.py",
        "test_redis_full.py",
        "test_sealed_processes.py",
        "test_two_processes.py",
    }
)
DRILL_TESTS = frozenset(
    {
        "test_desk_access.py::test_a_revoked_configured_admin_stays_revoked_also_after_a_restart",
        "test_restart_and_privacy.py::test_a_draft_survives_a_restart_in_the_middle",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test here `e2e`, and the drill files' tests `drill` (this hook sees the whole
    session's items, so it picks out this directory's own)."""
    for item in items:
        if HERE not in item.path.parents:
            continue
        item.add_marker(pytest.mark.e2e)
        function = getattr(item, "originalname", item.name)
        if item.path.name in DRILL_FILES or f"{item.path.name}::{function}" in DRILL_TESTS:
            item.add_marker(pytest.mark.drill)


@pytest.fixture
def api() -> Iterator[LocalBotApi]:
    with LocalBotApi() as server:
        yield server


@pytest.fixture
def master_keys() -> str:
    return generate_master_key()


@pytest.fixture
def make_settings(
    api: LocalBotApi, tmp_path: Path, master_keys: str, database_url: str
) -> SettingsFactory:
    """Settings for the bot under test; every end-to-end test runs on SQLite and PostgreSQL."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "bot_token": api.token,
            "api_url": api.base_url,
            "data_dir": tmp_path / "data",
            "database_url": database_url,
            "master_keys": master_keys,
            "poll_timeout": 1,
            "health_port": 0,  # off unless a test asks for it
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
def bot(make_settings: SettingsFactory) -> Iterator[BotThread]:
    with BotThread(make_settings()) as runner:
        yield runner


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """For the product's own logging set-up (`bot.logs.configure`): every level restored after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    stream = io.StringIO()
    yield stream
    root.handlers[:], root.level = saved
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
