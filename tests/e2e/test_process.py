"""The installed console script, as an operator runs it: a real process, stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from localapi import LocalBotApi
from storage.crypto import generate_master_key
from tests.e2e.flows import submit_request
from tests.support.people import command, tap
from tests.support.servers import free_port


def bot_env(api: LocalBotApi) -> dict[str, str]:
    """This environment without any INTAKE_ setting, then what every bot here needs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update(
        INTAKE_BOT_TOKEN=api.token,
        INTAKE_API_URL=api.base_url,
        INTAKE_MASTER_KEYS=generate_master_key(),
        INTAKE_POLL_TIMEOUT="1",
    )
    return env


def test_intake_bot_run_serves_a_person_and_stops_cleanly_on_sigterm(
    api: LocalBotApi, tmp_path: Path
) -> None:
    executable = str(Path(sys.executable).parent / "intake-bot")
    env = bot_env(api)
    env.update(
        INTAKE_WEB_LISTEN=f"127.0.0.1:{free_port()}",
        INTAKE_HEALTH_PORT=str(free_port()),
    )
    process = subprocess.Popen(
        [executable, "run"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: os.umask(0o022),  # the usual umask: files others may read
    )  # fmt: skip
    try:
        user = api.user(language_code="en")
        command(user, "/start", expect="Choose your language", timeout=30)
        tap(user, "English", expect="not end-to-end encrypted")
        # INTAKE_WEB_LISTEN: the same process serves the web door, counted in its metrics.
        door = httpx.get(f"http://{env['INTAKE_WEB_LISTEN']}/", timeout=10)
        metrics = httpx.get(f"http://127.0.0.1:{env['INTAKE_HEALTH_PORT']}/metrics", timeout=10)
        data = tmp_path / "data"
        modes = {path.name: stat.S_IMODE(path.stat().st_mode)
                 for path in (data, data / "intake.db", data / "intake.db-wal")}  # fmt: skip
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "bot started" in stderr
    assert door.status_code == 200
    assert 'name="step"' in door.text
    assert 'intake_web_requests_total{page="form",status="2xx"} 1.0' in metrics.text
    assert "Traceback" not in stderr
    assert api.token not in stderr
    assert (tmp_path / "data" / "intake.db").exists()  # the embedded default database
    # Only the bot's own user can open its data, whatever the umask.
    assert modes == {"data": 0o700, "intake.db": 0o600, "intake.db-wal": 0o600}
    # Every line of the start says something: no raw format strings, no alembic internals.
    assert "%s" not in stderr
    assert "[arguments withheld]" not in stderr
    assert "alembic" not in stderr
    assert "created the database schema at revision" in stderr


@pytest.mark.parametrize(
    ("client", "loop"), [("httpx", "asyncio"), ("aiohttp", "uvloop")], ids=["httpx", "aiohttp"]
)
def test_a_whole_questionnaire_on_each_http_client_and_event_loop_despite_telegram_errors(
    api: LocalBotApi, tmp_path: Path, client: str, loop: str
) -> None:
    """INTAKE_HTTP_CLIENT and INTAKE_EVENT_LOOP: a person goes from /start to a sent request
    through the console script, with Telegram refusing, failing and not answering a call on
    the way (429, 500, a held press answer); nothing lost, nothing shown twice."""
    executable = str(Path(sys.executable).parent / "intake-bot")
    env = bot_env(api)
    env.update(
        INTAKE_HEALTH_PORT="0",
        INTAKE_HTTP_CLIENT=client,
        INTAKE_EVENT_LOOP=loop,
    )
    process = subprocess.Popen(
        [executable, "run"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        person = api.user(7120101, language_code="en")
        api.inject_fault("sendMessage", "429", retry_after=1)
        api.inject_fault("editMessageText", "500")
        api.inject_fault("answerCallbackQuery", "timeout", hold=30)  # past the 5 s read timeout
        reference = submit_request(person)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert f"Bot API client {client}, event loop {loop})" in stderr
    assert reference in person.bot_messages()[-1].visible_text
    faults = [(call.method, call.fault) for call in api.calls() if call.fault]
    assert sorted(faults) == [
        ("answerCallbackQuery", "timeout"), ("editMessageText", "500"), ("sendMessage", "429")
    ]  # fmt: skip
    texts = [message.visible_text for message in person.bot_messages()]
    assert sum("Who needs help?" in text for text in texts) <= 1
    assert sum("Your request has been sent" in text for text in texts) == 1
    assert "Traceback" not in stderr
    assert api.token not in stderr
