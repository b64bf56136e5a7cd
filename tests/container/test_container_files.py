"""The container files: Dockerfile, .dockerignore, docker-compose.yml and .env.example.

No container engine runs here, so these are checked as text and data: the compose file parsed
with PyYAML, the Dockerfile split into instructions, and the two Python snippets the image runs
(the build-time text check and the HEALTHCHECK) executed for real. hadolint lints the
Dockerfile in scripts/test.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import Settings
from dialogs.spec import load

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
DOCKERFILE_TOR = ROOT / "Dockerfile.tor"
ONION_SERVICES = {"web", "tor"}

# Variables .env.example holds besides the bot's own settings.
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "POSTGRES_DESK_PASSWORD", "POSTGRES_PUBLISH_ADDRESS"}
SECRET_NAME = re.compile(r"(TOKEN|KEYS?|SECRET|PASSWORD)$")
# What real secrets look like: a bot token, a master key entry, a long random string.
BOT_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}")
MASTER_KEY = re.compile(r"[A-Za-z0-9_-]{1,32}:[A-Za-z0-9_-]{40,}")
RANDOM_RUN = re.compile(r"[A-Za-z0-9+/_=-]{24,}")
HEX_RUN = re.compile(r"[0-9a-fA-F]{32,}")
ASSIGNMENT = re.compile(r"^(?P<commented># )?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


# --- .env.example -------------------------------------------------------------------------------


def looks_random(text: str) -> bool:
    """A long run of key-like characters mixing digits and both cases, or a long hex string."""
    for run in RANDOM_RUN.findall(text):
        if all(re.search(kind, run) for kind in (r"\d", r"[a-z]", r"[A-Z]")):
            return True
    return bool(HEX_RUN.search(text))


def env_entries(path: Path = ENV_EXAMPLE) -> list[tuple[str, str, bool]]:
    """(name, value, commented) for every `NAME=value` or `# NAME=value` line."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            entries.append((match["name"], match["value"], bool(match["commented"])))
    return entries


def setting_names() -> set[str]:
    return {f"INTAKE_{name.upper()}" for name in Settings.model_fields}


def test_env_example_lists_exactly_the_settings() -> None:
    names = [name for name, _, _ in env_entries()]
    assert len(names) == len(set(names)), "a variable is listed twice"
    listed = set(names) - COMPOSE_ONLY
    expected = setting_names()
    assert not expected - listed, f"settings missing from .env.example: {expected - listed}"
    assert not listed - expected, f".env.example lists unknown settings: {listed - expected}"
    assert set(names) >= COMPOSE_ONLY


def test_every_env_example_line_is_explained() -> None:
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if ASSIGNMENT.match(line):
            above = lines[number - 1]
            assert above.startswith("# "), f"no comment above {line!r}"
            assert not ASSIGNMENT.match(above), f"no comment above {line!r}"


def test_env_example_holds_no_secret() -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert not BOT_TOKEN.search(text)
    assert not MASTER_KEY.search(text)
    for name, value, _ in env_entries():
        assert not looks_random(value), f"{name}: looks like a real secret"
        if SECRET_NAME.search(name):
            assert value == "", f"{name} must be empty in the example"


def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("INTAKE_"):
            monkeypatch.delenv(name)


def test_env_example_loads_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh copy of the example must not stop the bot on a setting it cannot parse."""
    _clean_environment(monkeypatch)
    settings = Settings(_env_file=ENV_EXAMPLE)  # type: ignore[call-arg]
    assert settings.bot_token is not None
    assert settings.bot_token.get_secret_value() == ""
    assert settings.admin_ids == []


def test_env_example_values_are_valid_and_defaults_are_true(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Uncommenting any example line gives a valid setting; a shown default is the real one."""
    _clean_environment(monkeypatch)
    uncommented = tmp_path / "env"
    uncommented.write_text(
        "".join(f"{name}={value}\n" for name, value, _ in env_entries()), encoding="utf-8"
    )
    settings = Settings(_env_file=uncommented)  # type: ignore[call-arg]
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    for field, info in Settings.model_fields.items():
        if info.default is None:
            continue  # an example value, not a default
        shown, default = getattr(settings, field), getattr(defaults, field)
        if hasattr(default, "get_secret_value"):
            shown, default = shown.get_secret_value(), default.get_secret_value()
        assert shown == default, f"INTAKE_{field.upper()}: example {shown!r}, default {default!r}"


# --- docker-compose.yml ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def environment(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {str(key): str(value) for key, value in raw.items()}


