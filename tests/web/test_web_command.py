"""`intake-bot web` as a process: what it serves, and a bad --listen, INTAKE_WEB_LISTEN or role
refused in one line, exit status 2."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from storage.crypto import generate_desk_key_pair, generate_master_key
from tests.support.servers import free_port


def run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True, text=True, env={**clean, **env}, cwd=cwd, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("listen", ["8088", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000"])
def test_a_bad_listen_address_is_refused(listen: str, tmp_path: Path) -> None:
    result = run("web", "--listen", listen, env={}, cwd=tmp_path)
    assert result.returncode == 2
    assert "HOST:PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_desk_does_not_serve_the_form(tmp_path: Path) -> None:
    private, _ = generate_desk_key_pair()
    env = {"INTAKE_ROLE": "desk", "INTAKE_DESK_PRIVATE_KEY": private}
    result = run("web", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "INTAKE_ROLE all or intake" in result.stderr
    assert private.split(":")[1] not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_web_door_serves_with_health_and_metrics_and_stops_on_sigterm(tmp_path: Path) -> None:
    """As an operator runs it (`intake-bot web`, no bot token): the form, /healthz and /metrics
    on INTAKE_HEALTH_PORT (Telegram is not asked: the door must stay healthy while it is away),
    and a clean stop."""
    web, health = free_port(), free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env = {
        **clean,
        "INTAKE_MASTER_KEYS": generate_master_key(),
        "INTAKE_WEB_LISTEN": f"127.0.0.1:{web}",
        "INTAKE_HEALTH_PORT": str(health),
    }
    executable = str(Path(sys.executable).parent / "intake-bot")
    process = subprocess.Popen(
        [executable, "web"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        page = _get_when_up(f"http://127.0.0.1:{web}/")
        state = httpx.get(f"http://127.0.0.1:{health}/healthz", timeout=10)
        metrics = httpx.get(f"http://127.0.0.1:{health}/metrics", timeout=10).text
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert page.status_code == 200
    assert 'name="step"' in page.text
    assert state.status_code == 200
    assert state.json() == {"status": "ok", "database": "ok"}
    assert 'intake_web_requests_total{page="form",status="2xx"} 1.0' in metrics
    assert "intake_cases" in metrics
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "web door listening" in stderr
    assert "GET" not in stderr


def _get_when_up(url: str) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_a_bad_web_listen_setting_is_one_line(tmp_path: Path) -> None:
    result = run("web", env={"INTAKE_WEB_LISTEN": "8088"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("intake-bot: INTAKE_WEB_LISTEN")
    assert "HOST:PORT" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_desk_refuses_a_web_listen_setting(tmp_path: Path) -> None:
    private, _ = generate_desk_key_pair()
    env = {"INTAKE_ROLE": "desk", "INTAKE_DESK_PRIVATE_KEY": private,
           "INTAKE_WEB_LISTEN": "127.0.0.1:8088"}  # fmt: skip
    result = run("check", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "role           FAILED: INTAKE_WEB_LISTEN is set but the role is desk" in result.stdout
    assert private.split(":")[1] not in result.stdout + result.stderr
