"""Wiring: everything the handlers need, built once in `main` (and in tests), never at import."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import AuthenticationError, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.metrics import Metrics
from bot.render import Renderer
from bot.settings import Settings, SettingsError, check_private_file
from casework.deliveries import DeliveryOutbox, DeliveryQueue
from casework.desk.access import Desk
from casework.desk.inbox import Inbox
from casework.edits import Edits
from casework.erasure import Erasure
from casework.followup import Followup
from casework.notices import Notices
from casework.signalling import SignalNotices
from casework.submission import Submission
from casework.turns import Turns
from casework.verification import Verification
from dialogs import routing as dialog_routing
from dialogs import spec as dialog_spec
from dialogs.engine import Engine
from dialogs.routing import Routing
from dialogs.spec import Questionnaire
from locales.translator import Translator
from storage import db, schema
from storage import deliveries as delivery_store
from storage import keyring as keyring_store
from storage.compaction import Compactor, redis_warnings
from storage.crypto import (
    Cipher,
    DecryptionError,
    DeskKeyWrapper,
    MasterKeyWrapper,
    Pseudonymizer,
    wrapped_key_id,
    x25519_public_of,
)
from storage.deferred import DeferredIndex, MemoryDeferredIndex, RedisDeferredIndex
from storage.drafts import DraftStore, MemoryDraftStore, RedisDraftStore
from storage.editlog import EditLog, MemoryEditLog, RedisEditLog
from storage.limits import (
    EventCounter,
    FloodLimiter,
    MemoryEventCounter,
    MemoryFloodLimiter,
    RedisEventCounter,
    RedisFloodLimiter,
)
from storage.messagelog import MemoryMessageLog, MessageLog, RedisMessageLog
from storage.models import KeyringEntry
from storage.slow_pseudonyms import SlowPseudonymizer

log = logging.getLogger(__name__)

PSEUDONYM_SLOTS = max(1, os.cpu_count() or 1)
"""Slow pseudonyms made at once: one per core (each takes 19 MiB and a core for ~50 ms)."""

ALL, INTAKE, DESK = "all", "intake", "desk"
"""The roles a process can have (`intake-bot run --role`): see `Services.role`."""


@dataclass
class Services:
    settings: Settings
    engine: Engine
    translator: Translator
    renderer: Renderer
    cipher: Cipher
    database: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    lookups: async_sessionmaker[AsyncSession]  # for reads only: they do not wait for writers
    drafts: DraftStore
    turns: Turns
    submission: Submission
    followup: Followup
    verification: Verification
    erasure: Erasure
    edits: Edits
    notices: Notices | SignalNotices
    desk: Desk
    flood: FloodLimiter
    counter: EventCounter
    messages: MessageLog
    redis: Redis | None = None
    metrics: Metrics = field(default_factory=Metrics)
    health_port: int | None = None
    compactor: Compactor | None = None
    role: str = ALL
    """Which bot this process is: `all` (one bot for everyone), or in sealed mode the intake
    bot (people) or the desk bot (volunteers)."""
    inbox: Inbox | None = None
    """The desk in sealed mode: acting on the intake's signals."""
    deliveries: DeliveryQueue | None = None
    """The desk in sealed mode: its messages to people, queued for the intake bot."""
    outbox: DeliveryOutbox | None = None
    """The intake in sealed mode: the desk's messages to people, to send."""
    pseudonym_slots: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(PSEUDONYM_SLOTS)
    )
    """The intake in sealed mode: slow pseudonyms being made at once (`bot.app`)."""

    @classmethod
    async def start(cls, settings: Settings, *, checked: Checked | None = None) -> Services:
        """Check the questionnaire, routing and texts, open storage, load the pseudonym key.

        `checked`: what `check_configuration` returned, if the caller ran it already.
        """
        questionnaire, translator, routing = checked or check_configuration(settings)
        engine = Engine(questionnaire)
        role = settings.role
        keys = settings.keys() if role != DESK else []
        # Case-side records (persons, cases, entries, volunteers) are under `cipher`; drafts
        # and the intake's own keyring under `own`. One master key for both, except in sealed
        # mode: there the intake seals case-side records to the desk's public key and cannot
        # open them, and the desk, which holds no master key, opens them with its private key.
        own = cipher = Cipher(MasterKeyWrapper(keys)) if keys else None
        if role == INTAKE:
            cipher = Cipher(DeskKeyWrapper(public=settings.desk_public()))
        elif role == DESK:
            own = cipher = Cipher(DeskKeyWrapper(private=settings.desk_private()))
        assert own is not None
        assert cipher is not None
        try:
            database = db.make_engine(settings.database, ca_file=settings.database_ca_file)
        except db.TLSConfigError as error:
            raise SettingsError(f"INTAKE_DATABASE_CA_FILE: {error}") from None
        except OSError as error:
            raise SettingsError(
                f"INTAKE_DATABASE_URL: cannot create {error.filename}: {error.strerror}"
            ) from None
        sessions = db.make_sessionmaker(database)
        delivery_key = b""
        try:
            # Reach both stores before the schema is made, so that a refused connection stops
            # the start with one line and leaves no half-made database behind.
            await reach_database(database)
            if settings.redis:
                await reach_redis(settings.redis)
            await prepare_schema(database)
            async with sessions() as session, session.begin():
                try:
                    name = (
                        keyring_store.DESK_PSEUDONYM_KEY_NAME
                        if role == DESK
                        else keyring_store.PSEUDONYM_KEY_NAME
                    )
                    pseudonym_key = await keyring_store.load_secret(session, own, name)
                    if role == INTAKE:
                        delivery_key = await keyring_store.load_secret(
                            session, own, keyring_store.DELIVERY_KEY_NAME
                        )
                        await delivery_store.publish_key(session, x25519_public_of(delivery_key))
                except DecryptionError:
                    if role == DESK:
                        raise SettingsError(
                            "INTAKE_DESK_PRIVATE_KEY does not open this database's desk keyring"
                            " (another desk key pair, or an older one missing from the list)"
                        ) from None
                    raise await _keyring_error(session, [key.key_id for key in keys]) from None
        except Exception:
            await database.dispose()
            raise
        ttl = settings.draft_ttl_hours * 3600
        burst, window = settings.flood_burst, settings.flood_window_seconds
        drafts: DraftStore
        flood: FloodLimiter
        counter: EventCounter
        messages: MessageLog
        redis: Redis | None = None
        if settings.redis:
            # One client (one connection pool) for drafts, locks, limits and message ids.
            # A blocking pool: under a surge, updates wait for a free connection instead of
            # failing with "too many connections" (redis-py's default pool raises at 100).
            # A command on a connection Redis closed (it restarted) is retried on a new one, so
            # a restart costs nobody a "try again": the flood limit fails closed.
            pool = BlockingConnectionPool.from_url(
                settings.redis, max_connections=512, timeout=10,
                socket_timeout=5, socket_connect_timeout=5,
                retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
                retry_on_error=[RedisConnectionError],
            )  # fmt: skip
            redis = Redis.from_pool(pool)  # the client owns the pool and closes it
            drafts = RedisDraftStore(redis, own, ttl)
            await drafts.ping()
            for warning in await redis_warnings(redis):
                log.warning(warning)
            flood = RedisFloodLimiter(redis, burst, window)
            counter = RedisEventCounter(redis, 3600)
            messages = RedisMessageLog(redis)
        else:
            drafts = MemoryDraftStore(own, ttl)
            flood = MemoryFloodLimiter(burst, window)
            counter = MemoryEventCounter(3600)
            messages = MemoryMessageLog()
            if role != DESK:  # the desk bot has no questionnaires
                log.warning(
                    "INTAKE_REDIS_URL is not set: unfinished questionnaires live in memory and"
                    " will not survive a restart"
                )
        deferred: DeferredIndex = (
            RedisDeferredIndex(redis) if redis is not None else MemoryDeferredIndex()
        )
        edit_log: EditLog = RedisEditLog(redis) if redis is not None else MemoryEditLog()
        compactor = Compactor(database, redis, interval=settings.compact_interval_seconds)
        lookups = db.make_lookup_sessionmaker(database)
        # The intake in sealed mode: a person's pseudonym costs tens of milliseconds to make
        # from their id (kept per process), so a seized copy cannot be matched to ids by trying.
        pseudonyms = Pseudonymizer(pseudonym_key)
        person_pseudonyms: Pseudonymizer | SlowPseudonymizer = (
            SlowPseudonymizer(pseudonym_key) if role == INTAKE else pseudonyms
        )
        turns = Turns(
            engine, drafts, person_pseudonyms,
            forgotten=(lambda: compactor.request(database=False)) if role == INTAKE else None,
        )  # fmt: skip
        desk = Desk(
            sessions,
            cipher,
            pseudonyms,
            translator,
            admin_ids=settings.admin_ids,
            suggest_language=engine.suggest_language,
            default_language=questionnaire.default_language,
            invite_ttl_hours=settings.invite_ttl_hours,
            desk_chat_id=settings.desk_chat_id,
            team_chat_ids=settings.team_chat_ids,
            desk_language=settings.desk_language or "",
            codeword_silence_days=settings.codeword_silence_days,
            routing=routing,
            volunteers_here=role != INTAKE,
            sealed=role == DESK,
        )
        notices = Notices(
            sessions,
            cipher,
            translator,
            desk.recipients,
            default_language=engine.spec.default_language,
            escalate_after=timedelta(minutes=settings.escalate_after_minutes),
            reply_escalate_after=timedelta(minutes=settings.reply_escalate_minutes),
        )
        signalled = SignalNotices(sessions) if role == INTAKE else None
        erasure = Erasure(
            turns,
            sessions,
            cipher,
            translator,
            deferred,
            messages,
            flood,
            edit_log,
            clean_after_submit=settings.clean_after_submit,
            compactor=compactor,
        )
        submission = Submission(
            turns, sessions, lookups, cipher, translator, counter, signalled or notices,
            deferred, routing=routing,
        )  # fmt: skip
        return cls(
            role=role,
            inbox=Inbox(desk, notices, submission.answered_more) if role == DESK else None,
            deliveries=DeliveryQueue(sessions, cipher, translator) if role == DESK else None,
            outbox=DeliveryOutbox(sessions, delivery_key) if role == INTAKE else None,
            settings=settings,
            engine=engine,
            translator=translator,
            renderer=Renderer(translator),
            cipher=cipher,
            database=database,
            sessions=sessions,
            lookups=lookups,
            drafts=drafts,
            turns=turns,
            submission=submission,
            followup=Followup(turns, sessions, lookups, cipher, translator),
            verification=Verification(turns, sessions, cipher, translator),
            erasure=erasure,
            edits=Edits(sessions, lookups, cipher, translator, edit_log),
            notices=signalled or notices,
            desk=desk,
            flood=flood,
            counter=counter,
            messages=messages,
            redis=redis,
            compactor=compactor,
        )

    async def aclose(self) -> None:
        if self.compactor is not None:
            await self.compactor.aclose()
        await self.drafts.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        await self.database.dispose()


