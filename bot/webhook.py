"""Webhook mode: Telegram POSTs updates to us; each is answered only once it has been handled.

python-telegram-bot's own webhook server answers 200 as soon as an update is queued and compares
the secret with `!=`; here the secret is compared in constant time, and the HTTP answer waits
for the handlers, so an update the process dies on is re-delivered by Telegram, not lost. Several
processes can serve one bot behind a load balancer: the Redis draft lock keeps each person's
updates one at a time across them.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.ext import Application

from bot.logs import describe
from bot.update_processor import PerPersonUpdateProcessor

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_BODY = 1 << 20  # 1 MiB: far above any update this bot accepts


class WebhookServer:
    """A tornado server in the bot's event loop, with a count of requests in flight."""

    def __init__(self, app: Application, secret: str, path: str = "/telegram") -> None:  # type: ignore[type-arg]
        self.app = app
        self.secret = secret.encode()
        self.path = path
        self.processor = PerPersonUpdateProcessor()
        self.in_flight = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self._server: tornado.httpserver.HTTPServer | None = None

    def listen(self, port: int, address: str) -> int:
        web = tornado.web.Application([(self.path, _UpdateHandler, {"server": self})])
        self._server = tornado.httpserver.HTTPServer(web, max_body_size=MAX_BODY, xheaders=True)
        self._server.listen(port, address)
        sockets = list(self._server._sockets.values())
        return int(sockets[0].getsockname()[1]) if sockets else port

    async def stop(self) -> None:
        """Stop accepting, then wait for the updates being handled (SIGTERM)."""
        if self._server is not None:
            self._server.stop()
        await self.idle.wait()
        if self._server is not None:
            await self._server.close_all_connections()

    def secret_matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.secret)

    async def handle(self, payload: dict[str, Any]) -> None:
        update = Update.de_json(payload, self.app.bot)
        self.in_flight += 1
        self.idle.clear()
        try:
            await self.processor.process_update(update, self.app.process_update(update))
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self.idle.set()


@tornado.web.stream_request_body
class _UpdateHandler(tornado.web.RequestHandler):
    """The secret is checked before the body is read (or parsed), so nothing unauthenticated
    is ever looked at; the body is then collected up to the server's size limit."""

    def initialize(self, server: WebhookServer) -> None:
        self.server = server
        self._chunks: list[bytes] = []

    def check_xsrf_cookie(self) -> None:
        """Telegram sends no cookies; the secret header is the authentication."""

    def prepare(self) -> None:
        if not self.server.secret_matches(self.request.headers.get(SECRET_HEADER)):
            self.set_status(403)
            self.finish()

    def data_received(self, chunk: bytes) -> None:
        self._chunks.append(chunk)

    async def post(self) -> None:
        try:
            payload = json.loads(b"".join(self._chunks))
            if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
                raise ValueError("not an update")
            await self.server.handle(payload)
        except (
            ValueError, TypeError, KeyError, AttributeError,
            OverflowError, RecursionError, OSError,
        ) as error:  # fmt: skip
            log.warning("a malformed update was refused: %s", describe(error))
            self.set_status(400)
        self.finish()

    def log_exception(self, *args: Any) -> None:
        """Tornado would log the request; ours carries updates. Only the type is logged."""
        error = args[1] if len(args) > 1 else None
        if isinstance(error, BaseException):
            log.warning("webhook request failed: %s", describe(error))
