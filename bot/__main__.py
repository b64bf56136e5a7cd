"""`intake-bot`, the command line: only wiring (settings -> logging -> services -> app -> run)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from bot import logs
from bot.settings import Settings, SettingsError, load_settings
from storage.crypto import generate_master_key

log = logging.getLogger("bot")

EXIT_CONFIG = 2


def main(argv: Sequence[str] | None = None) -> int:
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
    keys = commands.add_parser("keys", help="master key tools", description="Master key tools.")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
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
    return EXIT_CONFIG


def _run(settings: Settings) -> int:
    token = settings.token()
    settings.keys()  # fail before anything starts if the keys are missing or malformed
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
