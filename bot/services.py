"""Wiring: everything the handlers need, built once in `main` (and in tests), never at import."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.conversation import Conversations
from bot.desk import Desk
from bot.metrics import Metrics
from bot.render import Renderer
from bot.settings import Settings, SettingsError
from dialogs import spec as dialog_spec
from dialogs.engine import Engine
from locales.translator import Translator
from storage import db, repositories, schema
from storage.compaction import Compactor, redis_warnings
from storage.crypto import Cipher, MasterKeyWrapper
from storage.limits import (
    EventCounter,
    FloodLimiter,
    MemoryEventCounter,
    MemoryFloodLimiter,
    RedisEventCounter,
    RedisFloodLimiter,
)
from storage.messagelog import MemoryMessageLog, MessageLog, RedisMessageLog
from storage.outbox import MemoryOutboxIndex, OutboxIndex, RedisOutboxIndex
from storage.state import DraftStore, MemoryDraftStore, RedisDraftStore

log = logging.getLogger(__name__)


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
    conversations: Conversations
    desk: Desk
    flood: FloodLimiter
    counter: EventCounter
    messages: MessageLog
    redis: Redis | None = None
    metrics: Metrics = field(default_factory=Metrics)
    health_port: int | None = None
    compactor: Compactor | None = None

    @classmethod
    async def start(cls, settings: Settings) -> Services:
        """Check the questionnaire and texts, open storage, load the pseudonym key."""
        questionnaire = dialog_spec.load()
        translator = Translator.load()
        missing = dialog_spec.missing_texts(
            questionnaire, {lang: translator.keys(lang) for lang in translator.languages}
        )
        if missing:
            raise SettingsError("questionnaire texts are missing: " + ", ".join(missing))
        if settings.desk_language and settings.desk_language not in questionnaire.languages:
            raise SettingsError(
                "INTAKE_DESK_LANGUAGE must be one of " + ", ".join(questionnaire.languages)
            )
        engine = Engine(questionnaire)
        cipher = Cipher(MasterKeyWrapper(settings.keys()))
        database = db.make_engine(settings.database)
        sessions = db.make_sessionmaker(database)
        try:
            await prepare_schema(database)
            async with sessions() as session, session.begin():
                pseudonyms = await repositories.load_pseudonymizer(session, cipher)
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
            pool = BlockingConnectionPool.from_url(
                settings.redis, max_connections=512, timeout=10,
                socket_timeout=5, socket_connect_timeout=5,
            )  # fmt: skip
            redis = Redis.from_pool(pool)  # the client owns the pool and closes it
            drafts = RedisDraftStore(redis, cipher, ttl)
            await drafts.ping()
            for warning in await redis_warnings(redis):
                log.warning(warning)
            flood = RedisFloodLimiter(redis, burst, window)
            counter = RedisEventCounter(redis, 3600)
            messages = RedisMessageLog(redis)
        else:
            drafts = MemoryDraftStore(cipher, ttl)
            flood = MemoryFloodLimiter(burst, window)
            counter = MemoryEventCounter(3600)
            messages = MemoryMessageLog()
            log.warning(
                "INTAKE_REDIS_URL is not set: unfinished questionnaires live in memory and"
                " will not survive a restart"
            )
        outbox: OutboxIndex = RedisOutboxIndex(redis) if redis is not None else MemoryOutboxIndex()
        conversations = Conversations(engine, drafts, cipher, pseudonyms, sessions, outbox)
        compactor = Compactor(database, redis, interval=settings.compact_interval_seconds)
        conversations.compactor = compactor
        desk = Desk(
            sessions,
            cipher,
            pseudonyms,
            admin_ids=settings.admin_ids,
            suggest_language=engine.suggest_language,
            desk_chat_id=settings.desk_chat_id,
            desk_language=settings.desk_language or "",
        )
        return cls(
            settings=settings,
            engine=engine,
            translator=translator,
            renderer=Renderer(translator),
            cipher=cipher,
            database=database,
            sessions=sessions,
            lookups=db.make_lookup_sessionmaker(database),
            drafts=drafts,
            conversations=conversations,
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


async def prepare_schema(database: AsyncEngine) -> None:
    """A new, empty database is created at the current schema; an outdated one is refused.

    Upgrading a database that holds cases is an operator's decision (`intake-bot migrate`,
    after a backup), never a side effect of starting the bot.
    """
    state = await schema.schema_state(database)
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
