"""Webhook mode: Telegram POSTs updates to us; each is answered only once it has been handled.

python-telegram-bot's own webhook server answers 200 as soon as an update is queued and compares
the secret with `!=`; here the secret is compared in constant time, and the HTTP answer waits
for the handlers, so an update the process dies on is re-delivered by Telegram, not lost. Several
processes can serve one bot behind a load balancer: the Redis draft lock keeps each person's
updates one at a time across them, and `bot.dedupe` runs a re-delivered update only once.

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
import resource
import time
from collections.abc import Callable
from typing import Any

import tornado.httpserver
import tornado.httputil
import tornado.iostream
import tornado.web
from telegram import Update
from telegram.ext import Application

from bot.dedupe import Claim, MemoryUpdateDeduper, UpdateDeduper
from bot.listening import listen
from bot.logs import describe
from bot.update_processor import PerPersonUpdateProcessor
from storage.unavailable import StateUnavailable

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_BODY = 1 << 20  # 1 MiB: far above any update this bot accepts
MAX_HEADER = 16 << 10  # 16 KiB: Telegram sends a few hundred bytes of headers
HEADER_TIMEOUT = 10.0  # seconds to send the request line and headers (and to idle between)
BODY_TIMEOUT = 10.0  # seconds to send the body once the headers are in
FILES_RESERVED = 0.5  # at most this share of the process's open-file limit goes to the webhook
LOG_EVERY = 60.0  # seconds: the same line about hostile traffic at most once a minute


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
    ) -> None:
        self.app = app
        self.secret = secret.encode()
        self.path = path
        self.processor = PerPersonUpdateProcessor()
        self.deduper = deduper or MemoryUpdateDeduper()
        self.open_connections = connection_cap(open_connections)
        self.in_flight = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self._server: tornado.httpserver.HTTPServer | None = None

    def listen(self, port: int, address: str) -> int:
        web = tornado.web.Application([(self.path, _UpdateHandler, {"server": self})])
        self._server = _GuardedServer(
            web,
            max_body_size=MAX_BODY,
            max_header_size=MAX_HEADER,
            idle_connection_timeout=HEADER_TIMEOUT,
            body_timeout=BODY_TIMEOUT,
            xheaders=True,
        )
        assert isinstance(self._server, _GuardedServer)
        self._server.cap = self.open_connections
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

    async def handle(self, payload: dict[str, Any]) -> int:
        """Handle one update unless it was handled already; the HTTP status to answer.

        503 (Telegram retries later) when the same update is being handled elsewhere right
        now, or when the claims cannot be read: an update is never dropped on a guess.
        """
        update = Update.de_json(payload, self.app.bot)
        self.in_flight += 1
        self.idle.clear()
        try:
            try:
                verdict, token = await self.deduper.claim(update.update_id)
            except StateUnavailable as error:
                rate_limited("update claims unavailable: %s", describe(error))
                return 503
            if verdict is Claim.DONE:
                return 200
            if verdict is Claim.BUSY:
                return 503
            try:
                await self.processor.process_update(update, self.app.process_update(update))
            except BaseException:
                await _quietly(self.deduper.release(update.update_id, token))
                raise
            await _quietly(self.deduper.confirm(update.update_id, token))
            return 200
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


def connection_cap(wanted: int) -> int:
    """`wanted`, but never more than a share of the open files this process may have."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return wanted
    return max(1, min(wanted, int(soft * FILES_RESERVED)))


class _Tracked(tornado.httputil.HTTPMessageDelegate):
    """Marks a connection as being served from the moment its headers are complete."""

    def __init__(
        self, inner: tornado.httputil.HTTPMessageDelegate, on_headers: Callable[[], None]
    ) -> None:
        self.inner = inner
        self.on_headers = on_headers

    def headers_received(self, start_line: Any, headers: Any) -> Any:
        self.on_headers()
        return self.inner.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Any:
        return self.inner.data_received(chunk)

    def finish(self) -> None:
        self.inner.finish()

    def on_connection_close(self) -> None:
        self.inner.on_connection_close()


class _GuardedServer(tornado.httpserver.HTTPServer):
    """An HTTPServer with a cap on open connections that sheds the slowest first."""

    def initialize(self, *args: Any, **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self.cap = 200
        self._waiting: dict[object, float] = {}  # connection -> when it began waiting

    def handle_stream(self, stream: tornado.iostream.IOStream, address: tuple[Any, ...]) -> None:
        if len(self._connections) >= self.cap:
            oldest = min(self._waiting, key=self._waiting.__getitem__, default=None)
            if oldest is None:  # every open connection is being served: refuse this one
                rate_limited("webhook: %d connections open, refusing more", self.cap)
                stream.close()
                return
            rate_limited("webhook: %d connections open, closing the slowest", self.cap)
            del self._waiting[oldest]
            oldest.stream.close()  # type: ignore[attr-defined]  # tornado types the connection as object
        super().handle_stream(stream, address)

    def start_request(
        self, server_conn: object, request_conn: tornado.httputil.HTTPConnection
    ) -> tornado.httputil.HTTPMessageDelegate:
        self._waiting[server_conn] = time.monotonic()

        def served() -> None:
            self._waiting.pop(server_conn, None)

        return _Tracked(super().start_request(server_conn, request_conn), served)

    def on_close(self, server_conn: object) -> None:
        self._waiting.pop(server_conn, None)
        super().on_close(server_conn)


class RateLimitedLog(logging.Filter):
    """Lets each kind of line (logger and message template) through at most once a minute."""

    def __init__(self, every: float = LOG_EVERY) -> None:
        super().__init__()
        self.every = every
        self._last: dict[tuple[str, object], float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        kind = (record.name, record.msg)
        last = self._last.get(kind)
        if last is not None and now - last < self.every:
            return False
        if len(self._last) > 1000:  # templates are few; a bound all the same
            self._last.clear()
        self._last[kind] = now
        return True


_RATE_LIMITED = logging.getLogger(__name__ + ".traffic")
_RATE_LIMITED.addFilter(RateLimitedLog())
# Where tornado and asyncio report broken connections and failed accepts: a flood of those
# must not become a flood of log lines.
NOISY_LOGGERS = ("tornado.general", "tornado.application", "tornado.access", "asyncio")


def quiet_noisy_loggers() -> None:
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RateLimitedLog) for f in logger.filters):
            logger.addFilter(RateLimitedLog())


def rate_limited(message: str, *args: object) -> None:
    """A warning about traffic, written at most once a minute per message."""
    _RATE_LIMITED.warning(message, *args)


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
            self.set_status(await self.server.handle(payload))
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