Checked = tuple[Questionnaire, Translator, Routing]
"""What `check_configuration` found in order: the questionnaire, the texts, the routing."""


def check_configuration(settings: Settings) -> Checked:
    """What can be checked without a connection, so that it is said before any: the
    questionnaire and its texts, the routing, the desk language, the role and its keys, the
    database's files."""
    try:
        questionnaire = dialog_spec.load()
    except dialog_spec.SpecError as error:
        raise SettingsError(f"dialogs/intake.yaml: {one_line(error)}") from None
    translator = Translator.load()
    available = {lang: translator.keys(lang) for lang in translator.languages}
    missing = dialog_spec.missing_texts(questionnaire, available)
    if missing:
        raise SettingsError("questionnaire texts are missing: " + ", ".join(missing))
    routing = load_routing(questionnaire, available)
    unknown = sorted(set(settings.team_chat_ids or {}) - set(routing.teams))
    if unknown:
        raise SettingsError(
            f"INTAKE_TEAM_CHAT_IDS: no team {unknown[0]!r} in dialogs/routing.yaml (teams: "
            + ", ".join(routing.teams)
            + ")"
        )
    if settings.desk_language and settings.desk_language not in questionnaire.languages:
        raise SettingsError(
            "INTAKE_DESK_LANGUAGE must be one of " + ", ".join(questionnaire.languages)
        )
    settings.check_role()
    if settings.role != DESK:
        settings.keys()
    if settings.role == INTAKE:
        settings.desk_public()
    if settings.role == DESK:
        settings.desk_private()
    check_storage_files(settings)
    return questionnaire, translator, routing


