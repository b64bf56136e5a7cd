"""`intake-bot`, the command line: only wiring (settings -> logging -> services -> app -> run)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot import logs
from bot.settings import (
    Settings,
    SettingsError,
    check_private_file,
    host_and_port,
    load_settings,
)
from storage.crypto import generate_desk_key_pair, generate_master_key

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger("bot")

EXIT_CONFIG = 2
EXIT_FAILURE = 1


def main(argv: Sequence[str] | None = None) -> int:
    # Durations from Telegram as timedelta objects, the behaviour python-telegram-bot adopts next.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["demo"]:
        from bot import demo

        # its own options (--sealed, --language, --wait, --quiet, --help)
        return demo.main(arguments[1:])
    parser = _parser()
    args = parser.parse_args(arguments)
    if args.command is None:
        parser.print_help()
        return EXIT_CONFIG
    try:
        if args.command == "keys":
            return _keys(args)
        settings = load_settings()
        if args.command == "run":
            if args.role is not None:
                settings = settings.model_copy(update={"role": args.role})
            return _run(settings)
        if args.command == "migrate":
            return _migrate(settings)
        if args.command == "purge":
            return _purge(settings)
        if args.command == "check":
            if args.role is not None:
                settings = settings.model_copy(update={"role": args.role})
            return _check(settings)
        if args.command == "stats":
            return _stats(settings, args.by)
        if args.command == "web":
            return _web(settings, args.listen or settings.web_address())
    except SettingsError as error:
        print(f"intake-bot: {error}", file=sys.stderr)  # noqa: T201
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        # A bug or an outage nobody foresaw: where it happened, never the exception's message
        # (a driver may put a URL with its password there, python-telegram-bot the token).
        print(logs.safe_traceback(error), file=sys.stderr)  # noqa: T201
        print(f"intake-bot: unexpected error: {logs.describe(error)}", file=sys.stderr)  # noqa: T201
        return EXIT_FAILURE
    parser.print_help()
    return EXIT_CONFIG


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intake-bot",
        description="Anonymous Telegram intake bot: questionnaires become encrypted cases.",
    )
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser(
        "run",
        help="run the bot (long polling, or a webhook when INTAKE_WEBHOOK_URL is set)",
        description="Run the bot until SIGINT or SIGTERM; updates in flight are finished.",
    )
    run.add_argument(
        "--role",
        choices=("all", "intake", "desk"),
        default=None,
        help=(
            "all (default, or INTAKE_ROLE): one bot for people and volunteers. Sealed mode:"
            " intake, the people's bot, which seals every case to INTAKE_DESK_PUBLIC_KEY and"
            " cannot read it; desk, the volunteers' bot, with INTAKE_DESK_PRIVATE_KEY"
        ),
    )
    commands.add_parser(
        "demo",
        help="try the whole bot in this terminal: no token, no network, throwaway data",
        description="Practise as a person writing and as a volunteer, against a local server.",
    )
    check = commands.add_parser(
        "check",
        help="check settings, questionnaire, database and Redis, in one report",
        description="Exit status 0 when everything needed to run is in order.",
    )
    check.add_argument(
        "--role", choices=("all", "intake", "desk"), default=None,
        help="check the settings of this role (as `run --role`; default INTAKE_ROLE, or all)",
    )  # fmt: skip
    stats = commands.add_parser(
        "stats",
        help="aggregate counts only (for a group's public reports)",
        description="Counts of cases by status and category, and reply times; no content. "
        "With --by: counts per month, team and/or outcome, any count under 5 as <5.",
    )
    stats.add_argument(
        "--by",
        type=_groupings,
        default=None,
        metavar="month,team,outcome",
        help="count cases per month opened (UTC), team and/or outcome, comma-separated",
    )
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
    web = commands.add_parser(
        "web",
        help="serve the web door: the questionnaire and the person's thread, no JavaScript",
        description="Serve the person's side over HTTP until SIGINT or SIGTERM: the"
        " questionnaire (ending in a case like the bot's, with a passphrase to come back), the"
        " thread with the volunteer's replies, /continue for a request begun in Telegram, and"
        " /forget. /healthz and /metrics are on INTAKE_HEALTH_PORT as for the bot.",
    )
    web.add_argument(
        "--listen", type=_listen, default=None, metavar="HOST:PORT",
        help="where to listen (default INTAKE_WEB_LISTEN, or 127.0.0.1:8088)",
    )  # fmt: skip
    keys = commands.add_parser("keys", help="master key tools", description="Master key tools.")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    rotate = key_commands.add_parser(
        "rotate",
        help="re-wrap every data key under the newest master key (safe while the bot runs)",
        description=(
            "Re-wrap every data key under the first key of INTAKE_MASTER_KEYS. Afterwards the"
            " older keys are no longer used and can be removed from INTAKE_MASTER_KEYS."
            " With --rekey, every case, person and volunteer also gets a new data key and every"
            " encrypted field is re-encrypted, so the database shares no key with older copies:"
            " use it when a master key may have leaked."
        ),
    )
    rotate.add_argument(
        "--rekey",
        action="store_true",
        help=(
            "also replace every data key and re-encrypt every field (in batches, safe while the"
            " bot runs; the pseudonym key cannot be replaced and is only re-wrapped)"
        ),
    )
    key_commands.add_parser(
        "generate",
        help="print a new master key for INTAKE_MASTER_KEYS",
        description="Print a new master key. Put it first in INTAKE_MASTER_KEYS.",
    )
    key_commands.add_parser(
        "generate-desk",
        help="print a new desk key pair (sealed mode): the private key for the desk host only",
        description=(
            "Print INTAKE_DESK_PRIVATE_KEY=... (for the desk host only; first in its list when"
            " rotating) and INTAKE_DESK_PUBLIC_KEY=... (for the intake host)."
        ),
    )
    key_commands.add_parser(
        "rotate-desk",
        help="on the desk host: re-wrap every key sealed to an older desk key to the newest one",
        description=(
            "Re-wrap every data key sealed to an older key of INTAKE_DESK_PRIVATE_KEY (newest"
            " first) to the newest one; keys under other ids (the intake's master key) are left"
            " alone. Then give the intake host the new INTAKE_DESK_PUBLIC_KEY, and run this"
            " again until no older desk key is in use."
        ),
    )
    return parser


def _keys(args: argparse.Namespace) -> int:
    if args.keys_command == "generate":
        print(generate_master_key())  # noqa: T201
        return 0
    if args.keys_command == "rotate":
        return _rotate(load_settings(), rekey=args.rekey)
    if args.keys_command == "generate-desk":
        private, public = generate_desk_key_pair()
        print(f"INTAKE_DESK_PRIVATE_KEY={private}")  # noqa: T201
        print(f"INTAKE_DESK_PUBLIC_KEY={public}")  # noqa: T201
        return 0
    if args.keys_command == "rotate-desk":
        return _rotate_desk(load_settings())
    return EXIT_CONFIG


def _run(settings: Settings) -> int:
    # Every missing or malformed required setting at once, in one line, before anything starts.
    from bot import clients

    probes: list[Callable[[], object]] = [
        settings.token,
        settings.check_role,
        lambda: clients.check(settings),
    ]
    if settings.role != "desk":  # the desk host holds no master key (sealed mode)
        probes.append(settings.keys)
    if settings.webhook_url:
        probes.append(settings.secret_token)
    problems: list[str] = []
    for probe in probes:
        try:
            probe()
        except SettingsError as error:
            problems.append(str(error))
    if problems:
        raise SettingsError("; ".join(problems))
    token = settings.token()
    logs.configure(settings.log_level, secrets=[token])
    with asyncio.Runner(loop_factory=clients.loop_factory(settings)) as runner:
        runner.run(_serve(settings))
    return 0


def _migrate(settings: Settings) -> int:
    from storage import schema

    logs.configure(settings.log_level)

    async def run() -> None:
        engine = _engine(settings)
        try:
            await schema.upgrade_engine(engine)
        finally:
            await engine.dispose()

    try:
        asyncio.run(run())
    except schema.SchemaError as error:
        raise SettingsError(f"INTAKE_DATABASE_URL: {error}") from None
    print(f"database schema is at revision {schema.head_revision()}")  # noqa: T201
    return 0


def _purge(settings: Settings) -> int:
    from bot.housekeeping import purge
    from bot.services import Services, check_configuration

    check_configuration(settings)  # the role's keys (on a sealed desk host: no master key)
    logs.configure(settings.log_level)

    async def run() -> str:
        services = await Services.start(settings)
        try:
            return str(await purge(services))
        finally:
            await services.aclose()

    print(asyncio.run(run()))  # noqa: T201
    return 0


def _rotate(settings: Settings, *, rekey: bool = False) -> int:
    from storage import rotation
    from storage.crypto import Cipher, MasterKeyWrapper
    from storage.db import make_sessionmaker

    keys = settings.keys()
    if rekey and settings.role != "all":
        raise SettingsError(
            "keys rotate --rekey is for the single-process mode (INTAKE_ROLE=all); in sealed"
            " mode the intake's own keys are re-wrapped by `keys rotate`, the desk's by"
            " `keys rotate-desk`"
        )
    # Sealed mode's intake: only its own blobs (its keyring) are under its master keys; the
    # rest is the desk's and is left alone, not reported as unreadable.
    own = [key.key_id for key in keys] if settings.role == "intake" else None
    logs.configure(settings.log_level)

    async def run() -> tuple[list[object], dict[str, int]]:
        engine = _engine(settings)
        try:
            sessions = make_sessionmaker(engine)
            cipher = Cipher(MasterKeyWrapper(keys))
            reports: list[object] = []
            if rekey:
                full = await rotation.rekey(sessions, cipher)
                reports += [full, full.rewrap]
            else:
                reports.append(await rotation.rotate_keys(sessions, cipher, key_ids=own))
            return reports, await rotation.keys_in_use(sessions)
        finally:
            await engine.dispose()

    reports, in_use = asyncio.run(run())
    for report in reports:
        print(report)  # noqa: T201
    busy = getattr(reports[0], "busy", 0)
    if busy:
        print(f"{busy} rows were busy and keep their old data keys: run this again")  # noqa: T201
    if own is not None:
        in_use = {key_id: n for key_id, n in in_use.items() if key_id in own}
    print("wrapped keys by master key id:", ", ".join(f"{k}={n}" for k, n in in_use.items()))  # noqa: T201
    old = [key.key_id for key in keys[1:] if in_use.get(key.key_id)]
    if not old:
        print("older master keys are no longer used and can be removed")  # noqa: T201
    return 1 if busy else 0


def _engine(settings: Settings) -> AsyncEngine:
    """The database engine of `settings`; an unusable INTAKE_DATABASE_CA_FILE is a SettingsError."""
    from storage import db

    try:
        return db.make_engine(settings.database, ca_file=settings.database_ca_file)
    except db.TLSConfigError as error:
        raise SettingsError(f"INTAKE_DATABASE_CA_FILE: {error}") from None


def _rotate_desk(settings: Settings) -> int:
    """`keys rotate-desk`: what `keys rotate` does for master keys, for the desk's keys."""
    from storage import rotation
    from storage.crypto import Cipher, DeskKeyWrapper
    from storage.db import make_sessionmaker

    private = settings.desk_private()
    wrapper = DeskKeyWrapper(private=private)
    logs.configure(settings.log_level)

    async def run() -> tuple[rotation.RotationReport, dict[str, int]]:
        engine = _engine(settings)
        try:
            sessions = make_sessionmaker(engine)
            report = await rotation.rotate_keys(sessions, Cipher(wrapper), key_ids=wrapper.key_ids)
            return report, await rotation.keys_in_use(sessions)
        finally:
            await engine.dispose()

    report, in_use = asyncio.run(run())
    print(report)  # noqa: T201
    ours = ", ".join(f"{key_id}={in_use.get(key_id, 0)}" for key_id in wrapper.key_ids)
    print("wrapped keys by desk key id:", ours)  # noqa: T201
    others = sum(n for key_id, n in in_use.items() if key_id not in wrapper.key_ids)
    print(f"wrapped keys under other ids (the intake's, left alone): {others}")  # noqa: T201
    if not any(in_use.get(key.key_id) for key in private[1:]):
        print("older desk keys are no longer used and can be removed")  # noqa: T201
    else:
        print("some keys are still under older desk keys: run this again")  # noqa: T201
    entry = private[0].public().entry()
    print(f"give the intake host the new INTAKE_DESK_PUBLIC_KEY={entry}")  # noqa: T201
    return 0


