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

SettingsFactory = Callable[..., Settings]


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