def one_line(error: Exception) -> str:
    """A message of several lines (a list of problems) as one, for a one-line refusal."""
    parts = [line.strip().removeprefix("- ") for line in str(error).splitlines()]
    head, *rest = [part for part in parts if part] or [type(error).__name__]
    return head + (" " + "; ".join(rest) if rest else "")


def load_routing(questionnaire: Questionnaire, available: dict[str, set[str]]) -> Routing:
    """The teams and routing rules, or a SettingsError (one line, exit status 2) naming the
    first problems of dialogs/routing.yaml."""
    try:
        return dialog_routing.load(questionnaire=questionnaire, available=available)
    except dialog_routing.RoutingError as error:
        raise SettingsError(f"dialogs/routing.yaml: {error}") from None


def check_storage_files(settings: Settings) -> None:
    """A SettingsError if other users have access to the SQLite database, its WAL or its
    shared memory (an older version made them 0644): the cases are encrypted, but who wrote
    when, and how often, is not."""
    try:
        files = db.sqlite_files(settings.database)
    except ValueError as error:
        raise SettingsError(f"INTAKE_DATABASE_URL: {error}") from None
    for path in files:
        check_private_file(path, "INTAKE_DATABASE_URL")


# What a refused connection was, by the type of the driver's exception: the messages are not
# shown, since a driver may put the URL (with its password) in them.
_CONNECTION_FAILURES = {
    "ConnectionRefusedError": "connection refused",
    "gaierror": "host not found",
    "TimeoutError": "timed out",
    "InvalidPasswordError": "password authentication failed",
    "InvalidAuthorizationSpecificationError": "the server refused this user",
    "InvalidCatalogNameError": "no such database",
    "AuthenticationError": "authentication failed",
    "AuthenticationWrongNumberOfArgsError": "authentication failed",
}


