"""Settings from the environment (and a `.env` file), checked once in `main`.

Secrets may also come from files (`INTAKE_BOT_TOKEN_FILE`, `INTAKE_MASTER_KEYS_FILE`,
`INTAKE_DESK_PUBLIC_KEY_FILE`, `INTAKE_DESK_PRIVATE_KEY_FILE`) so that they can live in a
container secret rather than in the environment. Never from the repository.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from storage.crypto import (
    DeskPrivateKey,
    DeskPublicKey,
    KeyConfigError,
    MasterKey,
    parse_desk_private_keys,
    parse_desk_public_key,
    parse_master_keys,
)

TELEGRAM_API_URL = "https://api.telegram.org/bot"
ROLES = ("all", "intake", "desk")
DEFAULT_WEB_LISTEN = ("127.0.0.1", 8088)


def host_and_port(value: str) -> tuple[str, int]:
    """ "HOST:PORT" (an IPv6 host in brackets) as a pair; a ValueError says what is wrong."""
    host, _, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("give HOST:PORT, for example 127.0.0.1:8088")
    return host, int(port)


"""`all`: one process, as always; sealed mode: `intake` (the public bot), `desk` (volunteers')."""


class SettingsError(ValueError):
    """One line for the operator: which variable is wrong and what to do about it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="INTAKE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: SecretStr | None = None
    bot_token_file: Path | None = None
    api_url: str = TELEGRAM_API_URL
    data_dir: Path = Path("data")
    database_url: str | None = None
    database_ca_file: Path | None = None
    redis_url: SecretStr | None = None
    master_keys: SecretStr | None = None
    master_keys_file: Path | None = None
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    desk_chat_id: int | None = None
    team_chat_ids: Annotated[dict[str, int] | None, NoDecode] = None
    """A team's group chat for its new-case notices (`legal=-1001234,psych=-1005678`)."""
    desk_language: str | None = None
    invite_ttl_hours: int = Field(default=24, ge=1, le=24 * 14)
    escalate_after_minutes: float = Field(default=15, gt=0, le=24 * 60)
    escalate_check_seconds: float = Field(default=60, gt=0, le=3600)
    reply_escalate_minutes: float = Field(default=120, gt=0, le=7 * 24 * 60)
    draft_ttl_hours: int = Field(default=72, ge=1, le=24 * 30)
    clean_after_submit: bool = True
    flood_burst: int = Field(default=30, ge=1, le=10_000)
    flood_window_seconds: float = Field(default=60, gt=0, le=3600)
    cases_per_hour_cap: int = Field(default=300, ge=1)
    open_cases_per_person: int = Field(default=2, ge=1, le=100)
    new_cases_per_person_per_day: int = Field(default=3, ge=1, le=1000)
    retention_days: int = Field(default=90, ge=1)
    stale_warning_days: int = Field(default=7, ge=1)
    codeword_silence_days: int = Field(default=14, ge=0, le=365)
    housekeeping_interval_minutes: float = Field(default=60, gt=0)
    compact_interval_seconds: float = Field(default=60, gt=0, le=3600)
    outbox_retry_seconds: float = Field(default=10, gt=0, le=3600)
    # Sealed mode: how often the desk looks for the intake's signals, and the intake for the
    # desk's messages to people (a small indexed table each: cheap).
    sealed_poll_seconds: float = Field(default=1, gt=0, le=60)
    protect_content: bool = True
    poll_timeout: int = Field(default=30, ge=0, le=50)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"  # the container image and docker-compose.yml set 0.0.0.0
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    webhook_open_connections: int = Field(default=200, ge=1, le=10_000)
    poll_lease_seconds: float = Field(default=30, ge=2, le=600)
    bot_api_connections: int = Field(default=16, ge=1, le=256)
    updates_backlog: int = Field(default=256, ge=1, le=100_000)
    """Long polling fetches no more while this many updates wait or are handled (bot.backlog)."""
    http_client: Literal["aiohttp", "httpx"] = "aiohttp"
    """The HTTP client of the bot's Bot API calls and of getUpdates (see bot.clients)."""
    event_loop: Literal["asyncio", "uvloop"] = "asyncio"
    """The event loop `intake-bot run` serves in (see bot.clients)."""
    health_port: int = Field(default=8080, ge=0, le=65535)
    health_listen: str = "127.0.0.1"
    web_listen: str | None = None
    """INTAKE_WEB_LISTEN=HOST:PORT: where `intake-bot web` listens (default 127.0.0.1:8088),
    and, when set, `intake-bot run` serves the web door too (not on the desk's side)."""
    log_level: str = "INFO"
    role: str = "all"
    """Sealed mode's side (`run --role` overrides it); see `check_role`."""
    desk_public_key: SecretStr | None = None
    desk_public_key_file: Path | None = None
    desk_private_key: SecretStr | None = None
    desk_private_key_file: Path | None = None

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in value.replace(";", ",").replace(" ", ",").split(",") if part]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("team_chat_ids", mode="before")
    @classmethod
    def _team_chats(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        chats: dict[str, str] = {}
        for part in value.replace(";", ",").split(","):
            if not part.strip():
                continue
            team, equals, chat = part.partition("=")
            if not equals or not team.strip() or not chat.strip():
                raise ValueError("must be TEAM=CHAT_ID pairs separated by commas")
            chats[team.strip()] = chat.strip()
        return chats

    @field_validator("web_listen")
    @classmethod
    def _web_listen(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        host_and_port(value.strip())  # a ValueError names what is wrong
        return value.strip()

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("http_client", "event_loop", mode="before")
    @classmethod
    def _choice(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    # -- derived values ------------------------------------------------------------------------

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'intake.db').as_posix()}"

    @property
    def redis(self) -> str | None:
        return self.redis_url.get_secret_value() if self.redis_url else None

    def secret_token(self) -> str:
        """The webhook's secret: Telegram sends it back in a header with every update."""
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", secret):
            raise SettingsError(
                "INTAKE_WEBHOOK_SECRET must be 16-256 characters of A-Z, a-z, 0-9, _ and -"
                " when INTAKE_WEBHOOK_URL is set (e.g. `openssl rand -hex 32`)"
            )
        return secret

    def token(self) -> str:
        """The bot token, or a SettingsError that says how to get one."""
        token = _secret(self.bot_token, self.bot_token_file, "INTAKE_BOT_TOKEN")
        if not token:
            raise SettingsError(
                "INTAKE_BOT_TOKEN is not set: create a bot with @BotFather and export its token"
                " (or put it in a file named by INTAKE_BOT_TOKEN_FILE)"
            )
        if ":" not in token:
            raise SettingsError("INTAKE_BOT_TOKEN does not look like a bot token (id:secret)")
        return token

    def keys(self) -> list[MasterKey]:
        """The master keys, newest first, or a SettingsError that says how to make one."""
        raw = _secret(self.master_keys, self.master_keys_file, "INTAKE_MASTER_KEYS")
        if not raw:
            raise SettingsError(
                "INTAKE_MASTER_KEYS is not set: make a key with `intake-bot keys generate` and"
                " export INTAKE_MASTER_KEYS=<that line> (or put it in a file named by"
                " INTAKE_MASTER_KEYS_FILE); keep it out of the repository and away from backups"
                " of the database"
            )
        try:
            return parse_master_keys(raw)
        except KeyConfigError as error:
            raise SettingsError(f"INTAKE_MASTER_KEYS: {error}") from None

    def desk_public(self) -> DeskPublicKey:
        """The desk's public key (sealed mode, intake host), or a SettingsError naming it."""
        raw = _secret(self.desk_public_key, self.desk_public_key_file, "INTAKE_DESK_PUBLIC_KEY")
        if not raw:
            raise SettingsError(
                "INTAKE_DESK_PUBLIC_KEY is not set: on the desk host run `intake-bot keys"
                " generate-desk` and give this host its INTAKE_DESK_PUBLIC_KEY=... line (or put"
                " it in a file named by INTAKE_DESK_PUBLIC_KEY_FILE)"
            )
        try:
            return parse_desk_public_key(raw)
        except KeyConfigError as error:
            raise SettingsError(f"INTAKE_DESK_PUBLIC_KEY: {error}") from None

    def desk_private(self) -> list[DeskPrivateKey]:
        """The desk's private keys, newest first (sealed mode, desk host), or a SettingsError."""
        raw = _secret(self.desk_private_key, self.desk_private_key_file, "INTAKE_DESK_PRIVATE_KEY")
        if not raw:
            raise SettingsError(
                "INTAKE_DESK_PRIVATE_KEY is not set: run `intake-bot keys generate-desk` on this"
                " (the desk) host and export its INTAKE_DESK_PRIVATE_KEY=... line (or put it in a"
                " file named by INTAKE_DESK_PRIVATE_KEY_FILE); it must never reach the intake host"
            )
        try:
            return parse_desk_private_keys(raw)
        except KeyConfigError as error:
            raise SettingsError(f"INTAKE_DESK_PRIVATE_KEY: {error}") from None

    def web_address(self) -> tuple[str, int]:
        """Where the web door listens: INTAKE_WEB_LISTEN, or loopback port 8088."""
        return host_and_port(self.web_listen) if self.web_listen else DEFAULT_WEB_LISTEN

    def check_role(self) -> None:
        """A SettingsError (one line) unless the role and the desk keys set fit each other.

        The desk's private key opens every case: it must never be where the intake runs, and
        a desk key set in the single-process mode means the operator meant sealed mode.
        """
        if self.role not in ROLES:
            raise SettingsError(f"INTAKE_ROLE must be all, intake or desk, not {self.role[:20]!r}")
        has_public = _given(self.desk_public_key, self.desk_public_key_file)
        has_private = _given(self.desk_private_key, self.desk_private_key_file)
        if self.role == "all":
            given = [
                name
                for name, present in (
                    ("INTAKE_DESK_PUBLIC_KEY", has_public),
                    ("INTAKE_DESK_PRIVATE_KEY", has_private),
                )
                if present
            ]
            if given:
                verb = "are" if len(given) > 1 else "is"
                raise SettingsError(
                    f"{' and '.join(given)} {verb} set but the role is all (one process, no desk"
                    " keys): set --role intake or --role desk (INTAKE_ROLE), or remove it"
                )
        elif self.role == "intake":
            if has_private:
                raise SettingsError(
                    "INTAKE_DESK_PRIVATE_KEY must not be on the intake host: it opens every case;"
                    " remove it here (the intake needs only INTAKE_DESK_PUBLIC_KEY)"
                )
            self.desk_public()
        else:
            if self.web_listen is not None:
                raise SettingsError(
                    "INTAKE_WEB_LISTEN is set but the role is desk: the web door serves people"
                    " and runs on the intake side; remove it here"
                )
            self.desk_private()


ENV_FILE = Path(".env")


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning pydantic's report into one line that names the variable.

    A `.env` file that other users can read is refused: it holds the token and the master keys.
    """
    if ENV_FILE.exists():
        check_private_file(ENV_FILE)
    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        name = "INTAKE_" + "_".join(str(part) for part in first["loc"]).upper()
        raise SettingsError(f"{name}: {first['msg']}") from None


def check_private_file(path: Path, name: str | None = None) -> None:
    """A SettingsError if users other than the owner may read or change `path`.

    `name`: the setting that leads to the file, said first in the message.
    """
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    except OSError as error:
        raise SettingsError(f"{name or path}: cannot read {path}: {error.strerror}") from None
    if mode & 0o077:
        prefix = f"{name}: " if name else ""
        raise SettingsError(
            f"{prefix}other users have access to {path} (mode {mode:04o}): run `chmod 600 {path}`"
        )


def _given(value: SecretStr | None, file: Path | None) -> bool:
    """Whether a secret setting is set at all (a non-empty value, or a file named)."""
    return file is not None or (value is not None and bool(value.get_secret_value().strip()))


def _secret(value: SecretStr | None, file: Path | None, name: str) -> str:
    if value is not None and value.get_secret_value().strip():
        return value.get_secret_value().strip()
    if file is not None:
        try:
            return file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise SettingsError(f"{name}_FILE: cannot read {file}: {error.strerror}") from None
    return ""
