"""The desk reaches PostgreSQL over TLS (INTAKE_DATABASE_CA_FILE): certificate and host name
verified, never plaintext, against a real server with a throwaway CA made here.

The server accepts plaintext too, so a client that fell back to it would connect: every refusal
below is the client's own.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.services import Services
from bot.settings import Settings, SettingsError
from storage.crypto import generate_master_key
from storage.db import make_engine, ping
from tests.support.certificates import (
    LOCAL_NAMES,
    Authority,
    make_authority,
    make_server_certificate,
)
from tests.support.servers import PostgresServer, ServerError, postgres_bindir

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Pki:
    directory: Path
    authority: Authority
    stranger: Authority  # a CA that signed nothing the servers present


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    return Pki(
        directory,
        make_authority(directory, "intake-test-ca"),
        make_authority(directory, "stranger-ca"),
    )


def start_server(tls: tuple[Path, Path]) -> PostgresServer:
    bindir = postgres_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found; run scripts/test (it "
            "installs them) or `apt-get install postgresql`",
            pytrace=False,
        )
    try:
        server = PostgresServer(bindir, prefix="intake-pg-tls-", tls=tls)
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        server.start()
    except ServerError as exc:
        server.stop()
        pytest.fail(str(exc), pytrace=False)
    return server


@pytest.fixture(scope="module")
def tls_server(pki: Pki) -> Iterator[PostgresServer]:
    """PostgreSQL with TLS on, its certificate signed by `pki.authority` for 127.0.0.1 and
    localhost."""
    server = start_server(make_server_certificate(pki.directory, pki.authority, LOCAL_NAMES, "db"))
    try:
        yield server
    finally:
        server.stop()


def url_at(server: PostgresServer, host: str = "127.0.0.1", query: str = "") -> str:
    return f"postgresql://postgres@{host}:{server.port}/postgres{query}"


async def connection_uses_tls(url: str, ca_file: Path | None) -> bool:
    """Connect, run a query, and ask the server whether this very connection is TLS."""
    engine = make_engine(url, ca_file=ca_file)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT 40 + 2"))).scalar() == 42
            used = await connection.execute(
                text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            )
            return bool(used.scalar())
    finally:
        await engine.dispose()


def causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    seen: BaseException | None = error
    while seen is not None and len(chain) < 20:
        chain.append(seen)
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return chain


async def refused(url: str, ca_file: Path) -> ssl.SSLCertVerificationError:
    """The verification error that stopped a connection (the test fails if one was made)."""
    engine = make_engine(url, ca_file=ca_file)
    try:
        with pytest.raises(Exception) as info:  # noqa: PT011 - the cause is checked below
            await ping(engine)
    finally:
        await engine.dispose()
    found = [e for e in causes(info.value) if isinstance(e, ssl.SSLCertVerificationError)]
    assert found, f"refused, but not by certificate verification: {info.value!r}"
    return found[0]


async def test_with_the_ca_file_the_connection_is_tls_and_queries_work(
    tls_server: PostgresServer, pki: Pki
) -> None:
    assert await connection_uses_tls(url_at(tls_server), pki.authority.file)
    assert await connection_uses_tls(url_at(tls_server, "localhost"), pki.authority.file)


async def test_the_server_would_take_plaintext_from_a_client_that_allowed_it(
    tls_server: PostgresServer,
) -> None:
    """The control for every refusal here: without the CA file nothing insists on TLS."""
    assert not await connection_uses_tls(url_at(tls_server, query="?ssl=disable"), None)


async def test_a_url_asking_for_plaintext_still_gets_verified_tls(
    tls_server: PostgresServer, pki: Pki
) -> None:
    url = url_at(tls_server, query="?ssl=disable")
    assert await connection_uses_tls(url, pki.authority.file)


async def test_a_ca_that_did_not_sign_the_certificate_is_refused(
    tls_server: PostgresServer, pki: Pki
) -> None:
    error = await refused(url_at(tls_server), pki.stranger.file)
    assert error.verify_code == 20  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    # Asking for plaintext in the URL does not turn the refusal into a plaintext connection.
    await refused(url_at(tls_server, query="?ssl=prefer"), pki.stranger.file)


async def test_a_certificate_for_another_host_name_is_refused(pki: Pki) -> None:
    """Signed by the right CA, but for another name: an impostor with any certificate from
    the group's CA must not pass for the database."""
    elsewhere = [x509.DNSName("db.elsewhere.invalid")]
    files = make_server_certificate(pki.directory, pki.authority, elsewhere, "elsewhere")
    server = start_server(files)
    try:
        error = await refused(url_at(server), pki.authority.file)
        assert "mismatch" in str(error.verify_message)
        await refused(url_at(server, "localhost"), pki.authority.file)
    finally:
        server.stop()


