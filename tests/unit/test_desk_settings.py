"""Sealed mode's settings: the role and the desk keys must fit each other, said in one line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.settings import Settings, SettingsError
from storage.crypto import generate_desk_key_pair

PRIVATE, PUBLIC = generate_desk_key_pair()
NEWER_PRIVATE, _ = generate_desk_key_pair()


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("INTAKE_"):
            monkeypatch.delenv(name)


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _error(settings: Settings) -> str:
    with pytest.raises(SettingsError) as error:
        settings.check_role()
    message = str(error.value)
    assert "\n" not in message
    for secret in (PRIVATE, PUBLIC, NEWER_PRIVATE):
        assert secret.split(":")[1] not in message
    return message


def test_the_default_role_is_all_and_needs_no_desk_key() -> None:
    settings = _settings()
    assert settings.role == "all"
    settings.check_role()


def test_the_intake_needs_the_public_key_and_only_it() -> None:
    intake = _settings(role="intake", desk_public_key=SecretStr(PUBLIC))
    intake.check_role()
    assert intake.desk_public().entry() == PUBLIC
    assert "INTAKE_DESK_PUBLIC_KEY is not set" in _error(_settings(role="intake"))
    message = _error(
        _settings(role="intake", desk_public_key=PUBLIC, desk_private_key=SecretStr(PRIVATE))
    )
    assert message.startswith("INTAKE_DESK_PRIVATE_KEY must not be on the intake host")
    broken = _settings(role="intake", desk_public_key=SecretStr(PUBLIC[:-3]))
    assert _error(broken).startswith("INTAKE_DESK_PUBLIC_KEY: ")


def test_the_desk_needs_its_private_keys_newest_first() -> None:
    desk = _settings(role="desk", desk_private_key=SecretStr(f"{NEWER_PRIVATE}, {PRIVATE}"))
    desk.check_role()
    ids = [key.key_id for key in desk.desk_private()]
    assert ids == [NEWER_PRIVATE.split(":")[0], PRIVATE.split(":")[0]]
    assert "INTAKE_DESK_PRIVATE_KEY is not set" in _error(_settings(role="desk"))
    broken = _settings(role="desk", desk_private_key=SecretStr(PRIVATE.replace(":", "")))
    broken_too = _settings(role="desk", desk_private_key=SecretStr(PRIVATE + "AA"))
    assert _error(broken).startswith("INTAKE_DESK_PRIVATE_KEY: ")
    assert _error(broken_too).startswith("INTAKE_DESK_PRIVATE_KEY: ")


def test_role_all_with_a_desk_key_says_which_role_to_set() -> None:
    message = _error(_settings(desk_public_key=SecretStr(PUBLIC)))
    assert message.startswith("INTAKE_DESK_PUBLIC_KEY is set")
    assert "set --role intake or --role desk" in message
    both = _error(_settings(desk_public_key=PUBLIC, desk_private_key=PRIVATE))
    assert both.startswith("INTAKE_DESK_PUBLIC_KEY and INTAKE_DESK_PRIVATE_KEY are set")


def test_an_unknown_role_is_named() -> None:
    assert _error(_settings(role="both")).startswith("INTAKE_ROLE must be all, intake or desk")
    assert _settings(role=" Desk ").role == "desk"


def test_desk_keys_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_file, public_file = tmp_path / "private", tmp_path / "public"
    private_file.write_text(PRIVATE + "\n", encoding="utf-8")
    public_file.write_text(PUBLIC + "\n", encoding="utf-8")
    monkeypatch.setenv("INTAKE_ROLE", "desk")
    monkeypatch.setenv("INTAKE_DESK_PRIVATE_KEY_FILE", str(private_file))
    desk = _settings()
    desk.check_role()
    assert desk.desk_private()[0].public().entry() == PUBLIC
    intake = _settings(role="intake", desk_public_key_file=public_file)
    assert _error(intake).startswith("INTAKE_DESK_PRIVATE_KEY must not be on the intake host")
    monkeypatch.delenv("INTAKE_DESK_PRIVATE_KEY_FILE")
    _settings(role="intake", desk_public_key_file=public_file).check_role()
    missing = _settings(role="intake", desk_public_key_file=tmp_path / "nowhere")
    assert _error(missing).startswith("INTAKE_DESK_PUBLIC_KEY_FILE: cannot read")