def _check(settings: Settings) -> int:
    """One line per part, in order; exit status 1 if any part fails."""
    from bot.services import load_routing
    from dialogs import spec as dialog_spec
    from locales.translator import Translator
    from storage import db, schema

    lines: list[str] = []
    ok = True

    def report(name: str, error: str | None) -> None:
        nonlocal ok
        ok = ok and error is None
        lines.append(f"{name:<14} {'ok' if error is None else 'FAILED: ' + error}")

    probes: list[tuple[str, Callable[[], object]]] = [
        ("token", settings.token), ("role", settings.check_role)
    ]  # fmt: skip
    if settings.role != "desk":  # the desk host of sealed mode holds no master key
        probes.append(("master keys", settings.keys))
    if settings.role == "intake":
        probes.append(("desk key", settings.desk_public))
    if settings.role == "desk":
        probes.append(("desk key", settings.desk_private))
    for name, probe in probes:
        try:
            probe()
            report(name, None)
        except SettingsError as error:
            report(name, str(error))
    if settings.webhook_url:
        try:
            settings.secret_token()
            report("webhook", None)
        except SettingsError as error:
            report("webhook", str(error))
    try:
        questionnaire = dialog_spec.load()
        translator = Translator.load()
        available = {lang: translator.keys(lang) for lang in translator.languages}
        missing = dialog_spec.missing_texts(questionnaire, available)
        report("questionnaire", ("missing texts: " + ", ".join(missing)) if missing else None)
    except Exception as error:
        report("questionnaire", str(error))
    else:
        try:
            load_routing(questionnaire, available)
            report("routing", None)
        except SettingsError as error:
            report("routing", str(error))

    async def database() -> None:
        try:
            sqlite_file = db.sqlite_path(settings.database)
            for path in db.sqlite_files(settings.database):
                check_private_file(path)
        except (ValueError, SettingsError) as error:
            report("database", str(error))
            return
        if sqlite_file is not None and not sqlite_file.exists():
            # Checking creates nothing: the first start makes the directory and the file.
            lines.append(f"{'database':<14} not created yet (the first start creates it)")
            return
        try:
            engine = _engine(settings)
        except SettingsError as error:
            report("database", str(error))
            return
        try:
            await db.ping(engine)
            state = await schema.schema_state(engine)
            report("database", None if state in ("current", "empty") else f"schema is {state}")
        except Exception as error:
            report("database", type(error).__name__)
        finally:
            await engine.dispose()

    async def connectivity() -> None:
        await database()
        if settings.redis:
            from redis.asyncio import Redis

            client = Redis.from_url(settings.redis, socket_connect_timeout=5)
            try:
                await client.ping()
                from bot.redischeck import eviction_policy, eviction_problem
                from storage.compaction import redis_warnings

                report("redis", eviction_problem(await eviction_policy(client)))
                lines.extend(f"{'redis':<14} warning: {w}" for w in await redis_warnings(client))
            except Exception as error:
                report("redis", type(error).__name__)
            finally:
                await client.aclose()
        else:
            lines.append(f"{'redis':<14} not configured (drafts in memory)")

    asyncio.run(connectivity())
    print("\n".join(lines))  # noqa: T201
    return 0 if ok else 1


