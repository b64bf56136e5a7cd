"""Serving the bot until told to stop, by long polling or by webhook: one path for
`intake-bot run`, the demo and the tests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application
from tornado.httpserver import HTTPServer

from bot import clients
from bot.app import ALLOWED_UPDATES, build_application, on_startup
from bot.dedupe import make_deduper
from bot.health import HealthServer
from bot.housekeeping import housekeeping_loop
from bot.loops import stop_loops
from bot.notices import deferred_loop, escalation_loop
from bot.pollinglease import Lease, take_polling_lease
from bot.redischeck import eviction_policy, eviction_problem
from bot.sealed_loops import delivery_loop, inbox_loop
from bot.services import DESK, INTAKE, Services, check_configuration
from bot.settings import Settings, SettingsError
from bot.web_door import telegram_for_the_door
from bot.webhook import WebhookServer
from web import app as web_door

log = logging.getLogger(__name__)

Started = Callable[[Services], Awaitable[None] | None]


async def serve(settings: Settings, stop: asyncio.Event, *, started: Started | None = None) -> None:
    """Start storage and the bot in this event loop, serve until `stop` is set, shut down.

    Updates being handled are finished before the application stops.
    """
    if settings.webhook_url:
        settings.secret_token()  # a missing or weak secret stops us before anything starts
    checked = check_configuration(settings)  # what can be checked here first, then Telegram
    await check_bot_api(settings)
    services = await Services.start(settings, checked=checked)
    health: HealthServer | None = None
    lease: Lease | None = None
    try:
        await _warn_if_redis_may_evict(services)
        lease = await _polling_lease(services, settings)
        app = build_application(services)
        async with app:
            await on_startup(app)
            await app.start()
            stop_receiving = await _start_receiving(app, settings)
            if settings.health_port:
                health = HealthServer(services, app.bot, services.metrics)
                services.health_port = health.listen(settings.health_port, settings.health_listen)
            door = _open_web_door(app.bot, services, settings)
            stopping = asyncio.Event()
            background = [
                asyncio.create_task(
                    housekeeping_loop(
                        app.bot, services, settings.housekeeping_interval_minutes * 60, stopping
                    )
                ),
            ]
            loops = []
            if services.role != INTAKE:
                loops.append(escalation_loop(app.bot, services, settings.escalate_check_seconds,
                                             stopping))  # fmt: skip
            if services.role != DESK:
                loops.append(deferred_loop(app.bot, services, settings.outbox_retry_seconds,
                                           stopping))  # fmt: skip
            if services.role == DESK:
                loops.append(inbox_loop(app.bot, services, settings.sealed_poll_seconds, stopping))
            if services.role == INTAKE:
                loops.append(delivery_loop(app.bot, services, settings.sealed_poll_seconds,
                                           stopping))  # fmt: skip
            background += [asyncio.create_task(loop) for loop in loops]
            log.info(
                "bot started (%s; Bot API client %s, event loop %s)",
                "webhook" if settings.webhook_url else "long polling",
                settings.http_client,
                type(asyncio.get_running_loop()).__module__.split(".")[0],  # asyncio or uvloop
            )
            if started is not None:
                result = started(services)
                if result is not None:
                    await result
            await stop.wait()
            log.info("stopping: finishing updates in flight")
            await stop_receiving()
            if door is not None:
                door.stop()
                await door.close_all_connections()
                await web_door.drain(door)
            await stop_loops(background, stopping)
            await app.stop()
    finally:
        if health is not None:
            await health.stop()
        if lease is not None:
            await lease.release()
        await services.aclose()


def _open_web_door(bot: Bot, services: Services, settings: Settings) -> HTTPServer | None:
    """With INTAKE_WEB_LISTEN set (and not on the desk's side), the web door in this process:
    the same services, and the desk told of its cases through this bot."""
    if settings.web_listen is None or services.role == DESK:
        return None
    announce, remove = telegram_for_the_door(bot, services)
    door, _ = web_door.listen(services, *settings.web_address(), announce=announce, remove=remove)
    log.info("web door listening (INTAKE_WEB_LISTEN)")
    return door


async def check_bot_api(settings: Settings) -> None:
    """Ask the Bot API who we are, before any storage is opened: a rejected token or an
    unreachable Bot API stops the start with one line (a SettingsError) that shows neither the
    token nor the exception (python-telegram-bot puts the token in InvalidToken's message)."""
    request = clients.plain_request(settings)
    await request.initialize()
    try:
        bot = Bot(settings.token(), base_url=settings.api_url, request=request)
        await bot.get_me()
    except InvalidToken:
        raise SettingsError(
            "Telegram rejected INTAKE_BOT_TOKEN: copy the token again from @BotFather"
            " (it may have been revoked)"
        ) from None
    except NetworkError as error:  # TimedOut included
        raise SettingsError(
            f"the Telegram Bot API cannot be reached ({_network_failure(error)}); check the"
            " network and INTAKE_API_URL"
        ) from None
    finally:
        await request.shutdown()


def _network_failure(error: NetworkError) -> str:
    cause = error.__cause__
    name = type(cause).__name__ if cause is not None else type(error).__name__
    if "Timeout" in name or "TimedOut" in name:
        return "timed out"
    if "Connect" in name:
        return "no connection"
    return name


async def _polling_lease(services: Services, settings: Settings) -> Lease | None:
    """Long polling: only one process per bot (see bot.pollinglease); webhooks need none."""
    if settings.webhook_url:
        return None
    return await take_polling_lease(
        services.redis, services.database, settings.token(), settings.poll_lease_seconds
    )


async def _warn_if_redis_may_evict(services: Services) -> None:
    """One line at start when a full Redis would delete drafts instead of refusing writes."""
    if services.redis is not None:
        problem = eviction_problem(await eviction_policy(services.redis))
        if problem:
            log.warning("%s", problem)


async def _start_receiving(
    app: Application,
    settings: Settings,
) -> Callable[[], Awaitable[None]]:
    """Long polling, or a webhook registered with Telegram; returns how to stop receiving."""
    if not settings.webhook_url:
        assert app.updater is not None
        await app.updater.start_polling(
            allowed_updates=ALLOWED_UPDATES, timeout=settings.poll_timeout, poll_interval=0
        )
        return app.updater.stop
    secret = settings.secret_token()
    services: Services = app.bot_data["services"]
    server = WebhookServer(
        app,
        secret,
        deduper=make_deduper(services.redis, settings.token()),
        open_connections=settings.webhook_open_connections,
        in_flight=services.metrics.in_flight,
    )
    port = server.listen(settings.webhook_port, settings.webhook_listen)
    await app.bot.set_webhook(
        settings.webhook_url,
        secret_token=secret,
        allowed_updates=ALLOWED_UPDATES,
        max_connections=settings.webhook_max_connections,
    )
    log.info("webhook listening on port %d", port)
    app.bot_data["webhook_port"] = port
    return server.stop
