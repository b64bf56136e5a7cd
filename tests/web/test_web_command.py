"""`intake-bot web`: a bad --listen or the desk's role is refused in one line, exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.crypto import generate_desk_key_pair


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
