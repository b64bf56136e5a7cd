"""`/healthz` and `/metrics` (Prometheus), on their own port, with no personal data at all.

Health: the database, Redis (when configured) and the Bot API each answer. Metrics: updates
handled, errors, cases by status, queue length, age of the oldest waiting case, median time to a
volunteer's first reply. Counts and durations only: never a reference, a handle or an id.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import tornado.httpserver
import tornado.web
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from telegram import Bot

from bot.listening import listen
from bot.logs import describe
from bot.metrics import Metrics
from bot.services import Services
from storage import db as database

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 5.0


async def check(services: Services, bot: Bot | None) -> dict[str, str]:
    """Each dependency's state: "ok", or the kind of failure (never a message or a URL)."""
    results: dict[str, str] = {}

    async def probe(name: str, awaitable: Any) -> None:
        try:
            await asyncio.wait_for(awaitable, CHECK_TIMEOUT)
            results[name] = "ok"
        except Exception as error:
            results[name] = type(error).__name__
            log.warning("health check %s failed: %s", name, describe(error))

    await probe("database", database.ping(services.database))
    if services.redis is not None:
        await probe("redis", services.drafts.ping())
    if bot is not None:
        await probe("bot_api", bot.get_me())
    return results


class HealthServer:
    def __init__(self, services: Services, bot: Bot | None, metrics: Metrics) -> None:
        self.services, self.bot, self.metrics = services, bot, metrics
        self._server: tornado.httpserver.HTTPServer | None = None

    def listen(self, port: int, address: str) -> int:
        web = tornado.web.Application(
            [(r"/healthz", _Health, {"owner": self}), (r"/metrics", _Metrics, {"owner": self})]
        )
        self._server = tornado.httpserver.HTTPServer(web)
        return listen(self._server, port, address)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()


class _Health(tornado.web.RequestHandler):
    def initialize(self, owner: HealthServer) -> None:
        self.owner = owner

    async def get(self) -> None:
        results = await check(self.owner.services, self.owner.bot)
        healthy = all(value == "ok" for value in results.values())
        self.set_status(200 if healthy else 503)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": "ok" if healthy else "failing", **results}))

    def log_exception(self, *args: Any) -> None:
        """Only the type: see bot.logs."""


class _Metrics(tornado.web.RequestHandler):
    def initialize(self, owner: HealthServer) -> None:
        self.owner = owner

    async def get(self) -> None:
        try:
            await self.owner.metrics.refresh(self.owner.services.lookups)
        except Exception as error:
            log.warning("metrics refresh failed: %s", describe(error))
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(generate_latest(self.owner.metrics.registry))
