"""Master key rotation, the whole cycle, while the bot runs; and the purge command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.inprocess import BotThread
from localapi import LocalBotApi
from storage.crypto import generate_master_key
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import submit_request
from tests.support.people import command

ADMIN_ID = 6770001


def intake_bot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    clean.update(env)
    return subprocess.run(
        [str(Path(sys.executable).parent / "intake-bot"), *args],
        env=clean, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_rotate_while_running_then_remove_the_old_key(
    api: LocalBotApi, make_settings: SettingsFactory, redis_url: str, database_url: str
) -> None:
    old, new = generate_master_key(), generate_master_key()
    admin = api.user(ADMIN_ID, language_code="en")
    before = api.user(6770101, language_code="en")
    after = api.user(6770102, language_code="en")
    common = {"redis_url": redis_url, "admin_ids": [ADMIN_ID]}

    with BotThread(make_settings(master_keys=old, **common)):
        command(admin, "/queue", expect="The queue is empty")
        first = submit_request(before, details="Written under the old key.")
        command(admin, "/take", args=first, expect="Written under the old key.")
        command(admin, "/reply", args=f"{first} A reply under the old key.", expect="Sent")

    with BotThread(make_settings(master_keys=f"{new},{old}", **common)):
        second = submit_request(after, details="Written during the rotation.")
        rotated = intake_bot(
            "keys", "rotate",
            env={"INTAKE_MASTER_KEYS": f"{new},{old}", "INTAKE_DATABASE_URL": database_url},
        )  # fmt: skip
        assert rotated.returncode == 0, rotated.stderr
        assert "can be removed" in rotated.stdout
        assert old.split(":")[0] not in rotated.stdout.split("master key id:")[1]

    with BotThread(make_settings(master_keys=new, **common)):
        view = command(admin, "/case", args=first, expect="Conversation:")
        assert "Written under the old key." in view.visible_text
        assert "A reply under the old key." in view.visible_text
        command(admin, "/take", args=second, expect="Written during the rotation.")
        command(before, "/status", expect=f"working on your request {first}")  # pseudonyms hold


def test_purge_command_runs_against_the_configured_database(database_url: str) -> None:
    env = {"INTAKE_MASTER_KEYS": generate_master_key(), "INTAKE_DATABASE_URL": database_url,
           "INTAKE_BOT_TOKEN": "1:x"}  # fmt: skip
    purged = intake_bot("purge", env=env)
    assert purged.returncode == 0, purged.stderr
    assert "PurgeReport(cases=0" in purged.stdout


def test_rekey_while_running_then_only_the_new_key_opens_anything(
    api: LocalBotApi, make_settings: SettingsFactory, redis_url: str, database_url: str
) -> None:
    old, new = generate_master_key(), generate_master_key()
    admin = api.user(ADMIN_ID, language_code="en")
    before = api.user(6770103, language_code="en")
    during = api.user(6770104, language_code="en")
    common = {"redis_url": redis_url, "admin_ids": [ADMIN_ID]}

    with BotThread(make_settings(master_keys=old, **common)):
        command(admin, "/queue", expect="The queue is empty")
        first = submit_request(before, details="Written before the leak.")
        command(admin, "/take", args=first, expect="Written before the leak.")
        command(admin, "/reply", args=f"{first} A reply before the leak.", expect="Sent")

    with BotThread(make_settings(master_keys=f"{new},{old}", **common)):
        rekey = subprocess.Popen(
            [str(Path(sys.executable).parent / "intake-bot"), "keys", "rotate", "--rekey"],
            env={**{k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")},
                 "INTAKE_MASTER_KEYS": f"{new},{old}", "INTAKE_DATABASE_URL": database_url},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        # The bot keeps serving while the re-key runs: a new request and a follow-up.
        second = submit_request(during, details="Written during the re-key.")
        command(before, "/status", expect=first)
        out, err = rekey.communicate(timeout=120)
        assert rekey.returncode == 0, err
        assert "new data keys under" in out
        assert "busy, not re-keyed: 0" in out
        assert "can be removed" in out

    with BotThread(make_settings(master_keys=new, **common)):  # the old key is destroyed
        view = command(admin, "/case", args=first, expect="Conversation:")
        assert "Written before the leak." in view.visible_text
        assert "A reply before the leak." in view.visible_text
        command(admin, "/take", args=second, expect="Written during the re-key.")
        command(before, "/status", expect=f"working on your request {first}")  # pseudonyms hold
