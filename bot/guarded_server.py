"""A tornado HTTP server that a flood of slow or idle connections cannot exhaust: the webhook's
and the web door's. A request must send its headers within `HEADER_TIMEOUT` and its body within
`BODY_TIMEOUT` seconds; at most `cap` connections are open at once (fewer when the process may
open few files), and a new one beyond that closes the oldest still waiting for its headers, or is
closed itself when every open one is being served. What it logs about such traffic is written
at most once a minute per kind of line."""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Callable
from typing import Any

import tornado.httpserver
import tornado.httputil
import tornado.iostream

MAX_HEADER = 16 << 10  # 16 KiB: Telegram sends a few hundred bytes of headers, a browser ~1 KiB
HEADER_TIMEOUT = 10.0  # seconds to send the request line and headers (and to idle between)
BODY_TIMEOUT = 10.0  # seconds to send the body once the headers are in
FILES_RESERVED = 0.5  # at most this share of the process's open-file limit goes to one server
LOG_EVERY = 60.0  # seconds: the same line about hostile traffic at most once a minute


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


class GuardedServer(tornado.httpserver.HTTPServer):
    """An HTTPServer with a cap on open connections that sheds the slowest first."""

    def initialize(self, *args: Any, **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self.cap = 200
        self.what = "server"  # named in its log lines
        self._waiting: dict[object, float] = {}  # connection -> when it began waiting

    def handle_stream(self, stream: tornado.iostream.IOStream, address: tuple[Any, ...]) -> None:
        if len(self._connections) >= self.cap:
            oldest = min(self._waiting, key=self._waiting.__getitem__, default=None)
            if oldest is None:  # every open connection is being served: refuse this one
                rate_limited("%s: %d connections open, refusing more", self.what, self.cap)
                stream.close()
                return
            rate_limited("%s: %d connections open, closing the slowest", self.what, self.cap)
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
