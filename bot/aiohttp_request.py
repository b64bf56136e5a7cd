"""The Bot API client on aiohttp instead of httpx (INTAKE_HTTP_CLIENT=aiohttp, the default).

python-telegram-bot takes any `BaseRequest`; this one behaves as its `HTTPXRequest` does, so the
bot sees the same results and the same exceptions whichever client carries its calls:

- the same body on the wire: form fields URL-encoded (nested objects already JSON strings), or
  multipart when the call uploads a file;
- the same default timeouts (read, write, connect 5 s; pool 1 s; 20 s to write an upload), a
  value passed to a call overriding its default;
- the same certificate authorities (httpx's own SSL context: certifi's, or SSL_CERT_FILE or
  SSL_CERT_DIR), the same proxy variables, and no redirect followed;
- a timeout is `telegram.error.TimedOut` (a full pool with the same "Pool timeout" message), any
  other transport failure `telegram.error.NetworkError` naming the aiohttp exception's class.

Timeouts, mapped: `connect_timeout` bounds making a connection (aiohttp's `connect` and
`sock_connect`), `read_timeout` each wait for the server's bytes (`sock_read`, which also covers
the wait for the answer to begin), `pool_timeout` the wait for one of the pool's
`connection_pool_size` slots (an asyncio semaphore here: aiohttp folds that wait into its
connect timeout). aiohttp has no per-write timeout: `write_timeout` becomes a deadline for the
whole exchange, connect + write + read, none when any of them is None. For the bot's small
calls that is what httpx allows too (one write, one read of a short answer); a large upload on
a slow link would need a longer `media_write_timeout`, as with httpx.

`pool_timeout=None` lets calls beyond the pool wait their turn however long it takes, as
`bot.bounded_request.BoundedHTTPXRequest` does for httpx.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import urlencode

import httpx

try:
    import aiohttp
except ImportError:  # a dependency; bot.clients.check says what to do if it is missing
    aiohttp = None  # type: ignore[assignment]

from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
POOL_TIMEOUT_MESSAGE = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* sent"
    " to Telegram. Consider adjusting the connection pool size or the pool timeout."
)


_TOKEN_IN_URL = re.compile(r"/bot[^/\s'\"]+")
"""The token in a Bot API or file URL (".../bot<token>/getMe", ".../file/bot<token>/...")."""


class AiohttpRequest(BaseRequest):
    """`BaseRequest` on one `aiohttp.ClientSession`, made in `initialize` (inside the loop)."""

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_slots",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if aiohttp is None:
            raise RuntimeError("AiohttpRequest needs the aiohttp package")
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(connection_pool_size)

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout; python-telegram-bot adds getUpdates' long-poll timeout."""
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._slots = asyncio.Semaphore(self._pool_size)  # of this event loop
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._pool_size, limit_per_host=0, ssl=httpx.create_ssl_context()
                ),
                # Telegram sets no cookies; a jar would parse every answer's headers for them.
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=True,  # HTTP(S)_PROXY and NO_PROXY, as httpx reads them
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data is not None else None
        if isinstance(read_timeout, DefaultValue):
            read_timeout = self._read_timeout
        if isinstance(connect_timeout, DefaultValue):
            connect_timeout = self._connect_timeout
        if isinstance(pool_timeout, DefaultValue):
            pool_timeout = self._pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if files else self._write_timeout
        phases = (connect_timeout, write_timeout, read_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None if None in phases else sum(p for p in phases if p is not None),
            connect=connect_timeout,
            sock_connect=connect_timeout,
            sock_read=read_timeout,
        )
        headers = {"User-Agent": self.USER_AGENT}
        body: bytes | aiohttp.FormData | None = None
        if request_data is not None:
            if files:
                form = aiohttp.FormData(request_data.json_parameters)
                for field, (filename, content, mimetype) in files.items():
                    form.add_field(field, content, filename=filename, content_type=mimetype)
                body = form
            else:
                body = urlencode(request_data.json_parameters, doseq=True).encode("ascii")
                headers.update(FORM)
        await self._take_slot(pool_timeout)
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout, allow_redirects=False
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's own timeouts are TimeoutErrors too
            raise TimedOut from error
        except aiohttp.ClientError as error:
            said = _TOKEN_IN_URL.sub("/bot<token>", str(error))  # an invalid URL is quoted whole
            raise NetworkError(f"aiohttp.{type(error).__name__}: {said}") from error
        finally:
            self._slots.release()

    async def _take_slot(self, pool_timeout: float | None) -> None:
        if not self._slots.locked() or pool_timeout is None:
            await self._slots.acquire()
            return
        try:
            async with asyncio.timeout(pool_timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise TimedOut(message=POOL_TIMEOUT_MESSAGE) from None
