"""`intake-bot`, the command line: only wiring (settings -> logging -> services -> app -> run)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

from bot import logs
from bot.settings import Settings, SettingsError, load_settings
from storage.crypto import generate_master_key

log = logging.getLogger("bot")

EXIT_CONFIG = 2


def main(argv: Sequence[str] | None = None) -> int:
    # Durations from Telegram as timedelta objects, the behaviour python-telegram-bot adopts next.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_CONFIG
    try:
        if args.command == "keys":
            return _keys(args)
        settings = load_settings()
        if args.command == "run":
            return _run(settings)
        if args.command == "migrate":
            return _migrate(settings)
        if args.command == "purge":
            return _purge(settings)
    except SettingsError as error:
        print(f"intake-bot: {error}", file=sys.stderr)  # noqa: T201
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
    parser.print_help()
    return EXIT_CONFIG


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intake-bot",
        description="Anonymous Telegram intake bot: questionnaires become encrypted cases.",
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (long polling)", description="Run the bot.")
    commands.add_parser(
        "migrate",
        help="bring the database schema up to date (back up first)",
        description="Apply the database migrations up to the newest revision.",
    )
    commands.add_parser(
        "purge",
        help="erase closed cases past the retention period, now",
        description="Crypto-shred closed cases older than INTAKE_RETENTION_DAYS, and more.",
    )
    keys = commands.add_parser("keys", help="master key tools", description="Master key tools.")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    key_commands.add_parser(
        "rotate",
        help="re-wrap every data key under the newest master key (safe while the bot runs)",
        description=(
            "Re-wrap every data key under the first key of INTAKE_MASTER_KEYS. Afterwards the"
            " older keys are no longer used and can be removed from INTAKE_MASTER_KEYS."
        ),
    )
    key_commands.add_parser(
        "generate",
        help="print a new master key for INTAKE_MASTER_KEYS",
        description="Print a new master key. Put it first in INTAKE_MASTER_KEYS.",
    )
    return parser


def _keys(args: argparse.Namespace) -> int:
    if args.keys_command == "generate":
        print(generate_master_key())  # noqa: T201
        return 0
    if args.keys_command == "rotate":
        return _rotate(load_settings())
    return EXIT_CONFIG


def _run(settings: Settings) -> int:
    token = settings.token()
    settings.keys()  # fail before anything starts if the keys are missing or malformed
    if settings.webhook_url:
        settings.secret_token()
    logs.configure(settings.log_level, secrets=[token])
    asyncio.run(_serve(settings))
    return 0


def _migrate(settings: Settings) -> int:
    from storage import schema

    logs.configure(settings.log_level)
    try:
        asyncio.run(schema.upgrade(settings.database))
    except schema.SchemaError as error:
        raise SettingsError(f"INTAKE_DATABASE_URL: {error}") from None
    print(f"database schema is at revision {schema.head_revision()}")  # noqa: T201
    return 0


def _purge(settings: Settings) -> int:
    from bot.housekeeping import purge
    from bot.services import Services

    settings.keys()
    logs.configure(settings.log_level)

    async def run() -> str:
        services = await Services.start(settings)
        try:
            return str(await purge(services))
        finally:
            await services.aclose()

    print(asyncio.run(run()))  # noqa: T201
    return 0


def _rotate(settings: Settings) -> int:
    from storage import rotation
    from storage.crypto import Cipher, MasterKeyWrapper
    from storage.db import make_engine, make_sessionmaker

    keys = settings.keys()
    logs.configure(settings.log_level)

    async def run() -> tuple[object, dict[str, int]]:
        engine = make_engine(settings.database)
        try:
            sessions = make_sessionmaker(engine)
            report = await rotation.rotate_keys(sessions, Cipher(MasterKeyWrapper(keys)))
            return report, await rotation.keys_in_use(sessions)
        finally:
            await engine.dispose()

    report, in_use = asyncio.run(run())
    print(report)  # noqa: T201
    print("wrapped keys by master key id:", ", ".join(f"{k}={n}" for k, n in in_use.items()))  # noqa: T201
    old = [key.key_id for key in keys[1:] if in_use.get(key.key_id)]
    if not old:
        print("older master keys are no longer used and can be removed")  # noqa: T201
    return 0


async def _serve(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, in one event loop shared by the bot and its storage."""
    from bot.runner import serve_polling

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve_polling(settings, stop)


if __name__ == "__main__":
    sys.exit(main())