def _failure(error: BaseException) -> str:
    """Why a connection failed, in words, from the innermost exception we know a name for."""
    seen: BaseException | None = error
    names: list[str] = []
    while seen is not None:
        names.append(type(seen).__name__)
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
        if len(names) > 10:
            break
    for name in reversed(names):
        if name in _CONNECTION_FAILURES:
            return _CONNECTION_FAILURES[name]
    return names[-1]


async def reach_database(database: AsyncEngine) -> None:
    """A SettingsError naming INTAKE_DATABASE_URL if the database cannot be reached."""
    try:
        await db.ping(database)
    except (OSError, SQLAlchemyError) as error:
        raise SettingsError(
            f"INTAKE_DATABASE_URL: the database refused the connection ({_failure(error)})"
        ) from None


async def reach_redis(url: str) -> None:
    """A SettingsError naming INTAKE_REDIS_URL if Redis cannot be reached."""
    client = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        await client.ping()
    except AuthenticationError:
        raise SettingsError("INTAKE_REDIS_URL: Redis refused the password") from None
    except (OSError, RedisError) as error:
        raise SettingsError(
            f"INTAKE_REDIS_URL: Redis refused the connection ({_failure(error)})"
        ) from None
    finally:
        await client.aclose()


async def _keyring_error(session: AsyncSession, configured: list[str]) -> SettingsError:
    """The stored pseudonym key did not unwrap: say which master key it needs (ids are not
    secret: they are stored in the clear next to each wrapped key)."""
    blob = await session.scalar(
        select(KeyringEntry.blob).where(KeyringEntry.name == keyring_store.PSEUDONYM_KEY_NAME)
    )
    try:
        key_id = wrapped_key_id(blob) if blob is not None else None
    except DecryptionError:
        key_id = None
    if key_id is None:
        return SettingsError("INTAKE_MASTER_KEYS: the database's keyring cannot be read")
    if key_id in configured:
        return SettingsError(
            f"INTAKE_MASTER_KEYS: the key with id {key_id} is not the key this database was"
            " written with (same id, other key)"
        )
    return SettingsError(
        "INTAKE_MASTER_KEYS does not include the key this database was written with"
        f" (key id {key_id})"
    )


async def prepare_schema(database: AsyncEngine) -> None:
    """A new, empty database is created at the current schema; an outdated one is refused.

    Upgrading a database that holds cases is an operator's decision (`intake-bot migrate`,
    after a backup), never a side effect of starting the bot.
    """
    try:
        state = await schema.schema_state(database)
    except schema.SchemaError as error:  # tables, but not this bot's: our own words, no data
        raise SettingsError(f"INTAKE_DATABASE_URL: {error}") from None
    if state == "empty":
        await schema.upgrade_engine(database)
        log.info("created the database schema at revision %s", schema.head_revision())
    elif state == "outdated":
        raise SettingsError(
            "the database schema is outdated: back up the database, then run `intake-bot migrate`"
        )
    elif state == "ahead":
        raise SettingsError(
            "the database schema is newer than this version of intake-bot: upgrade intake-bot"
        )
