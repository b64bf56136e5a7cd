"""Webhook mode: Telegram POSTs updates to us; each is answered only once it has been handled.

python-telegram-bot's own webhook server answers 200 as soon as an update is queued and compares
the secret with `!=`; here the secret is compared in constant time, and the HTTP answer waits
for the handlers, so an update the process dies on is re-delivered by Telegram, not lost. Several
processes can serve one bot behind a load balancer: the Redis draft lock keeps each person's
updates one at a time across them, and `bot.dedupe` runs a re-delivered update only once.

A press is answered in the HTTP answer (`bot.webhook_reply`): its body carries the
`answerCallbackQuery`, which Telegram runs, so the press costs no call of its own. Every
answered press update carries one: the handlers' answer, else an empty one (a handler that
forgot, or a re-delivery of an update handled already, whose first answer may have been lost
with the HTTP answer; a second answer to an answered press is refused and ignored by Telegram).

Hostile traffic: a request must send its headers within `HEADER_TIMEOUT` and its body within
`BODY_TIMEOUT` seconds; at most `open_connections` connections are open at once (fewer when the
process may open few files). A new connection beyond that closes the oldest one still waiting
for its headers (a slow or idle client), or is closed itself when every open connection is
being served, so a flood of half-sent requests can neither exhaust the process's file
descriptors nor keep Telegram's own deliveries out. What the server logs about such traffic is
written at most once a minute per kind of line.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

import tornado.httpserver
import tornado.httputil
import tornado.iostream
import tornado.web
from prometheus_client import Gauge
from telegram import Update
from telegram.ext import Application

from bot import webhook_reply
from bot.dedupe import Claim, MemoryUpdateDeduper, UpdateDeduper
from bot.guarded_server import (
    BODY_TIMEOUT,
    HEADER_TIMEOUT,
    MAX_HEADER,
    GuardedServer,
    connection_cap,
    quiet_noisy_loggers,
    rate_limited,
)
from bot.listening import listen
from bot.logs import describe
from bot.update_processor import PerPersonUpdateProcessor
from storage.unavailable import StateUnavailable

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_BODY = 1 << 20  # 1 MiB: far above any update this bot accepts


class WebhookServer:
    """A tornado server in the bot's event loop, with a count of requests in flight."""

    def __init__(
        self,
        app: Application,
        secret: str,
        path: str = "/telegram",
        *,
        deduper: UpdateDeduper | None = None,
        open_connections: int = 200,
        in_flight: Gauge | None = None,
    ) -> None:
        self.app = app
        self.secret = secret.encode()
        self.path = path
        self.processor = PerPersonUpdateProcessor(in_flight)
        self.deduper = deduper or MemoryUpdateDeduper()
        self.open_connections = connection_cap(open_connections)
        self.in_flight = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self._server: tornado.httpserver.HTTPServer | None = None

    def listen(self, port: int, address: str) -> int:
        web = tornado.web.Application([(self.path, _UpdateHandler, {"server": self})])
        self._server = GuardedServer(
            web,
            max_body_size=MAX_BODY,
            max_header_size=MAX_HEADER,
            idle_connection_timeout=HEADER_TIMEOUT,
            body_timeout=BODY_TIMEOUT,
            xheaders=True,
        )
        assert isinstance(self._server, GuardedServer)
        self._server.cap, self._server.what = self.open_connections, "webhook"
        quiet_noisy_loggers()
        return listen(self._server, port, address)

    async def stop(self) -> None:
        """Stop accepting, then wait for the updates being handled (SIGTERM)."""
        if self._server is not None:
            self._server.stop()
        await self.idle.wait()
        if self._server is not None:
            await self._server.close_all_connections()
        await self.deduper.aclose()

    def secret_matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.secret)

    async def handle(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        """Handle one update unless it was handled already: the HTTP status to answer, and the
        Bot API method the answer carries (None: an empty answer).

        503 (Telegram retries later) when the same update is being handled elsewhere right
        now, or when the claims cannot be read: an update is never dropped on a guess.
        """
        update = Update.de_json(payload, self.app.bot)
        press = update.callback_query
        fallback = None if press is None else webhook_reply.answer_press(press.id)
        self.in_flight += 1
        self.idle.clear()
        try:
            try:
                verdict, token = await self.deduper.claim(update.update_id)
            except StateUnavailable as error:
                rate_limited("update claims unavailable: %s", describe(error))
                return 503, None
            if verdict is Claim.DONE:
                return 200, fallback
            if verdict is Claim.BUSY:
                return 503, None
            with webhook_reply.collecting() as slot:
                try:
                    await self.processor.process_update(update, self.app.process_update(update))
                except BaseException:
                    await _quietly(self.deduper.release(update.update_id, token))
                    raise
            await _quietly(self.deduper.confirm(update.update_id, token))
            body = slot.answer_body()
            return 200, body if body is not None or slot.press_answered else fallback
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self.idle.set()


async def _quietly(action: Any) -> None:
    """A claim not confirmed runs out by itself: the update may then run twice, never zero."""
    try:
        await action
    except StateUnavailable as error:
        rate_limited("update claim not recorded: %s", describe(error))


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
            status, answer = await self.server.handle(payload)
            self.set_status(status)
            if answer is not None:
                self.set_header("Content-Type", "application/json")
                self.write(json.dumps(answer, ensure_ascii=False))
        except (
            ValueError, TypeError, KeyError, AttributeError,
            OverflowError, RecursionError, OSError,
        ) as error:  # fmt: skip
            rate_limited("a malformed update was refused: %s", describe(error))
            self.set_status(400)
        self.finish()

    def log_exception(self, *args: Any) -> None:
        """Tornado would log the request; ours carries updates. Only the type is logged."""
        error = args[1] if len(args) > 1 else None
        if isinstance(error, BaseException):
            rate_limited("webhook request failed: %s", describe(error))