def _groupings(value: str) -> tuple[str, ...]:
    """`--by month,team,outcome`: some of those, each once, in the order given."""
    from storage.stats import GROUPINGS

    parts = tuple(part.strip().lower() for part in value.split(",") if part.strip())
    unknown = [part for part in parts if part not in GROUPINGS]
    if not parts or unknown or len(set(parts)) != len(parts):
        raise argparse.ArgumentTypeError(
            "give one or more of " + ",".join(GROUPINGS) + ", each once, separated by commas"
        )
    return parts


def _listen(value: str) -> tuple[str, int]:
    """`--listen HOST:PORT` (an IPv6 host in brackets), or exit status 2 saying what is wrong."""
    try:
        return host_and_port(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _web(settings: Settings, listen: tuple[str, int]) -> int:
    """The web form (`web/`) on the intake side; a bot token, if set, tells the desk of its
    new cases (in sealed mode the desk hears of them through the database instead)."""
    settings.check_role()
    if settings.role == "desk":
        raise SettingsError("intake-bot web serves people: run it with INTAKE_ROLE all or intake")
    settings.keys()
    try:
        token: str | None = settings.token()
    except SettingsError:
        token = None
    logs.configure(settings.log_level, secrets=[token] if token else [])
    asyncio.run(_serve_web(settings, listen, token))
    return 0


async def _serve_web(settings: Settings, listen: tuple[str, int], token: str | None) -> None:
    from telegram import Bot

    from bot.health import HealthServer
    from bot.services import Services
    from bot.web_door import telegram_for_the_door
    from web.app import serve

    services = await Services.start(settings)
    bot = Bot(token, base_url=settings.api_url) if token else None
    health: HealthServer | None = None
    if settings.health_port:  # Telegram is not asked: the door must be healthy while it is away
        health = HealthServer(services, None, services.metrics)
        health.listen(settings.health_port, settings.health_listen)
    # Without a token no desk notice goes (in sealed mode the desk hears through the database)
    # and a web /forget's copies are left to the desk bot's housekeeping.
    announce, remove = telegram_for_the_door(bot, services) if bot is not None else (None, None)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await serve(services, *listen, stop, announce=announce, remove=remove)
    finally:
        if health is not None:
            await health.stop()
        if bot is not None:
            await bot.shutdown()
        await services.aclose()


def _stats(settings: Settings, by: tuple[str, ...] | None = None) -> int:
    from storage import schema
    from storage import stats as stats_store
    from storage.db import make_sessionmaker

    async def grouped(by: tuple[str, ...]) -> str:
        """A header and one tab-separated line per group: ids and counts, never a reference
        or a time finer than the month; any count under 5 as <5."""
        engine = _engine(settings)
        try:
            if await schema.schema_state(engine) != "current":
                raise SettingsError("INTAKE_DATABASE_URL: the schema is not current")
            async with make_sessionmaker(engine)() as session:
                counts = await stats_store.counts_by(session, by)
        finally:
            await engine.dispose()
        lines = ["\t".join([*by, "cases"])]
        lines += ["\t".join([*key, stats_store.shown(n)]) for key, n in counts.items()]
        return "\n".join(lines)

    if by is not None:
        print(asyncio.run(grouped(by)))  # noqa: T201
        return 0

    async def run() -> str:
        engine = _engine(settings)
        try:
            if await schema.schema_state(engine) != "current":
                raise SettingsError("INTAKE_DATABASE_URL: the schema is not current")
            async with make_sessionmaker(engine)() as session:
                stats = await stats_store.desk_stats(session)
                categories = await stats_store.category_counts(session)
        finally:
            await engine.dispose()
        median = stats.median_first_reply
        lines = [
            f"cases waiting: {stats.waiting}",
            f"cases taken: {stats.taken}",
            f"cases closed: {stats.closed}",
            *(f"category {name}: {count}" for name, count in sorted(categories.items())),
            "median time to first reply: "
            + (f"{median.total_seconds() / 3600:.1f} h" if median is not None else "none yet"),
            f"active volunteers: {stats.active_volunteers}",
        ]
        return "\n".join(lines)

    print(asyncio.run(run()))  # noqa: T201
    return 0


async def _serve(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, in one event loop shared by the bot and its storage."""
    from bot.runner import serve

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(settings, stop)


if __name__ == "__main__":
    sys.exit(main())