def settings_for(url: str, ca_file: Path) -> Settings:
    return Settings(_env_file=None, bot_token="1:x", database_url=url,  # type: ignore[call-arg]
                    database_ca_file=ca_file, master_keys=generate_master_key())  # fmt: skip


async def test_the_bot_refuses_to_start_on_a_certificate_it_cannot_verify(
    tls_server: PostgresServer, pki: Pki, tmp_path: Path
) -> None:
    with pytest.raises(SettingsError, match=r"^INTAKE_DATABASE_URL: .*SSLCertVerificationError"):
        await Services.start(settings_for(url_at(tls_server), pki.stranger.file))
    with pytest.raises(SettingsError, match=r"^INTAKE_DATABASE_CA_FILE: .*does not exist"):
        await Services.start(settings_for(url_at(tls_server), tmp_path / "missing.crt"))


@pytest.mark.parametrize("problem", ["missing", "not a certificate", "directory"])
def test_an_unusable_ca_file_is_one_line_and_exit_2(
    tls_server: PostgresServer, tmp_path: Path, problem: str
) -> None:
    ca_file = tmp_path / "ca.crt"
    if problem == "not a certificate":
        ca_file.write_text("this is not PEM\n", encoding="utf-8")
    elif problem == "directory":
        ca_file.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTAKE_", "PG"))}
    env |= {"INTAKE_DATABASE_URL": url_at(tls_server), "INTAKE_DATABASE_CA_FILE": str(ca_file)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "stats"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("intake-bot: INTAKE_DATABASE_CA_FILE: ")
    assert str(ca_file) in lines[0]


def test_migrate_goes_over_verified_tls_too(
    tls_server: PostgresServer, pki: Pki, tmp_path: Path
) -> None:
    """`intake-bot migrate` uses INTAKE_DATABASE_CA_FILE like the bot: a database whose
    certificate does not verify is not migrated, one that does is."""
    name = tls_server.create_database()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTAKE_", "PG"))}
    env["INTAKE_DATABASE_URL"] = tls_server.url_for(name)

    def migrate(ca_file: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "migrate"],
            env=env | {"INTAKE_DATABASE_CA_FILE": str(ca_file)},
            cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    try:
        refused = migrate(pki.stranger.file)
        assert refused.returncode != 0
        assert "SSLCertVerificationError" in refused.stderr
        assert (
            tls_server.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", name)
            == "0\n"
        )
        done = migrate(pki.authority.file)
        assert done.returncode == 0, done.stderr
        assert "database schema is at revision" in done.stdout
    finally:
        tls_server.drop_database(name)


# --- docker-compose.sealed.yml's pg_hba.conf and desk role, on a real server -----------------

SEALED = ROOT / "docker-compose.sealed.yml"
INTAKE_PASSWORD, DESK_PASSWORD = "intakepassword1", "deskpassword1"


def sealed_config(name: str) -> str:
    """A config's content as compose hands it to the container (`$$` is a literal `$`)."""
    content = yaml.safe_load(SEALED.read_text(encoding="utf-8"))["configs"][name]["content"]
    return str(content).replace("$$", "$")


def run_desk_role_script(server: PostgresServer, password: str) -> subprocess.CompletedProcess[str]:
    script = sealed_config("desk_role")
    if int(server.socket_psql("SHOW server_version_num")) < 170000:
        # MAINTAIN is PostgreSQL 17's (the compose file's image); an older test server lacks it.
        script = script.replace(", MAINTAIN", "")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env |= {
        "PATH": f"{server.bindir}:{env.get('PATH', '')}",
        "PGHOST": str(server.sockets), "PGPORT": str(server.port),
        "POSTGRES_USER": "intake", "POSTGRES_DB": "intake", "POSTGRES_DESK_PASSWORD": password,
    }  # fmt: skip
    return subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture(scope="module")
def sealed_server(pki: Pki) -> Iterator[PostgresServer]:
    """Like the intake host's postgres: TLS on, the compose file's pg_hba.conf, the database
    and its owner as the image makes them, then the desk role's script."""
    bindir = postgres_bindir()
    assert bindir is not None
    certificate = make_server_certificate(pki.directory, pki.authority, LOCAL_NAMES, "sealed")
    server = PostgresServer(bindir, prefix="intake-pg-sealed-", tls=certificate,
                            hba=sealed_config("pg_hba"))  # fmt: skip
    try:
        server.start()
        server.socket_psql(f"CREATE ROLE intake LOGIN SUPERUSER PASSWORD '{INTAKE_PASSWORD}'")
        server.socket_psql("CREATE DATABASE intake OWNER intake")
        # A table from before the script ran (a database that existed already).
        server.socket_psql("CREATE TABLE earlier (n INTEGER)", database="intake", user="intake")
        done = run_desk_role_script(server, DESK_PASSWORD)
        assert done.returncode == 0, done.stderr
        yield server
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    finally:
        server.stop()


def sealed_url(server: PostgresServer, user: str, password: str, query: str = "") -> str:
    return f"postgresql://{user}:{password}@127.0.0.1:{server.port}/intake{query}"


async def test_sealed_pg_hba_admits_the_desk_over_tls_only(
    sealed_server: PostgresServer, pki: Pki
) -> None:
    desk = sealed_url(sealed_server, "desk", DESK_PASSWORD)
    assert await connection_uses_tls(desk, pki.authority.file)
    engine = make_engine(sealed_url(sealed_server, "desk", DESK_PASSWORD, "?ssl=disable"))
    try:
        with pytest.raises(DBAPIError, match=r"no pg_hba\.conf entry"):
            await ping(engine)
    finally:
        await engine.dispose()
    engine = make_engine(
        sealed_url(sealed_server, "desk", "wrongpassword"), ca_file=pki.authority.file
    )
    try:
        with pytest.raises(DBAPIError, match="password authentication failed"):
            await ping(engine)
    finally:
        await engine.dispose()
    # The intake's own services, on the intake host's network, need no TLS.
    intake = sealed_url(sealed_server, "intake", INTAKE_PASSWORD, "?ssl=disable")
    assert not await connection_uses_tls(intake, None)


async def test_sealed_desk_role_changes_rows_of_the_intakes_tables_but_owns_nothing(
    sealed_server: PostgresServer, pki: Pki
) -> None:
    intake = make_engine(sealed_url(sealed_server, "intake", INTAKE_PASSWORD, "?ssl=disable"))
    desk = make_engine(sealed_url(sealed_server, "desk", DESK_PASSWORD), ca_file=pki.authority.file)
    try:
        async with intake.begin() as connection:  # as `intake-bot migrate` would, later
            await connection.execute(text("CREATE TABLE notes (id SERIAL PRIMARY KEY, body TEXT)"))
        async with desk.begin() as connection:
            await connection.execute(text("INSERT INTO notes (body) VALUES ('a')"))
            await connection.execute(text("UPDATE notes SET body = 'b'"))
            assert (await connection.execute(text("SELECT body FROM notes"))).scalar() == "b"
            await connection.execute(text("DELETE FROM notes"))
            await connection.execute(text("INSERT INTO earlier VALUES (1)"))
            assert (await connection.execute(text("SELECT n FROM earlier"))).scalar() == 1
        for statement in ("DROP TABLE notes", "DROP TABLE earlier", "CREATE TABLE mine (n INT)"):
            with pytest.raises(DBAPIError, match=r"must be owner|permission denied"):
                async with desk.begin() as connection:
                    await connection.execute(text(statement))
    finally:
        await intake.dispose()
        await desk.dispose()


def test_sealed_desk_role_script_refuses_an_empty_password(sealed_server: PostgresServer) -> None:
    done = run_desk_role_script(sealed_server, "")
    assert done.returncode != 0
    assert "set POSTGRES_DESK_PASSWORD" in done.stderr