def command(service: dict[str, Any]) -> list[str]:
    raw = service.get("command", [])
    return shlex.split(raw) if isinstance(raw, str) else [str(part) for part in raw]


def env_files(service: dict[str, Any]) -> list[str]:
    raw = service.get("env_file") or []
    items = [raw] if isinstance(raw, str | dict) else raw
    return [item["path"] if isinstance(item, dict) else item for item in items]


def condition(service: dict[str, Any], dependency: str) -> str:
    depends = service.get("depends_on") or {}
    assert dependency in depends, f"does not depend on {dependency}"
    if isinstance(depends, list):
        return "service_started"
    return (depends[dependency] or {}).get("condition", "service_started")


def named_volume(service: dict[str, Any], target: str, compose: dict[str, Any]) -> str:
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            source, mounted = volume.get("source", ""), volume.get("target")
        else:
            source, mounted = volume.split(":")[0], volume.split(":")[1]
        if mounted == target:
            assert source, f"{target}: an anonymous volume"
            assert not source.startswith(("/", ".", "~")), f"{target}: a bind mount, not named"
            assert source in (compose.get("volumes") or {}), f"volume {source} not declared"
            return source
    raise AssertionError(f"nothing mounted at {target}")


def test_compose_has_the_four_services(compose: dict[str, Any]) -> None:
    """Four by default; the web door and tor only with the `onion` profile."""
    services = compose["services"]
    default = {name for name, service in services.items() if not service.get("profiles")}
    assert default == {"redis", "postgres", "migrate", "bot"}
    assert set(services) - default == ONION_SERVICES


