"""The command line: clear one-line errors with exit status 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.crypto import generate_master_key, parse_master_keys

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


def test_an_unknown_desk_language_is_one_line(tmp_path: Path) -> None:
    env = {"INTAKE_BOT_TOKEN": "1:abc", "INTAKE_MASTER_KEYS": generate_master_key(),
           "INTAKE_DESK_LANGUAGE": "de"}  # fmt: skip
    result = run("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "intake-bot: INTAKE_DESK_LANGUAGE must be one of ru, en"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("lawyers=-1001", "intake-bot: INTAKE_TEAM_CHAT_IDS: no team 'lawyers' in"
                          " dialogs/routing.yaml (teams: duty, evacuation, asylum, legal, psych)"),
        ("legal", "intake-bot: INTAKE_TEAM_CHAT_IDS"),
        ("legal=group", "intake-bot: INTAKE_TEAM_CHAT_IDS"),
    ],
)  # fmt: skip
def test_a_wrong_team_chat_setting_is_one_line(tmp_path: Path, value: str, said: str) -> None:
    env = {"INTAKE_BOT_TOKEN": "1:abc", "INTAKE_MASTER_KEYS": generate_master_key(),
           "INTAKE_TEAM_CHAT_IDS": value}  # fmt: skip
    result = run("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(said), lines
    assert "Traceback" not in result.stderr


def test_settings_are_read_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("INTAKE_BOT_TOKEN=1:abc\n", encoding="utf-8")
    (tmp_path / ".env").chmod(0o600)
    result = run("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "INTAKE_MASTER_KEYS" in result.stderr  # the token was found, the key is next


def test_every_subcommand_has_help() -> None:
    for command in ("run", "migrate", "purge", "check", "stats", "demo"):
        result = run(command, "--help")
        assert result.returncode == 0, command
        assert "usage: intake-bot" in result.stdout
    for command in ("generate", "rotate", "generate-desk", "rotate-desk"):
        assert run("keys", command, "--help").returncode == 0


def test_check_reports_every_part_in_one_go(tmp_path: Path) -> None:
    from storage.crypto import generate_master_key

    env = {"INTAKE_BOT_TOKEN": "1:abc", "INTAKE_MASTER_KEYS": generate_master_key(),
           "INTAKE_DATABASE_URL": f"sqlite:///{tmp_path / 'intake.db'}"}  # fmt: skip
    good = run("check", env=env, cwd=tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr
    for part in ("token", "master keys", "questionnaire", "routing", "database", "redis"):
        assert part in good.stdout
    bad = run("check", env={**env, "INTAKE_REDIS_URL": "redis://127.0.0.1:1/0",
                            "INTAKE_MASTER_KEYS": ""}, cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 1
    assert "master keys    FAILED" in bad.stdout
    assert "redis          FAILED" in bad.stdout
    assert "questionnaire  ok" in bad.stdout  # the report goes on past a failure


def test_stats_prints_aggregates_only(tmp_path: Path) -> None:
    from storage.crypto import generate_master_key

    url = f"sqlite:///{tmp_path / 'intake.db'}"
    env = {"INTAKE_MASTER_KEYS": generate_master_key(), "INTAKE_DATABASE_URL": url}
    assert run("migrate", env=env, cwd=tmp_path).returncode == 0
    result = run("stats", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "cases waiting: 0" in result.stdout
    assert "median time to first reply: none yet" in result.stdout


def test_demo_help_shows_the_demos_own_options() -> None:
    result = run("demo", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: intake-bot demo")
    for option in ("--language", "--wait", "--quiet"):
        assert option in result.stdout, option


def test_check_with_no_settings_creates_nothing(tmp_path: Path) -> None:
    result = run("check", cwd=tmp_path)
    assert result.returncode == 1  # no token, no key
    assert "database       not created yet (the first start creates it)" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_run_with_nothing_set_names_every_missing_setting_in_one_line(tmp_path: Path) -> None:
    result = run("run", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("intake-bot: INTAKE_BOT_TOKEN is not set")
    assert "; INTAKE_MASTER_KEYS is not set: make a key with `intake-bot keys generate`" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_migrate_says_what_it_did_without_raw_format_strings(tmp_path: Path) -> None:
    env = {"INTAKE_DATABASE_URL": f"sqlite:///{tmp_path / 'intake.db'}"}
    result = run("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "%s" not in result.stderr
    assert "[arguments withheld]" not in result.stderr
    assert "alembic" not in result.stderr  # "Context impl SQLiteImpl." at every start said nothing
    assert result.stdout.startswith("database schema is at revision ")


def test_a_dotenv_file_other_users_can_read_is_refused(tmp_path: Path) -> None:
    token = "1:dotenv-canary-4b7e"
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"INTAKE_BOT_TOKEN={token}\n", encoding="utf-8")
    dotenv.chmod(0o644)
    result = run("run", cwd=tmp_path)
    leaked = token.split(":")[1] in result.stdout + result.stderr
    assert not leaked
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "intake-bot: other users have access to .env (mode 0644): run `chmod 600 .env`"
    ]


def test_a_database_file_other_users_can_read_is_refused(tmp_path: Path) -> None:
    env = {"INTAKE_BOT_TOKEN": "1:abc", "INTAKE_MASTER_KEYS": generate_master_key(),
           "INTAKE_DATABASE_URL": "sqlite:///data/intake.db"}  # fmt: skip
    assert run("migrate", env=env, cwd=tmp_path).returncode == 0
    database = tmp_path / "data" / "intake.db"
    assert database.stat().st_mode & 0o777 == 0o600  # as made
    for name in ("intake.db", "intake.db-wal"):
        exposed = tmp_path / "data" / name
        exposed.touch()
        exposed.chmod(0o640)
        result = run("run", env=env, cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            f"intake-bot: INTAKE_DATABASE_URL: other users have access to data/{name}"
            f" (mode 0640): run `chmod 600 data/{name}`"
        ]
        checked = run("check", env=env, cwd=tmp_path)
        assert checked.returncode == 1
        assert f"database       FAILED: other users have access to data/{name}" in checked.stdout
        exposed.chmod(0o600)


def test_an_unexpected_error_says_where_without_its_message(tmp_path: Path) -> None:
    """A bug nobody foresaw (here: one planted in `check`): where it happened and its type,
    never its message, which could hold a secret; exit status 1."""
    canary = "unexpected-canary-93f1"
    plant = (
        "import sys, bot.__main__ as cli\n"
        "def broken(settings):\n"
        f"    raise RuntimeError({canary!r})\n"
        "cli._check = broken\n"
        "sys.exit(cli.main(['check']))\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    result = subprocess.run(
        [sys.executable, "-c", plant], capture_output=True, text=True, env=clean, cwd=ROOT,
        timeout=60, check=False,
    )  # fmt: skip
    leaked = canary in result.stdout + result.stderr
    assert not leaked
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[-1].startswith("intake-bot: unexpected error: RuntimeError at <string>:3")


def run_with_packaged_file(
    tmp_path: Path, module: str, bad: Path, command: str
) -> subprocess.CompletedProcess[str]:
    """`intake-bot COMMAND` with `module.load` reading `bad` instead of the packaged file (there
    is no setting for another questionnaire or routing file), with a token and a master key."""
    plant = (
        f"import sys, bot.__main__ as cli, {module} as data\n"
        "shipped = data.load\n"
        f"data.load = lambda path=None, **kw: shipped({str(bad)!r}, **kw)\n"
        f"sys.exit(cli.main([{command!r}]))\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    clean.update({"INTAKE_BOT_TOKEN": "1:abc", "INTAKE_MASTER_KEYS": generate_master_key()})
    return subprocess.run(
        [sys.executable, "-c", plant], capture_output=True, text=True, env=clean, cwd=tmp_path,
        timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("breakage", "said"),
    [
        (("    next: details\n", "    next: nowhere\n"),
         "intake-bot: dialogs/intake.yaml: questionnaire is invalid: step 'codeword': unknown"
         " target 'nowhere'"),
        (("version: 1", "version: [1"), "intake-bot: dialogs/intake.yaml: not valid YAML at line"),
    ],
)  # fmt: skip
def test_a_broken_questionnaire_is_one_line_and_exit_2(
    tmp_path: Path, breakage: tuple[str, str], said: str
) -> None:
    """A questionnaire that does not hold together (or is not YAML) stops `run` before anything
    starts, with one line and exit 2, never a traceback (the packaged file is swapped for a
    broken copy, as there is no setting for another file)."""
    shipped = (ROOT / "dialogs" / "intake.yaml").read_text(encoding="utf-8")
    assert breakage[0] in shipped
    bad = tmp_path / "intake.yaml"
    bad.write_text(shipped.replace(*breakage, 1), "utf-8")
    result = run_with_packaged_file(tmp_path, "dialogs.spec", bad, "run")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(said), lines


def test_a_broken_routing_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """A routing rule naming a team that does not exist stops `run` before anything starts:
    one line naming the file, the rule and the team; exit status 2 (the packaged file is
    swapped for a broken copy here, as there is no setting for another file)."""
    shipped = (ROOT / "dialogs" / "routing.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "routing.yaml"
    bad.write_text(shipped.replace("  - team: psych\n", "  - team: psychology\n"), "utf-8")
    result = run_with_packaged_file(tmp_path, "dialogs.routing", bad, "run")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "intake-bot: dialogs/routing.yaml: rule 5: unknown team 'psychology'"
    ]
    checked = run_with_packaged_file(tmp_path, "dialogs.routing", bad, "check")
    assert checked.returncode == 1
    assert "routing        FAILED: dialogs/routing.yaml: rule 5: unknown team" in checked.stdout


def test_an_outcome_without_its_text_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """An outcome in dialogs/routing.yaml with no name in the locales stops `run` before
    anything starts, like a team without one: one line naming it, exit status 2."""
    shipped = (ROOT / "dialogs" / "routing.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "routing.yaml"
    bad.write_text(shipped.replace("  - no_contact ", "  - no_answer "), "utf-8")
    result = run_with_packaged_file(tmp_path, "dialogs.routing", bad, "run")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "intake-bot: dialogs/routing.yaml: ru: missing text outcome-no_answer; "
        "en: missing text outcome-no_answer"
    ]


def test_stats_by_month_team_and_outcome_prints_counts_only(tmp_path: Path) -> None:
    """`stats --by`: a header and tab-separated counts (none yet here); a grouping that does
    not exist is one line and exit status 2."""
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    env = {"INTAKE_MASTER_KEYS": generate_master_key(), "INTAKE_DATABASE_URL": url}
    assert run("migrate", env=env, cwd=tmp_path).returncode == 0
    result = run("stats", "--by", "month,team,outcome", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["month\tteam\toutcome\tcases"]
    wrong = run("stats", "--by", "month,day", env=env, cwd=tmp_path)
    assert wrong.returncode == 2
    assert wrong.stderr.strip().splitlines()[-1] == (
        "intake-bot stats: error: argument --by: give one or more of month,team,outcome, "
        "each once, separated by commas"
    )


def test_keys_generate_desk_prints_a_pair_and_nothing_else() -> None:
    from storage.crypto import parse_desk_private_keys, parse_desk_public_key

    first, second = run("keys", "generate-desk"), run("keys", "generate-desk")
    assert first.returncode == 0
    assert first.stderr == ""
    private_line, public_line = first.stdout.splitlines()
    assert private_line.startswith("INTAKE_DESK_PRIVATE_KEY=")
    assert public_line.startswith("INTAKE_DESK_PUBLIC_KEY=")
    (private,) = parse_desk_private_keys(private_line.partition("=")[2])
    public = parse_desk_public_key(public_line.partition("=")[2])
    assert private.public() == public
    assert first.stdout != second.stdout


def _sealed_database(url: str, old_private: str) -> tuple[str, int]:
    """A database the intake wrote to in sealed mode under the desk key `old_private`: its
    own keyring row under its master key, a person and a case (and its answers) sealed to the
    desk.
    Returns (the intake's master key id, how many keys are sealed to the desk)."""
    import asyncio

    from storage.cases import create_case
    from storage.crypto import (
        Cipher,
        DeskKeyWrapper,
        MasterKeyWrapper,
        parse_desk_private_keys,
    )
    from storage.db import make_engine, make_sessionmaker
    from storage.keyring import load_pseudonymizer
    from storage.persons import upsert_person
    from storage.schema import upgrade_engine

    master = Cipher(MasterKeyWrapper(parse_master_keys(generate_master_key())))
    (desk_key,) = parse_desk_private_keys(old_private)
    intake = Cipher(DeskKeyWrapper(public=desk_key.public()))

    async def write() -> None:
        engine = make_engine(url)
        try:
            await upgrade_engine(engine)
            async with make_sessionmaker(engine).begin() as session:
                await load_pseudonymizer(session, master)
                person = await upsert_person(
                    session, intake, pseudonym="p", chat_id=77, language="en"
                )
                await create_case(
                    session, intake, person=person, answers={"a": 1}, priority=1,
                    category="c", language="en",
                )  # fmt: skip
        finally:
            await engine.dispose()

    asyncio.run(write())
    return master.newest_key_id, 3


def test_keys_rotate_desk_moves_the_desks_keys_and_names_the_new_public_key(
    tmp_path: Path,
) -> None:
    from storage.crypto import generate_desk_key_pair, parse_desk_private_keys

    old_private, _ = generate_desk_key_pair()
    new_private, new_public = generate_desk_key_pair()
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    master_id, sealed = _sealed_database(url, old_private)
    old_id, new_id = old_private.split(":")[0], new_private.split(":")[0]
    env = {"INTAKE_DESK_PRIVATE_KEY": f"{new_private},{old_private}", "INTAKE_DATABASE_URL": url}

    result = run("keys", "rotate-desk", env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"re-wrapped under {new_id}: keyring 0, persons 1, cases 1,")
    assert lines[0].endswith("unreadable: 0; still under older keys: 0")
    assert lines[1] == f"wrapped keys by desk key id: {new_id}={sealed}, {old_id}=0"
    assert lines[2] == "wrapped keys under other ids (the intake's, left alone): 1"
    assert lines[3] == "older desk keys are no longer used and can be removed"
    assert lines[4] == f"give the intake host the new INTAKE_DESK_PUBLIC_KEY={new_public}"
    for secret in (old_private, new_private):
        assert secret.split(":")[1] not in result.stdout + result.stderr
    assert master_id not in result.stdout  # the intake's key is none of the desk's business
    (new_key,) = parse_desk_private_keys(new_private)
    assert new_key.public().entry() == new_public

    missing = run("keys", "rotate-desk", env={"INTAKE_DATABASE_URL": url}, cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.startswith("intake-bot: INTAKE_DESK_PRIVATE_KEY is not set")


def test_check_knows_each_side_of_sealed_mode(tmp_path: Path) -> None:
    from storage.crypto import generate_desk_key_pair, generate_master_key

    private, public = generate_desk_key_pair()
    base = {"INTAKE_BOT_TOKEN": "1:abc", "INTAKE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    desk = run("check", "--role", "desk", env={**base, "INTAKE_DESK_PRIVATE_KEY": private},
               cwd=tmp_path)  # fmt: skip
    assert desk.returncode == 0, desk.stdout + desk.stderr
    assert "master keys" not in desk.stdout  # the desk host holds none
    assert "desk key       ok" in desk.stdout
    intake_env = {**base, "INTAKE_MASTER_KEYS": generate_master_key(),
                  "INTAKE_DESK_PUBLIC_KEY": public}  # fmt: skip
    intake = run("check", "--role", "intake", env=intake_env, cwd=tmp_path)
    assert intake.returncode == 0, intake.stdout + intake.stderr
    assert "desk key       ok" in intake.stdout
    leaked = run("check", "--role", "intake", cwd=tmp_path,
                 env={**intake_env, "INTAKE_DESK_PRIVATE_KEY": private})  # fmt: skip
    assert leaked.returncode == 1
    assert "role           FAILED: INTAKE_DESK_PRIVATE_KEY" in leaked.stdout
    assert private.split(":")[1] not in leaked.stdout + leaked.stderr


def test_run_on_the_intake_host_refuses_the_desks_private_key(tmp_path: Path) -> None:
    from storage.crypto import generate_desk_key_pair, generate_master_key

    private, public = generate_desk_key_pair()
    env = {"INTAKE_BOT_TOKEN": "1:abc", "INTAKE_MASTER_KEYS": generate_master_key(),
           "INTAKE_DESK_PUBLIC_KEY": public, "INTAKE_DESK_PRIVATE_KEY": private,
           "INTAKE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}  # fmt: skip
    result = run("run", "--role", "intake", env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "INTAKE_DESK_PRIVATE_KEY" in lines[0]
    assert private.split(":")[1] not in result.stderr
    assert not (tmp_path / "x.db").exists()  # refused before anything was made


@pytest.mark.parametrize(
    ("name", "value", "choices"),
    [("INTAKE_HTTP_CLIENT", "curl", "'aiohttp' or 'httpx'"),
     ("INTAKE_EVENT_LOOP", "trio", "'asyncio' or 'uvloop'")],
)  # fmt: skip
def test_an_unknown_http_client_or_event_loop_is_one_line(
    tmp_path: Path, name: str, value: str, choices: str
) -> None:
    env = {"INTAKE_BOT_TOKEN": "1:abc", "INTAKE_MASTER_KEYS": generate_master_key(), name: value}
    result = run("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"intake-bot: {name}: ")
    assert choices in lines[0]


@pytest.mark.parametrize(
    ("name", "value", "package"),
    [("INTAKE_HTTP_CLIENT", "aiohttp", "aiohttp"), ("INTAKE_EVENT_LOOP", "uvloop", "uvloop")],
)
def test_a_client_or_loop_whose_package_is_missing_is_one_line_before_anything_starts(
    tmp_path: Path, name: str, value: str, package: str
) -> None:
    """aiohttp or uvloop chosen but not installed (uvloop is an optional extra; here the package
    is hidden): one line that names the setting and what to install, before anything starts."""
    plant = (
        "import sys, bot.__main__ as cli\n"
        f"sys.modules[{package!r}] = None\n"
        "sys.exit(cli.main(['run']))\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    clean.update({"INTAKE_BOT_TOKEN": "1:abc", "INTAKE_MASTER_KEYS": generate_master_key(),
                  name: value.upper()})  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", plant], capture_output=True, text=True, env=clean, cwd=tmp_path,
        timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    how = {
        "aiohttp": "reinstall intake-bot (aiohttp is one of its dependencies), or set"
        " INTAKE_HTTP_CLIENT=httpx",
        "uvloop": "install intake-bot with its `uvloop` extra (pip install 'intake-bot[uvloop]'),"
        " or set INTAKE_EVENT_LOOP=asyncio",
    }
    assert result.stderr.strip().splitlines() == [
        f"intake-bot: {name}={value} needs the {package} package, which is not installed:"
        f" {how[package]}"
    ]
    assert not (tmp_path / "data").exists()  # nothing started
