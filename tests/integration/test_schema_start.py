"""The bot creates a new database itself, but refuses an outdated one until it is migrated."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.services import Services
from bot.settings import Settings, SettingsError
from storage import schema
from storage.crypto import generate_master_key


def settings_for(database_url: str) -> Settings:
    return Settings(_env_file=None, bot_token="1:x", database_url=database_url,  # type: ignore[call-arg]
                    master_keys=generate_master_key())  # fmt: skip


async def test_an_empty_database_is_created_at_the_newest_revision(database_url: str) -> None:
    services = await Services.start(settings_for(database_url))
    try:
        assert await schema.current_revision(services.database) == schema.head_revision()
    finally:
        await services.aclose()


async def test_an_outdated_database_is_refused_until_migrated(database_url: str) -> None:
    await schema.upgrade(database_url, schema.BASELINE_REVISION)
    with pytest.raises(SettingsError, match=r"outdated.*intake-bot migrate"):
        await Services.start(settings_for(database_url))
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env["INTAKE_DATABASE_URL"] = database_url
    migrated = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", "migrate"], env=env, text=True,
        capture_output=True, check=False, timeout=120, cwd=Path(__file__).parent,
    )  # fmt: skip
    assert migrated.returncode == 0, migrated.stderr
    assert schema.head_revision() in migrated.stdout
    services = await Services.start(settings_for(database_url))
    await services.aclose()
