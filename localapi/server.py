"""A local Bot API server that speaks Telegram's wire format, for end-to-end tests and demos.

Why: the bot's real code path (python-telegram-bot's ``Application``, polling over HTTP,
its request encoding, its retry and rate-limit logic) should be exercised without reaching
Telegram. Point the bot at :attr:`LocalBotApi.base_url` and drive simulated users::

    with LocalBotApi() as api:
        app = (
            ApplicationBuilder()
            .token(api.token)
            .base_url(api.base_url)
            .base_file_url(api.base_file_url)
            .build()
        )
        ...  # start polling
        user = api.user()
        user.send_command("/start")
        user.wait_for_text("Hello")
        user.press("Continue")

Design: the server runs tornado on its own asyncio event loop in a daemon thread, so tests
and terminal UIs on any thread or event loop can drive it. All state lives in
:class:`~localapi.state.BotState`, guarded by a lock that is only ever held briefly; the
loop is poked with ``call_soon_threadsafe`` when updates arrive. Every public method is
thread-safe. The only blocking calls are :meth:`start`, :meth:`stop` and the ``wait_for*``
methods of users; from a coroutine use ``await user.wait_for_text_async(...)`` or
``await asyncio.to_thread(user.wait_for_text, ...)`` so your own loop keeps running (the bot
under test usually runs on it!). Never call them on the server's thread.

Wire format: ``/bot<token>/<method>`` with method names matched case-insensitively;
parameters from the query string, form or multipart bodies (nested objects as JSON strings,
which is what python-telegram-bot sends) or a JSON body. Answers are
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N, "description": ...}``
with Telegram's descriptions. Deliberate differences from Telegram: webhooks may use plain
http and any port (they are local), getUpdates accepts fractional timeouts and does not throttle
repeated short polls, and only the methods in :data:`~localapi.methods.METHODS` exist (others
answer 404 like an unknown method).

Webhook answers: as on Telegram ("Making requests when getting updates"), a webhook may answer
an update with one Bot API method as its body (JSON, form or multipart, the method named in a
``method`` field); the server runs it once the update is accepted, returns its result to no
one and drops its error. Such methods are not HTTP calls, so :meth:`LocalBotApi.calls` leaves
them out and :meth:`LocalBotApi.webhook_replies` lists them.

Privacy: the server logs only method names, status codes and timings at DEBUG level, never
message text, user ids, names or the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import socket
import threading
from types import TracebackType
from typing import Any, Self

import httpx
import tornado.httpserver
import tornado.httputil
import tornado.ioloop
import tornado.web

from localapi.chats import FakeGroup, FakeUser
from localapi.methods import METHODS
from localapi.models import ApiCall, ApiError, FaultKind
from localapi.observer import Observer
from localapi.params import Params, decode_params
from localapi.state import BotState
from localapi.updates import LONG_POLL_MAX_TIMEOUT

__all__ = ["LocalBotApi"]

_log = logging.getLogger(__name__)

_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
_CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)


class LocalBotApi:
    """A fake Telegram Bot API server on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        token: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "intake_test_bot",
        bot_id: int = 123456,
        bot_first_name: str = "Intake Test Bot",
        timeout_hold: float = 15.0,
        callback_query_ttl: float = 60.0,
        webhook_retry_delay: float = 0.5,
    ) -> None:
        """Configure the server; nothing listens until :meth:`start`.

        ``timeout_hold`` is how long a ``"timeout"`` fault keeps a request unanswered (it
        should exceed the client's read timeout). ``callback_query_ttl`` is how long, on the
        server clock, a callback query can still be answered; Telegram documents no exact
        figure, so this is an approximation. ``webhook_retry_delay`` is the pause before
        re-delivering an update the webhook did not accept.
        """
        # Each server has its own token, as each real bot has: state a bot keeps per token in a
        # shared Redis (its polling lease, its handled update ids) never crosses between servers.
        self.token = token or f"{bot_id}:TEST-{secrets.token_hex(8)}"
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self.timeout_hold = timeout_hold
        self.webhook_retry_delay = webhook_retry_delay
        self.state = BotState(
            bot_id=bot_id,
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            callback_query_ttl=callback_query_ttl,
        )
        self._users: dict[int, FakeUser] = {}
        self._groups: dict[int, FakeGroup] = {}
        self._lifecycle = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Event | None = None
        # Loop-side runtime, touched only on the server thread:
        self._stopping = False
        self._waiters: set[asyncio.Future[None]] = set()
        self._poller: object | None = None
        self._io_loop: tornado.ioloop.IOLoop | None = None
        self._in_flight = 0
        self._idle = asyncio.Event()

    # ------------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start listening; returns once the port is bound. Calling it again is harmless."""
        with self._lifecycle:
            if self._thread is not None:
                return
            ready = threading.Event()
            failure: list[BaseException] = []
            thread = threading.Thread(
                target=self._run, args=(ready, failure), name="local-bot-api", daemon=True
            )
            thread.start()
            if not ready.wait(timeout=30):
                raise RuntimeError("the local Bot API server did not start within 30 s")
            if failure:
                thread.join(timeout=5)
                raise RuntimeError("the local Bot API server failed to start") from failure[0]
            self._thread = thread

    def stop(self) -> None:
        """Stop the server: pending requests are answered or dropped, the thread exits.

        The state (users, chats, calls) is kept, so assertions can still run afterwards,
        and :meth:`start` may be called again (on a new port unless one was fixed).
        """
        if threading.current_thread() is self._thread:
            raise RuntimeError("stop() must not be called on the server's own thread")
        with self._lifecycle:
            thread, loop, stop_requested = self._thread, self._loop, self._stop_requested
            if thread is None or loop is None or stop_requested is None:
                return
            with contextlib.suppress(RuntimeError):  # the loop may already be gone
                loop.call_soon_threadsafe(stop_requested.set)
            thread.join(timeout=30)
            if thread.is_alive():
                raise RuntimeError("the local Bot API server did not stop within 30 s")
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the local Bot API server is not started")
        return self._port

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """python-telegram-bot's ``base_url``: it appends the token itself."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """python-telegram-bot's ``base_file_url`` (files users sent, placeholder content)."""
        return f"{self.url}/file/bot"

    # ------------------------------------------------------------------- the human side

    def user(
        self,
        user_id: int | None = None,
        *,
        language_code: str | None = "ru",
        first_name: str = "Test",
        username: str | None = None,
    ) -> FakeUser:
        """A user with a private chat with the bot; a new id is chosen when ``user_id`` is None.

        Asking again for an existing id returns the same user (the other arguments are then
        ignored). The bot can write to the user only after the user has written once.
        """
        info = self.state.add_user(
            user_id, first_name=first_name, username=username, language_code=language_code
        )
        with self.state.cond:
            existing = self._users.get(info.id)
            if existing is None:
                existing = self._users[info.id] = FakeUser(self.state, info.id, self._guard)
            return existing

    def group(
        self,
        chat_id: int | None = None,
        *,
        title: str = "Volunteers",
        chat_type: str = "supergroup",
    ) -> FakeGroup:
        """A group chat the bot is a member of and may post to; same id, same group."""
        chat = self.state.add_group(chat_id, title=title, chat_type=chat_type)
        with self.state.cond:
            existing = self._groups.get(chat.id)
            if existing is None:
                existing = self._groups[chat.id] = FakeGroup(self.state, chat.id, self._guard)
            return existing

    def _guard(self) -> None:
        if threading.current_thread() is self._thread:
            raise RuntimeError("blocking calls must not run on the local Bot API server thread")

    # ------------------------------------------------------------------ test controls

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every request received so far (optionally one method, any letter case), in order."""
        return self.state.calls(method)

    def webhook_replies(self, method: str | None = None) -> list[ApiCall]:
        """Methods the bot's webhook answers carried, run in order (optionally one method).

        ``status`` is what Telegram would have answered had it been a call (200 or the error's
        code, with ``error``); nobody receives it. Faults injected with :meth:`inject_fault`
        apply to HTTP calls only, never to these.
        """
        return self.state.webhook_replies(method)

    def inject_fault(
        self,
        method: str,
        kind: FaultKind,
        *,
        times: int = 1,
        retry_after: int = 1,
        hold: float | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail the way Telegram can.

        ``"429"``: ``Too Many Requests: retry after N`` with ``parameters.retry_after``.
        ``"500"``: ``Internal Server Error``. ``"timeout"``: the request is held unanswered for
        ``hold`` seconds (default :attr:`timeout_hold`) or until the client gives up, and is
        not applied (its :class:`ApiCall` says ``applied=False``). ``"timeout_after_apply"``:
        applied, then held the same way, so the client cannot know it worked.
        """
        self.state.inject_fault(method, kind, times=times, retry_after=retry_after, hold=hold)

    def advance_clock(self, seconds: float) -> None:
        """Move the server's "now" (message dates, the 48-hour delete window, timers)."""
        self.state.advance_clock(seconds)

    def now(self) -> float:
        """The server clock, as a Unix timestamp."""
        return self.state.now()

    def pending_updates(self) -> int:
        """Updates queued for the bot and not yet confirmed by a getUpdates offset."""
        return self.state.pending_updates()

    def delivered_updates(self) -> list[dict[str, Any]]:
        """Updates the bot's webhook accepted (answered 2xx), oldest first."""
        return self.state.delivered_updates()

    def redeliver(self, update_id: int) -> None:
        """Post an accepted update to the webhook again, with the same update_id."""
        self.state.redeliver(update_id)

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """The bot's commands as set with setMyCommands for a scope and language."""
        return self.state.commands(scope, language_code)

    def menu_button(self, chat_id: int | None = None) -> dict[str, Any] | None:
        """The menu button set with setChatMenuButton (None: never set)."""
        return self.state.menu_button(chat_id)

    def observe(self, observer: Observer | None) -> None:
        """The bench's hook (``bench/metered.py``): report people's actions, getUpdates and the
        bot's calls to ``observer`` as they happen; None stops it. Changes no answer."""
        with self.state.cond:
            self.state.observer = observer

    def webhook_info(self) -> dict[str, Any]:
        """What getWebhookInfo would answer."""
        result, _ = self.state.execute("getWebhookInfo", Params({}))
        return dict(result)

    # ---------------------------------------------------------------- server thread

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._serve(loop, ready))
        except BaseException as exc:  # reported to start(); the thread must not die silently
            failure.append(exc)
            ready.set()
        finally:
            self._shutdown_loop(loop)

    def _shutdown_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            io_loop, self._io_loop = self._io_loop, None
            if io_loop is not None:
                io_loop.close()  # forgets tornado's wrapper and closes the asyncio loop
            loop.close()

    async def _serve(self, loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        self._loop = loop
        self._io_loop = tornado.ioloop.IOLoop.current()
        self._stopping = False
        self._stop_requested = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._in_flight = 0
        self._waiters = set()
        self._poller = None
        app = tornado.web.Application(
            [
                (r"/bot([^/]*)/([^/]*)", _MethodHandler, {"api": self}),
                (r"/file/bot([^/]*)/(.+)", _FileHandler, {"api": self}),
            ],
            default_handler_class=_NotFoundHandler,
            log_function=_log_request,
        )
        sock = _listen(self.host, self._requested_port)
        server = tornado.httpserver.HTTPServer(app)
        server.add_sockets([sock])
        self._port = sock.getsockname()[1]
        listener = self._on_state_change
        self.state.add_listener(listener)
        webhook_task = asyncio.create_task(self._webhook_loop())
        ready.set()
        try:
            await self._stop_requested.wait()
        finally:
            self.state.remove_listener(listener)
            self._stopping = True
            self._wake()
            server.stop()
            webhook_task.cancel()
            await asyncio.gather(webhook_task, return_exceptions=True)
            # Let handlers woken above write their answers before connections are closed.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), timeout=2)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.close_all_connections(), timeout=5)

    def _on_state_change(self) -> None:
        """Called by BotState under its lock, from any thread: just poke the loop."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        for waiter in list(self._waiters):
            if not waiter.done():
                waiter.set_result(None)

    async def _wait_change(self, handler: _MethodHandler | None, seconds: float) -> None:
        """Sleep until the state changes, the client disconnects, stop, or ``seconds`` pass."""
        assert self._loop is not None
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._waiters.add(waiter)
        if handler is not None:
            handler.wakeup = waiter
        try:
            await asyncio.wait_for(waiter, seconds)
        except TimeoutError:
            pass
        finally:
            self._waiters.discard(waiter)
            if handler is not None:
                handler.wakeup = None

    # --------------------------------------------------------------------- requests

    async def _handle(self, handler: _MethodHandler, token: str, method_name: str) -> None:
        self._in_flight += 1
        self._idle.clear()
        try:
            await self._handle_request(handler, token, method_name)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    async def _handle_request(self, handler: _MethodHandler, token: str, method_name: str) -> None:
        raw, files = _collect_params(handler.request)
        canonical = METHODS.get(method_name.lower())
        handler.api_method = canonical or "unknown"
        authorized = token == self.token
        fault = self.state.pop_fault(canonical) if (authorized and canonical) else None
        call = self.state.record_call(
            ApiCall(
                method=canonical or method_name,
                params=decode_params(raw),
                at=self.state.now(),
                fault=fault.kind if fault else None,
                files=files,
            )
        )
        if not authorized:
            self._answer(handler, call, ApiError(401, "Unauthorized"))
            return
        if canonical is None:
            self._answer(handler, call, ApiError(404, "Not Found"))
            return
        if fault is not None and fault.kind == "429":
            error = ApiError(
                429,
                f"Too Many Requests: retry after {fault.retry_after}",
                retry_after=fault.retry_after,
            )
            self._answer(handler, call, error)
            return
        if fault is not None and fault.kind == "500":
            self._answer(handler, call, ApiError(500, "Internal Server Error"))
            return
        if fault is None:
            self._answer(handler, call, await self._apply(handler, canonical, Params(raw)))
            return
        # A "timeout" fault: hold the answer until the client gives up. Status 0 records that
        # no answer reached the client.
        applied = False
        if fault.kind == "timeout_after_apply":
            outcome = await self._apply(handler, canonical, Params(raw))
            applied = not isinstance(outcome, ApiError)
        self.state.finish_call(call, status=0, applied=applied)
        await self._hold(handler, fault.hold if fault.hold is not None else self.timeout_hold)
        if not handler.closed:
            self._answer(handler, call, ApiError(502, "Bad Gateway"), applied=applied)

    async def _apply(
        self, handler: _MethodHandler, method: str, params: Params
    ) -> tuple[Any, str | None] | ApiError:
        try:
            if method == "getUpdates":
                return await self._get_updates(handler, params), None
            return self.state.execute(method, params)
        except ApiError as error:
            return error

    async def _get_updates(self, handler: _MethodHandler, params: Params) -> list[dict[str, Any]]:
        assert self._loop is not None
        if self.state.webhook_active:
            raise ApiError(409, _CONFLICT_WEBHOOK)
        offset = params.int("offset", 0) or 0
        limit = max(1, min(params.int("limit", 100) or 1, 100))
        timeout = max(0.0, min(params.number("timeout", 0.0), float(LONG_POLL_MAX_TIMEOUT)))
        self.state.set_allowed_updates(params)
        ticket = object()
        self._poller = ticket
        self._wake()  # an older long poll now ends with a conflict, as on Telegram
        deadline = self._loop.time() + timeout
        try:
            while True:
                if self._poller is not ticket:
                    raise ApiError(409, _CONFLICT_POLL)
                if self.state.webhook_active:
                    raise ApiError(409, _CONFLICT_WEBHOOK)
                updates = self.state.poll(offset, limit)
                remaining = deadline - self._loop.time()
                if updates or remaining <= 0 or handler.closed or self._stopping:
                    return updates
                await self._wait_change(handler, remaining)
        finally:
            if self._poller is ticket:
                self._poller = None

    async def _hold(self, handler: _MethodHandler, seconds: float) -> None:
        assert self._loop is not None
        deadline = self._loop.time() + seconds
        while not handler.closed and not self._stopping:
            remaining = deadline - self._loop.time()
            if remaining <= 0:
                return
            await self._wait_change(handler, remaining)

    def _answer(
        self,
        handler: _MethodHandler,
        call: ApiCall,
        outcome: tuple[Any, str | None] | ApiError,
        *,
        applied: bool | None = None,
    ) -> None:
        # Status 0 records that the client was gone, so no answer reached it.
        if isinstance(outcome, ApiError):
            status, body = outcome.code, outcome.payload()
            self.state.finish_call(
                call,
                status=0 if handler.closed else status,
                applied=bool(applied),
                error=outcome.description,
            )
        else:
            result, description = outcome
            status, body = 200, {"ok": True, "result": result}
            if description:
                body["description"] = description
            self.state.finish_call(call, status=0 if handler.closed else status, applied=True)
        if handler.closed:
            return
        handler.set_status(status)
        handler.set_header("Content-Type", "application/json")
        handler.finish(json.dumps(body, ensure_ascii=False))

    # ---------------------------------------------------------------------- webhooks

    async def _webhook_loop(self) -> None:
        """POST pending updates to the webhook until each is accepted: several at once, one per
        chat at a time (see :class:`localapi.webhook.Webhook`).

        httpx (always installed: python-telegram-bot depends on it) rather than tornado's
        client, because a delivery cancelled at shutdown must close its socket quietly.
        """
        deliveries: set[asyncio.Task[None]] = set()
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        async with httpx.AsyncClient(timeout=10, trust_env=False, limits=limits) as client:
            try:
                while not self._stopping:
                    item = self.state.webhook_next()
                    if item is None:
                        await self._wait_change(None, 5.0)
                        continue
                    task = asyncio.create_task(self._deliver(client, *item))
                    deliveries.add(task)
                    task.add_done_callback(deliveries.discard)
            finally:
                for task in deliveries:
                    task.cancel()
                await asyncio.gather(*deliveries, return_exceptions=True)

    async def _deliver(
        self, client: httpx.AsyncClient, update_id: int, body: dict[str, Any], url: str,
        secret: str | None,
    ) -> None:  # fmt: skip
        """One POST of one update; whatever happens, the update leaves the in-flight set (so
        its chat is never held for good), accepted or to be tried again."""
        try:
            outcome = await self._post(client, body, url, secret)
            if isinstance(outcome, httpx.Response):
                self._run_webhook_reply(outcome)
                self.state.webhook_delivered(update_id, url)
                return
            _log.debug("webhook delivery failed, will retry")
            self.state.webhook_failed(url, outcome)
            # The chat stays held through the pause, so its next update cannot overtake it.
            await asyncio.sleep(self.webhook_retry_delay)
        finally:
            self.state.webhook_release(update_id)

    async def _post(
        self, client: httpx.AsyncClient, body: dict[str, Any], url: str, secret: str | None
    ) -> httpx.Response | str:
        """The webhook's accepting answer, or why the delivery failed (getWebhookInfo's words)."""
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        observer = self.state.observer
        if observer is not None:
            observer.updates_fetched([body], self.state.now())
        try:
            response = await client.post(
                url, content=json.dumps(body, ensure_ascii=False), headers=headers
            )
        except httpx.HTTPError as exc:
            return f"Connection failed: {type(exc).__name__}"
        if not response.is_success:
            return (
                f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"
            )
        return response

    def _run_webhook_reply(self, response: httpx.Response) -> None:
        """Run the method an accepted delivery's answer carries, if any, before the update
        counts as delivered (so a test that saw the delivery sees its effect too)."""
        raw = _webhook_reply(response)
        if raw is None:
            return
        name = raw.pop("method")
        canonical = METHODS.get(name.lower())
        call = ApiCall(method=canonical or name, params=decode_params(raw), at=self.state.now())
        outcome: tuple[Any, str | None] | ApiError
        if canonical is None:
            outcome = ApiError(404, "Not Found")
        elif canonical == "getUpdates":
            outcome = ApiError(409, _CONFLICT_WEBHOOK)
        else:
            try:
                outcome = self.state.execute(canonical, Params(raw))
            except ApiError as exc:
                outcome = exc
            except Exception as exc:  # a malformed parameter: Telegram would answer 400
                outcome = ApiError(400, f"Bad Request: {type(exc).__name__}")
        if isinstance(outcome, ApiError):
            call.status, call.error = outcome.code, outcome.description
            _log.debug("a webhook answer's %s failed (ignored, as Telegram does)", call.method)
        else:
            call.status, call.applied = 200, True
        self.state.record_webhook_reply(call)


def _webhook_reply(response: httpx.Response) -> dict[str, Any] | None:
    """The parameters of the method a webhook answer carries, with its ``method`` field, or
    None (no body, another content type, malformed, or no method named: nothing to run)."""
    if not response.content:
        return None
    content_type = response.headers.get("Content-Type", "")
    kind = content_type.split(";")[0].strip().lower()
    raw: dict[str, Any]
    if kind == "application/json":
        try:
            body = json.loads(response.content)
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        raw = body
    elif kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields: dict[str, list[bytes]] = {}
        try:
            tornado.httputil.parse_body_arguments(content_type, response.content, fields, {})
        except tornado.httputil.HTTPInputError:
            return None
        raw = {key: values[-1].decode("utf-8", "replace") for key, values in fields.items()}
    else:
        return None
    return raw if isinstance(raw.get("method"), str) else None


class _MethodHandler(tornado.web.RequestHandler):
    """``/bot<token>/<method>``: hands every request to :meth:`LocalBotApi._handle`."""

    def initialize(self, api: LocalBotApi) -> None:
        self.api = api
        self.api_method = "unknown"
        self.closed = False
        self.wakeup: asyncio.Future[None] | None = None

    async def get(self, token: str, method: str) -> None:
        await self.api._handle(self, token, method)

    async def post(self, token: str, method: str) -> None:
        await self.api._handle(self, token, method)

    def check_xsrf_cookie(self) -> None:
        """Bot API clients send no cookies; nothing to check."""

    def compute_etag(self) -> None:
        """Telegram sends no ETags; neither do we."""

    def on_connection_close(self) -> None:
        # The client gave up (timeout, cancelled long poll): stop holding or polling for it.
        self.closed = True
        if self.wakeup is not None and not self.wakeup.done():
            self.wakeup.set_result(None)

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Tornado's default would log the request line, which carries the token and maybe text.
        _log.error("error handling %s: %s", self.api_method, typ.__name__ if typ else "?")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json")
        body = {"ok": False, "error_code": status_code, "description": self._reason}
        self.finish(json.dumps(body))


class _FileHandler(tornado.web.RequestHandler):
    """``/file/bot<token>/<path>``: placeholder bytes for files users sent."""

    def initialize(self, api: LocalBotApi) -> None:
        self.api = api

    def get(self, token: str, file_path: str) -> None:
        if token != self.api.token:
            self.set_status(401)
            self.finish({"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        content = self.api.state.file_content(file_path)
        if content is None:
            self.set_status(404)
            self.finish({"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self.set_header("Content-Type", "application/octet-stream")
        self.finish(content)

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _log.error("error serving a file: %s", typ.__name__ if typ else "?")


class _NotFoundHandler(tornado.web.RequestHandler):
    """Any other path: Telegram's 404 body."""

    def prepare(self) -> None:
        self.set_status(404)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}))


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``; unlike tornado's bind_sockets it closes on failure."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    sock = socket.create_server((host, port), family=family, backlog=128)
    sock.setblocking(False)
    return sock


def _collect_params(request: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Merge query string, form/multipart fields and a JSON body, the ways Telegram accepts."""
    raw: dict[str, Any] = {
        key: values[-1].decode("utf-8", "replace")
        for key, values in request.query_arguments.items()
    }
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        if isinstance(body, dict):
            raw.update(body)
    else:
        raw.update(
            {
                key: values[-1].decode("utf-8", "replace")
                for key, values in request.body_arguments.items()
            }
        )
    files = {key: items[-1].filename for key, items in request.files.items()}
    return raw, files


def _log_request(handler: tornado.web.RequestHandler) -> None:
    """Access log without the URL: it contains the token and, for GET, maybe message text."""
    method = getattr(handler, "api_method", "-")
    _log.debug(
        "%s %s %d %.1f ms",
        handler.request.method,
        method,
        handler.get_status(),
        handler.request.request_time() * 1000,
    )