def test_redis_keeps_an_append_only_file_on_a_named_volume(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    assert redis["image"].startswith("redis:")
    args = command(redis)
    assert args[0] == "redis-server"
    assert args[args.index("--appendonly") + 1] == "yes"
    named_volume(redis, "/data", compose)


def test_postgres_is_checked_with_pg_isready_on_a_named_volume(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("postgres:")
    test = postgres["healthcheck"]["test"]
    assert "pg_isready" in (test if isinstance(test, str) else " ".join(test))
    assert re.fullmatch(
        r"\$\{POSTGRES_PASSWORD(:?[?-][^}]*)?\}", environment(postgres)["POSTGRES_PASSWORD"]
    )
    named_volume(postgres, "/var/lib/postgresql/data", compose)
    assert "env_file" not in postgres, "the database needs none of the bot's secrets"


def test_migrate_then_bot(compose: dict[str, Any]) -> None:
    services = compose["services"]
    migrate, bot = services["migrate"], services["bot"]
    assert command(migrate) == ["migrate"]
    assert command(bot) == ["run"]
    assert migrate["image"] == bot["image"]
    assert condition(migrate, "postgres") == "service_healthy"
    assert condition(bot, "migrate") == "service_completed_successfully"
    assert condition(bot, "redis") in {"service_started", "service_healthy"}
    assert bot["restart"] == "unless-stopped"
    assert str(migrate.get("restart", "no")) == "no"


def test_bot_settings_point_at_the_services(compose: dict[str, Any]) -> None:
    for name in ("migrate", "bot"):
        service = compose["services"][name]
        assert env_files(service) == [".env"]
        env = environment(service)
        database = env["INTAKE_DATABASE_URL"]
        assert database.startswith("postgresql://")
        assert re.search(r":\$\{POSTGRES_PASSWORD[^}]*\}@postgres(:5432)?/", database)
        assert re.fullmatch(r"redis://redis(:6379)?(/\d+)?", env["INTAKE_REDIS_URL"])


def _walk_strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _walk_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_strings(value)
    elif node is not None:
        yield str(node)


def test_compose_writes_no_secret(compose: dict[str, Any]) -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    assert not BOT_TOKEN.search(text)
    assert not MASTER_KEY.search(text)
    for value in _walk_strings(compose):
        assert not looks_random(value), value
    for service in compose["services"].values():
        for name, value in environment(service).items():
            if SECRET_NAME.search(name):
                assert re.fullmatch(r"\$\{[A-Z_]+(:?[?-][^}]*)?\}", value), f"{name}: literal"
            for password in re.findall(r"://[^:/@]+:([^@]*)@", value):
                assert password.startswith("${"), f"{name}: password written in the URL"
        assert not {"INTAKE_BOT_TOKEN", "INTAKE_MASTER_KEYS", "INTAKE_WEBHOOK_SECRET"} & set(
            environment(service)
        ), "the bot's secrets come from .env through env_file"


def _published(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(host ip, container port) of each published port."""
    published = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            published.append((str(port.get("host_ip", "")), str(port["target"])))
            continue
        parts = str(port).split("/")[0].split(":")
        host_ip = parts[0] if len(parts) == 3 else ""
        published.append((host_ip, parts[-1]))
    return published


def test_only_the_health_port_is_published_on_loopback(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for host_ip, _ in _published(service):
            assert host_ip == "127.0.0.1", f"{name} publishes a port beyond this host"
    assert ("127.0.0.1", "8080") in _published(compose["services"]["bot"])
    assert not compose["services"]["redis"].get("ports")
    assert not compose["services"]["postgres"].get("ports")


# --- Dockerfile and .dockerignore -----------------------------------------------------------------


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        whole = pending + stripped
        pending = ""
        keyword, _, rest = whole.partition(" ")
        result.append((keyword.upper(), rest.strip()))
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions():
        if instruction[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def runtime_stage() -> list[tuple[str, str]]:
    return stages()[-1]


def arguments(stage: list[tuple[str, str]], keyword: str) -> list[str]:
    return [rest for name, rest in stage if name == keyword]


def test_dockerfile_builds_wheels_then_runs_from_a_pinned_slim_python() -> None:
    found = stages()
    assert len(found) >= 2
    for stage in found:
        image = arguments(stage, "FROM")[0].split()[0]
        assert re.fullmatch(r"python:3\.11\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?", image), (
            image
        )
    assert "pip wheel" in " ".join(arguments(found[0], "RUN"))
    runtime = " ".join(arguments(runtime_stage(), "RUN"))
    assert not re.search(r"apt-get|apk |gcc|build-essential|curl|wget", runtime)
    assert "--no-cache-dir" in runtime


def test_dockerfile_runs_as_an_unprivileged_user() -> None:
    users = arguments(runtime_stage(), "USER")
    assert users, "no USER in the runtime stage"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0", ""}


def test_dockerfile_entrypoint_ports_and_environment() -> None:
    stage = runtime_stage()
    assert json.loads(arguments(stage, "ENTRYPOINT")[-1]) == ["intake-bot"]
    assert json.loads(arguments(stage, "CMD")[-1]) == ["run"]
    exposed = " ".join(arguments(stage, "EXPOSE")).split()
    assert {"8080", "8443"} <= set(exposed)
    env = " ".join(arguments(stage, "ENV"))
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert "PYTHONUNBUFFERED=1" in env


def healthcheck_script() -> str:
    (check,) = arguments(runtime_stage(), "HEALTHCHECK")
    exec_form = json.loads(check[check.index("CMD") + 3 :].strip())
    assert exec_form[:2] == ["python", "-c"], "the healthcheck uses python's urllib, no curl"
    return str(exec_form[2])


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_healthcheck_asks_healthz(status: int, healthy: bool) -> None:
    handler = type("Handler", (_Health,), {"status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = str(server.server_address[1])
        result = subprocess.run(
            [sys.executable, "-c", healthcheck_script()],
            env={**os.environ, "INTAKE_HEALTH_PORT": port},
            capture_output=True,
            timeout=30,
            check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert (result.returncode == 0) is healthy, result.stderr
    assert result.returncode in (0, 1), "docker reserves exit status 2"


def test_healthcheck_with_the_health_server_disabled() -> None:
    result = subprocess.run(
        [sys.executable, "-c", healthcheck_script()],
        env={**os.environ, "INTAKE_HEALTH_PORT": "0"},
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0


def build_time_check() -> str:
    for rest in arguments(runtime_stage(), "RUN"):
        match = re.search(r'python -c "([^"]*missing_texts[^"]*)"', rest)
        if match:
            return match.group(1)
    raise AssertionError("the runtime stage does not check the questionnaire's texts")


def test_build_time_check_passes_on_the_shipped_texts() -> None:
    result = subprocess.run(
        [sys.executable, "-c", build_time_check()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("languages", [("en", "ru"), ("ru",)])
def test_build_time_check_fails_on_a_missing_text(tmp_path: Path, languages: tuple[str]) -> None:
    """A question text removed from every language, or from one, must fail the image build."""
    for package in ("dialogs", "locales"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    key = sorted(load().text_keys())[0]
    removed = 0
    for language in languages:
        for ftl in (tmp_path / "locales" / language).glob("*.ftl"):
            text = ftl.read_text(encoding="utf-8")
            cut = re.sub(rf"^{re.escape(key)} =.*?(?=^\S|\Z)", "", text, flags=re.S | re.M)
            removed += cut != text
            ftl.write_text(cut, encoding="utf-8")
    assert removed == len(languages), "the test's key is gone from the shipped texts"
    result = subprocess.run(
        [sys.executable, "-c", build_time_check()],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert key in result.stderr


def test_dockerignore_keeps_secrets_and_data_out_of_the_build_context() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert patterns[0] == "*", "an allowlist: everything is excluded first"
    allowed = {p[1:].strip("/") for p in patterns if p.startswith("!")}
    assert not allowed & {".env", "data", ".git", ".venv", "tests"}
    build = stages()[0]
    for rest in arguments(build, "COPY"):
        for source in rest.split()[:-1]:
            if not source.startswith("--"):
                assert source.strip("/").removeprefix("./") in allowed, f"{source} not in context"


# --- listen addresses ----------------------------------------------------------------------------


def test_the_webhook_listens_on_loopback_unless_the_container_says_otherwise(
    monkeypatch: pytest.MonkeyPatch, compose: dict[str, Any]
) -> None:
    """Outside a container an unset INTAKE_WEBHOOK_LISTEN must not open the webhook to the
    network; the image and compose set 0.0.0.0 explicitly so the published port reaches it."""
    _clean_environment(monkeypatch)
    assert Settings(_env_file=None).webhook_listen == "127.0.0.1"  # type: ignore[call-arg]
    assert "INTAKE_WEBHOOK_LISTEN=0.0.0.0" in " ".join(arguments(runtime_stage(), "ENV"))
    assert environment(compose["services"]["bot"])["INTAKE_WEBHOOK_LISTEN"] == "0.0.0.0"  # noqa: S104


# --- docker-compose.sealed.yml and .env.desk.example (sealed mode: two hosts) ---------------------

SEALED = ROOT / "docker-compose.sealed.yml"
ENV_DESK_EXAMPLE = ROOT / ".env.desk.example"
PROFILES = {
    "intake": {"redis", "postgres", "migrate", "intake"},
    "desk": {"desk"},
    "onion": {"web", "tor"},  # on the intake host, with `intake`
}
BOT_SERVICES = ("migrate", "intake", "desk")
# The desk's key settings come with `intake-bot keys generate-desk` (bot/settings.py).
DESK_KEY_SETTINGS = {"INTAKE_DESK_PRIVATE_KEY", "INTAKE_DESK_PRIVATE_KEY_FILE"}
PRIVATE_KEY_SETTING = re.compile(r"PRIVATE_KEY")
# What the desk host must never be given: it reads with its private key only, and no Redis.
NOT_FOR_THE_DESK = {
    "INTAKE_MASTER_KEYS",
    "INTAKE_MASTER_KEYS_FILE",
    "INTAKE_REDIS_URL",
    "INTAKE_DESK_PUBLIC_KEY",
    "INTAKE_DESK_PUBLIC_KEY_FILE",
    "INTAKE_WEBHOOK_URL",
    "POSTGRES_PASSWORD",
}


@pytest.fixture(scope="module")
def sealed() -> dict[str, Any]:
    data = yaml.safe_load(SEALED.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def mounts(service: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """target -> (source, read-only) of a service's volumes."""
    found = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            found[volume["target"]] = (volume.get("source", ""), bool(volume.get("read_only")))
            continue
        source, target, *mode = volume.split(":")
        found[target] = (source, "ro" in (mode[0].split(",") if mode else []))
    return found


def pg_hba_rows(sealed: dict[str, Any]) -> list[list[str]]:
    text = sealed["configs"]["pg_hba"]["content"]
    return [line.split() for line in text.splitlines() if line.strip() and line[0] != "#"]


def test_sealed_compose_has_one_profile_per_host(sealed: dict[str, Any]) -> None:
    services = sealed["services"]
    assert set(services) == set().union(*PROFILES.values())
    for profile, names in PROFILES.items():
        for name in names:
            assert services[name].get("profiles") == [profile], name


def test_sealed_intake_host_runs_the_intake_role_after_migrate(sealed: dict[str, Any]) -> None:
    services = sealed["services"]
    migrate, intake = services["migrate"], services["intake"]
    assert command(migrate) == ["migrate"]
    assert command(intake) == ["run", "--role", "intake"]
    assert condition(migrate, "postgres") == "service_healthy"
    assert condition(intake, "migrate") == "service_completed_successfully"
    assert condition(intake, "redis") in {"service_started", "service_healthy"}
    assert intake["restart"] == "unless-stopped"
    for service in (migrate, intake):
        assert env_files(service) == [".env"]
        env = environment(service)
        assert re.fullmatch(
            r"postgresql://intake:\$\{POSTGRES_PASSWORD[^}]*\}@postgres(:5432)?/intake",
            env["INTAKE_DATABASE_URL"],
        )
        assert re.fullmatch(r"redis://redis(:6379)?(/\d+)?", env["INTAKE_REDIS_URL"])
    redis = services["redis"]
    args = command(redis)
    assert args[args.index("--appendonly") + 1] == "yes"
    named_volume(redis, "/data", sealed)
    named_volume(services["postgres"], "/var/lib/postgresql/data", sealed)


def test_sealed_intake_host_never_gets_a_private_key(sealed: dict[str, Any]) -> None:
    """The intake host seals to the desk's public key; nothing here hands it the private one."""
    for name in PROFILES["intake"]:
        service = sealed["services"][name]
        assert not [key for key in environment(service) if PRIVATE_KEY_SETTING.search(key)]
        assert ".env.desk" not in env_files(service)
        for source, _ in mounts(service).values():
            assert "ca.key" not in source, f"{name} mounts {source}"
            assert "desk" not in source, f"{name} mounts {source}"
    text = SEALED.read_text(encoding="utf-8")
    assert (
        "INTAKE_DESK_PRIVATE_KEY"
        not in text.split("# On the intake host:")[1].split("# Then on the desk host")[0]
    ), "the intake host's setup steps mention the private key"


def test_sealed_desk_host_runs_only_the_desk_bot_over_verified_tls(sealed: dict[str, Any]) -> None:
    desk = sealed["services"]["desk"]
    assert command(desk) == ["run", "--role", "desk"]
    assert desk["restart"] == "unless-stopped"
    assert not desk.get("depends_on"), "nothing else runs on the desk host"
    assert env_files(desk) == [".env.desk"]
    env = environment(desk)
    assert not NOT_FOR_THE_DESK & set(env)
    assert not [key for key in env if re.search(r"MASTER|REDIS", key)]
    ca_file = env["INTAKE_DATABASE_CA_FILE"]
    assert mounts(desk)[ca_file] == ("./certs/ca.crt", True)
    assert set(mounts(desk)) == {ca_file}, "the desk mounts the CA certificate and nothing else"


def test_sealed_postgres_speaks_tls_and_admits_the_desk_over_tls_only(
    sealed: dict[str, Any],
) -> None:
    postgres = sealed["services"]["postgres"]
    args = command(postgres)
    settings = dict(arg.split("=", 1) for arg in args if "=" in arg)
    assert args[0] == "postgres"
    assert settings["ssl"] == "on"
    for name in ("ssl_cert_file", "ssl_key_file"):
        source, read_only = mounts(postgres)[settings[name]]
        assert source.startswith("./certs/"), name
        assert read_only, name
    assert "env_file" not in postgres, "the database needs none of the bots' secrets"
    configs = {item["target"]: item["source"] for item in postgres["configs"]}
    assert configs[settings["hba_file"]] == "pg_hba"
    rows = pg_hba_rows(sealed)
    desk_rows = [row for row in rows if row[2] in {"desk", "all"} and row[0] != "local"]
    assert desk_rows, "no line admits the desk"
    for row in desk_rows:
        assert row[0] == "hostssl", f"the desk's user is admitted without TLS: {row}"
        assert row[-1] == "scram-sha-256"
    for row in rows:
        if row[0] == "local":
            continue
        assert row[-1] == "scram-sha-256", f"a network line without a password: {row}"
        if row[0] != "hostssl":
            assert row[3] == "samenet", f"plaintext from beyond this host: {row}"
    role = sealed["configs"]["desk_role"]["content"]
    assert "CREATE ROLE desk LOGIN PASSWORD :'desk_password'" in role
    assert "$$POSTGRES_DESK_PASSWORD" in role, "the password comes from the environment"
    assert configs["/docker-entrypoint-initdb.d/10-desk-role.sh"] == "desk_role"
    assert re.fullmatch(
        r"\$\{POSTGRES_DESK_PASSWORD(:?[?-][^}]*)?\}",
        environment(postgres)["POSTGRES_DESK_PASSWORD"],
    )


def test_sealed_publishes_health_on_loopback_and_postgres_only_where_chosen(
    sealed: dict[str, Any],
) -> None:
    services = sealed["services"]
    for name, service in services.items():
        for host_ip, port in _published(service):
            if name == "postgres":
                # Chosen by the operator; loopback until then, never 0.0.0.0 by default.
                assert (host_ip, port) == ("${POSTGRES_PUBLISH_ADDRESS:-127.0.0.1}", "5432")
            else:
                assert host_ip == "127.0.0.1", f"{name} publishes a port beyond this host"
    assert _published(services["intake"]) == [("127.0.0.1", "8080")]
    assert _published(services["desk"]) == [("127.0.0.1", "8080")]
    assert not services["redis"].get("ports")
    assert not services["migrate"].get("ports")


def test_sealed_bots_are_hardened_like_docker_compose(
    sealed: dict[str, Any], compose: dict[str, Any]
) -> None:
    reference = compose["services"]["bot"]
    for name in BOT_SERVICES:
        service = sealed["services"][name]
        assert service["image"] == reference["image"]
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert service["logging"] == reference["logging"], name
        assert environment(service)["INTAKE_HEALTH_LISTEN"] == "0.0.0.0"  # noqa: S104
    for name in ("redis", "postgres"):
        assert sealed["services"][name]["logging"] == reference["logging"], name


def test_sealed_compose_writes_no_secret(sealed: dict[str, Any]) -> None:
    text = SEALED.read_text(encoding="utf-8")
    assert not BOT_TOKEN.search(text)
    assert not MASTER_KEY.search(text)
    for value in _walk_strings(sealed):
        assert not looks_random(value), value
    for name, service in sealed["services"].items():
        env = environment(service)
        for key, value in env.items():
            if SECRET_NAME.search(key):
                assert re.fullmatch(r"\$\{[A-Z_]+(:?[?-][^}]*)?\}", value), f"{key}: literal"
            for password in re.findall(r"://[^:/@]+:([^@]*)@", value):
                assert password.startswith("${"), f"{name} {key}: password written in the URL"
        secrets = {"INTAKE_BOT_TOKEN", "INTAKE_MASTER_KEYS", "INTAKE_WEBHOOK_SECRET"}
        assert not (secrets | DESK_KEY_SETTINGS) & set(env), "secrets come through env_file"


def test_sealed_setup_commands_name_real_profiles_and_services(sealed: dict[str, Any]) -> None:
    """The header's commands are the ones to type: each names this file and an existing
    profile, and what it runs is a service of that profile."""
    commands = [
        line.lstrip("# ").strip()
        for line in SEALED.read_text(encoding="utf-8").splitlines()
        if line.startswith("#") and "docker compose" in line
    ]
    assert len(commands) >= 5
    for line in commands:
        words = shlex.split(line.split("#")[0])
        assert words[:4] == ["docker", "compose", "-f", SEALED.name], line
        if words[4] == "exec":  # into a running service (the onion address)
            assert words[5] in sealed["services"], line
            continue
        profile = words[words.index("--profile") + 1]
        assert profile in PROFILES, line
        if "run" in words:
            rest = [word for word in words[words.index("run") + 1 :] if not word.startswith("-")]
            assert rest[0] in PROFILES[profile], line
    joined = "\n".join(commands)
    assert "--profile desk run --rm desk keys generate-desk" in joined
    assert "--profile intake up -d" in joined
    assert "--profile desk up -d" in joined


def test_env_desk_example_lists_only_settings_the_desk_needs() -> None:
    entries = env_entries(ENV_DESK_EXAMPLE)
    names = [name for name, _, _ in entries]
    assert len(names) == len(set(names)), "a variable is listed twice"
    unknown = set(names) - setting_names() - DESK_KEY_SETTINGS
    assert not unknown, f".env.desk.example lists unknown settings: {unknown}"
    assert not set(names) & NOT_FOR_THE_DESK
    required = {name for name, _, commented in entries if not commented}
    assert required == {
        "INTAKE_BOT_TOKEN",
        "INTAKE_DESK_PRIVATE_KEY",
        "INTAKE_ADMIN_IDS",
        "INTAKE_DATABASE_URL",
    }


def test_every_env_desk_example_line_is_explained_and_holds_no_secret() -> None:
    lines = ENV_DESK_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if ASSIGNMENT.match(line):
            above = lines[number - 1]
            assert above.startswith("# "), f"no comment above {line!r}"
            assert not ASSIGNMENT.match(above), f"no comment above {line!r}"
    text = "\n".join(lines)
    assert not BOT_TOKEN.search(text)
    assert not MASTER_KEY.search(text)
    for name, value, commented in env_entries(ENV_DESK_EXAMPLE):
        assert not looks_random(value), f"{name}: looks like a real secret"
        if SECRET_NAME.search(name) or (not commented and PRIVATE_KEY_SETTING.search(name)):
            assert value == "", f"{name} must be empty in the example"


def test_env_desk_example_loads_and_its_defaults_are_true(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _clean_environment(monkeypatch)
    as_it_is = Settings(_env_file=ENV_DESK_EXAMPLE)  # type: ignore[call-arg]
    assert as_it_is.redis is None
    assert as_it_is.master_keys is None
    uncommented = tmp_path / "env"
    uncommented.write_text(
        "".join(f"{name}={value}\n" for name, value, _ in env_entries(ENV_DESK_EXAMPLE)),
        encoding="utf-8",
    )
    settings = Settings(_env_file=uncommented)  # type: ignore[call-arg]
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    listed = {name for name, _, _ in env_entries(ENV_DESK_EXAMPLE)}
    for field, info in Settings.model_fields.items():
        if info.default is None or f"INTAKE_{field.upper()}" not in listed:
            continue
        shown, default = getattr(settings, field), getattr(defaults, field)
        if hasattr(default, "get_secret_value"):
            shown, default = shown.get_secret_value(), default.get_secret_value()
        assert shown == default, f"INTAKE_{field.upper()}: example {shown!r}, default {default!r}"


# --- the `onion` profile of both compose files: the web door as an onion service -----------------

TOR_DATA = "/var/lib/tor"
DOORS = {"plain": COMPOSE, "sealed": SEALED}


@dataclass
class Door:
    """One compose file's onion profile: the file, its parsed form, and what runs beside the
    web door there (the single bot, or the intake bot of sealed mode)."""

    path: Path
    data: dict[str, Any]
    bot: str


@pytest.fixture(scope="module", params=sorted(DOORS))
def door(request: pytest.FixtureRequest) -> Door:
    path = DOORS[request.param]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return Door(path, data, "intake" if path == SEALED else "bot")


def torrc(compose: dict[str, Any]) -> list[tuple[str, str]]:
    """(Option, value) of each line of the torrc the tor service is given."""
    (mounted,) = compose["services"]["tor"]["configs"]
    assert mounted["target"] == "/etc/tor/torrc"
    text = compose["configs"][mounted["source"]]["content"]
    options = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            option, _, value = line.strip().partition(" ")
            options.append((option, value.strip()))
    return options


def web_port(compose: dict[str, Any]) -> str:
    args = command(compose["services"]["web"])
    return args[args.index("--listen") + 1].rpartition(":")[2]


def test_onion_profile_runs_the_web_door_and_tor(door: Door) -> None:
    services = door.data["services"]
    for name in ONION_SERVICES:
        assert services[name].get("profiles") == ["onion"], name
        assert services[name]["restart"] == "unless-stopped", name
    web, tor = services["web"], services["tor"]
    assert command(web) == ["web", "--listen", "0.0.0.0:8088"]
    assert condition(web, "migrate") == "service_completed_successfully"
    assert condition(web, "postgres") == "service_healthy"
    assert condition(tor, "web") == "service_healthy"
    assert tor["depends_on"]["web"].get("restart") is True, "tor resolves web only at start"
    assert env_files(web) == [".env"]
    listens = {"INTAKE_HEALTH_LISTEN", "INTAKE_WEBHOOK_LISTEN"}
    beside = {k: v for k, v in environment(services[door.bot]).items() if k not in listens}
    assert {k: v for k, v in environment(web).items() if k not in listens | {"INTAKE_ROLE"}} == (
        beside
    ), "the web door reaches the same database and Redis as the bot beside it"


def test_the_sealed_web_door_is_the_intake_side(door: Door) -> None:
    """In sealed mode the door seals like the intake bot: its role, and never a private key."""
    web = door.data["services"]["web"]
    if door.path == SEALED:
        assert environment(web)["INTAKE_ROLE"] == "intake"
        assert "--role" not in command(web)
    else:
        assert "INTAKE_ROLE" not in environment(web)
    assert not [k for k in environment(web) if PRIVATE_KEY_SETTING.search(k)]


def test_onion_keys_live_in_a_named_volume_and_the_address_can_be_read(door: Door) -> None:
    tor = door.data["services"]["tor"]
    assert named_volume(tor, TOR_DATA, door.data) == "tor-data"
    options = torrc(door.data)
    assert ("DataDirectory", TOR_DATA) in options
    (service_dir,) = [value for option, value in options if option == "HiddenServiceDir"]
    assert service_dir.startswith(TOR_DATA + "/")
    header = door.path.read_text(encoding="utf-8").split("\nname:")[0]
    compose_command = "docker compose" + ("" if door.path == COMPOSE else f" -f {door.path.name}")
    assert f"{compose_command} exec tor cat {service_dir}/hostname" in header
    assert "--profile onion up -d" in header


def test_torrc_publishes_only_the_web_door(door: Door) -> None:
    options = torrc(door.data)
    names = {option for option, _ in options}
    assert ("SocksPort", "0") in options, "no SOCKS proxy for anyone on the network"
    assert not names & {"ControlPort", "ControlSocket", "ORPort", "DirPort", "ExitRelay"}
    ports = [value for option, value in options if option == "HiddenServicePort"]
    assert ports == [f"80 web:{web_port(door.data)}"]


def test_torrc_is_valid_for_tor(door: Door, tmp_path: Path) -> None:
    """tor itself checks the file; web's name does not resolve here, so loopback stands in."""
    data = tmp_path / "tor"
    data.mkdir(mode=0o700)
    text = door.data["configs"]["torrc"]["content"].replace(TOR_DATA, str(data))
    config = tmp_path / "torrc"
    config.write_text(text.replace("web:", "127.0.0.1:"), encoding="utf-8")
    result = subprocess.run(
        [shutil.which("tor") or "/usr/sbin/tor", "--verify-config", "-f", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_onion_services_publish_nothing_and_tor_cannot_reach_the_data(door: Door) -> None:
    services = door.data["services"]
    for name in ONION_SERVICES:
        assert not services[name].get("ports"), f"{name} publishes a port on the host"
        assert "network_mode" not in services[name], name
    networks = door.data["networks"]
    assert networks["onion"]["internal"] is True
    assert set(services["web"]["networks"]) == {"default", "onion"}
    assert "default" not in services["tor"]["networks"], "tor could reach Redis and PostgreSQL"
    assert "onion" in services["tor"]["networks"]
    for name in ("redis", "postgres"):
        assert "networks" not in services[name], f"{name} must stay on the default network only"


def test_onion_services_are_hardened_like_the_bot(door: Door) -> None:
    bot = door.data["services"][door.bot]
    for name in ONION_SERVICES:
        service = door.data["services"][name]
        assert service["read_only"] is True, name
        assert service["tmpfs"] == bot["tmpfs"], name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert service["logging"] == bot["logging"], name
    web = door.data["services"]["web"]
    assert web["image"] == bot["image"]
    assert web["build"] == bot["build"]


def test_web_is_checked_by_the_images_healthz(door: Door) -> None:
    """`intake-bot web` serves /healthz on 8080 like the bot, so the image's own check holds;
    a compose file that overrode it would only look at something less."""
    web = door.data["services"]["web"]
    assert "healthcheck" not in web
    assert "INTAKE_HEALTH_PORT" not in environment(web)


def test_dockerfile_tor_installs_debians_tor_and_runs_it_unprivileged(
    compose: dict[str, Any],
) -> None:
    found = instructions(DOCKERFILE_TOR)
    froms = [rest for keyword, rest in found if keyword == "FROM"]
    assert len(froms) == 1
    assert re.fullmatch(r"debian:[a-z]+-slim(@sha256:[0-9a-f]{64})?", froms[0]), froms[0]
    run = " ".join(rest for keyword, rest in found if keyword == "RUN")
    assert "apt-get install -y --no-install-recommends tor " in run
    assert not re.search(r"curl|wget|gpg|torproject|sources\.list|apt-key", run), (
        "tor comes from Debian's own archive"
    )
    assert not [keyword for keyword, _ in found if keyword in {"ADD", "COPY"}]
    users = [rest for keyword, rest in found if keyword == "USER"]
    assert users
    assert users[-1] not in {"root", "0"}
    (entrypoint,) = [rest for keyword, rest in found if keyword == "ENTRYPOINT"]
    (cmd,) = [rest for keyword, rest in found if keyword == "CMD"]
    assert json.loads(entrypoint) + json.loads(cmd) == ["tor", "-f", "/etc/tor/torrc"]
    build = compose["services"]["tor"]["build"]
    assert build["dockerfile"] == DOCKERFILE_TOR.name


def test_dockerfile_tor_is_hadolint_clean() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(hadolint).is_file():
        pytest.skip("hadolint is not installed")
    result = subprocess.run(
        [hadolint, "--failure-threshold", "warning", str(DOCKERFILE_TOR)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout
