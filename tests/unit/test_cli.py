"""The command line: clear one-line errors with exit status 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from storage.crypto import parse_master_keys

ROOT = Path(__file__).resolve().parents[2]


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=clean,
        cwd=cwd or ROOT,
        timeout=60,
        check=False,
    )


def test_keys_generate_prints_a_usable_key() -> None:
    first, second = run("keys", "generate"), run("keys", "generate")
    assert first.returncode == 0
    keys = parse_master_keys(first.stdout.strip())
    assert len(keys) == 1
    assert len(keys[0].key) == 32
    assert first.stdout != second.stdout


def test_run_without_a_token_names_the_variable(tmp_path: Path) -> None:
    result = run("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "INTAKE_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_run_without_a_key_says_how_to_make_one(tmp_path: Path) -> None:
    result = run("run", env={"INTAKE_BOT_TOKEN": "1:abc"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "INTAKE_MASTER_KEYS" in result.stderr
    assert "intake-bot keys generate" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_key_is_named_without_echoing_it(tmp_path: Path) -> None:
    secretish = "k1:not-base64-at-all-but-secret"
    result = run(
        "run", env={"INTAKE_BOT_TOKEN": "1:abc", "INTAKE_MASTER_KEYS": secretish}, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "INTAKE_MASTER_KEYS" in result.stderr
    assert "not-base64-at-all-but-secret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_setting_is_one_line(tmp_path: Path) -> None:
    result = run("run", env={"INTAKE_DRAFT_TTL_HOURS": "soon"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("intake-bot: INTAKE_DRAFT_TTL_HOURS")
    assert len(result.stderr.strip().splitlines()) == 1


def test_settings_are_read_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("INTAKE_BOT_TOKEN=1:abc\n", encoding="utf-8")
    result = run("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "INTAKE_MASTER_KEYS" in result.stderr  # the token was found, the key is next
