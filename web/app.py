"""The web door: the person's questionnaire as server-rendered pages that need no JavaScript.

Why tornado: python-telegram-bot's webhook server already brings it (no new dependency), it is
a real async server on the event loop the storage already uses, its templates escape by
default, and it has double-submit XSRF tokens (`xsrf_cookies`) built in. Starlette or aiohttp
would add a framework and a template engine for the same few pages.

The engine, texts, draft store and `Submission` are the bot's (`bot.services.Services`), so a
web request is stored, limited and (in sealed mode) sealed exactly as a Telegram one. Every
form names the step it was shown for: a form for another step (a second tab, the browser's
Back button, a reload after the draft moved on) is stale and gets the bot's stale answer with
the current question. What tornado would log names the visitor's address or user agent, so
its access log is off and its other records lose their arguments (`scrub_tornado_logs`).

On Send the person is shown a passphrase once (`web.passphrases`); with it, `/login` opens the
case's thread (the volunteer's replies and their own messages) and a form to add to it, and
`/forget` erases the case. A web case is stored with `WEB_CHAT_ID` as its chat and the channel
"web": a reply from the desk waits in the thread. In sealed mode this side cannot open the
case (only the desk can), so a web case has a key pair of the person's own whose private half
is wrapped under a key from the passphrase (`storage.person_keys`), and every message of its
thread is sealed to it as well: a login unwraps the key and keeps it in this process's memory,
for as long as the login lasts, and the thread is read with it.

A Telegram request is continued here with the one-time code `/web` gave in the bot
(`casework.webcodes`): `/continue` binds a new passphrase to that case, shown once, and
makes its channel "web".
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bot import logs
from bot.guarded_server import (
    BODY_TIMEOUT,
    HEADER_TIMEOUT,
    MAX_HEADER,
    GuardedServer,
    connection_cap,
    quiet_noisy_loggers,
)
from bot.services import Services
from casework import copies
from casework.outgoing import Message
from casework.submission import STORAGE_AWAY
from casework.turns import Turn
from dialogs import events as ev
from dialogs import flagging
from dialogs.session import Session
from storage import entries as entry_store
from storage import passphrases as passphrase_store
from storage import person_keys
from storage import persons as person_store
from storage.copies import Copy
from storage.limits import FloodLimiter, MemoryFloodLimiter, RedisFloodLimiter
from storage.models import Case, Person
from storage.slow_pseudonyms import SlowPseudonymizer
from storage.unavailable import StateUnavailable
from web import passphrases
from web.pages import MAX_CODE, Page, Pages, ThreadEntry

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent

SESSION_COOKIE = "session"
THREAD_COOKIE = "thread"
"""A logged-in visitor's random token: which case it reads lives only in this process."""
LOGIN_TTL = 30 * 60.0
"""Seconds a login lasts without a page being read (the browser's session is the longest)."""
LOGINS_BURST, LOGINS_WINDOW = 30, 60.0
"""Logins tried by everyone: 30 a minute (onion visitors all come from 127.0.0.1)."""
LOOKUP_BURST, LOOKUP_WINDOW = 5, 3600.0
"""Logins tried against one lookup value (the cases a guess is hashed against): 5 an hour."""
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")
"""`secrets.token_urlsafe(32)`: 256 random bits, so a fast keyed pseudonym is enough."""

WEB_CHAT_ID = 0
"""What a web case stores as its person's chat: none (Telegram ids are never 0). A reply from
the desk waits in the web thread, and the volunteer is told so (`casework.relay.to_person`)."""

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
MAX_MESSAGE = 4000
"""Characters of one message to the thread (Telegram's own limit is 4,096)."""
OPEN_CONNECTIONS = 200
"""Connections open at once, from everyone (onion visitors all arrive from 127.0.0.1)."""
MAX_BODY_BYTES = 64 * 1024
"""A form is a few kilobytes (1,000 Cyrillic characters are 6,000 bytes URL-encoded)."""

Announce = Callable[[Sequence[Message]], Coroutine[Any, Any, None]]
"""Sends the desk's notices (a new case, the hourly cap): the bot's `send_quietly`."""
Remove = Callable[[Sequence[Copy], Mapping[int, Sequence[int]]], Coroutine[Any, Any, None]]
"""Deletes messages in Telegram after a web `/forget`, as the bot's `/forget` does: the
recorded copies of the erased cases in volunteers' chats (the bot's `remove_copies`, which
reports what stays to the admins), then other message ids by chat (`delete_batches`)."""


@dataclass
class _LoggedIn:
    """One login: the case it reads and (sealed mode) the person's private key, unwrapped
    with the passphrase: only here, never written anywhere, gone when the login ends."""

    case_id: str
    key: bytes | None = field(repr=False)
    until: float


class _Logins:
    """Logged-in visitors: a random token to the case it reads, in this process's memory
    only, so nothing on disk or in Redis links a browser to a case; a restart logs everyone
    out. A login lasts `ttl` seconds from the last page read."""

    def __init__(self, ttl: float = LOGIN_TTL) -> None:
        self.ttl = ttl
        self._open: dict[str, _LoggedIn] = {}

    def open(self, case_id: str, key: bytes | None = None) -> str:
        self._sweep()
        token = secrets.token_urlsafe(32)
        self._open[token] = _LoggedIn(case_id, key, time.monotonic() + self.ttl)
        return token

    def get(self, token: str | None) -> _LoggedIn | None:
        """The login of this token, if it is logged in (its time starts again)."""
        self._sweep()
        if token is None or token not in self._open:
            return None
        login = self._open[token]
        login.until = time.monotonic() + self.ttl
        return login

    def close_case(self, case_id: str) -> None:
        """Every login to this case ends (it was erased, or has a new passphrase)."""
        for token in [t for t, login in self._open.items() if login.case_id == case_id]:
            del self._open[token]

    def _sweep(self) -> None:
        now = time.monotonic()
        for token in [t for t, login in self._open.items() if login.until <= now]:
            del self._open[token]


class _Door:
    """What every request needs: the bot's services, the pages, the way to tell the desk and
    to delete what an erasure leaves in Telegram."""

    def __init__(
        self, services: Services, announce: Announce | None, remove: Remove | None = None
    ) -> None:
        self.services = services
        self.pages = Pages(services.translator, services.engine.spec.languages)
        self.announce = announce
        self.remove = remove
        self.sending: set[asyncio.Task[None]] = set()
        self.logins = _Logins()
        self.all_logins: FloodLimiter
        self.lookup_logins: FloodLimiter
        if services.redis is not None:  # shared by every web process, like the bot's limits
            self.all_logins = RedisFloodLimiter(services.redis, LOGINS_BURST, LOGINS_WINDOW)
            self.lookup_logins = RedisFloodLimiter(services.redis, LOOKUP_BURST, LOOKUP_WINDOW)
        else:
            self.all_logins = MemoryFloodLimiter(LOGINS_BURST, LOGINS_WINDOW)
            self.lookup_logins = MemoryFloodLimiter(LOOKUP_BURST, LOOKUP_WINDOW)

    async def tell_desk(self, messages: Sequence[Message]) -> None:
        """Sent in the background: a slow (throttled) Telegram must not hold the person's page."""
        if not messages:
            return
        if self.announce is None:
            log.warning("web: %d desk notices not sent (no bot token)", len(messages))
            return
        task = asyncio.create_task(self.announce(messages))
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)

    async def erased(
        self,
        found: Sequence[Copy],
        deletions: Mapping[int, Sequence[int]],
        messages: Sequence[Message],
    ) -> None:
        """After a `/forget`, in the background: the messages are deleted first, then the
        holders are told (as the bot's `/forget` does)."""
        if self.remove is None:
            if deletions:
                log.warning("web: messages of %d chats not deleted (no bot token)", len(deletions))
            await self.tell_desk(messages)
            return
        remove = self.remove

        async def run() -> None:
            try:
                await remove(found, deletions)
            finally:
                if messages and self.announce is not None:
                    await self.announce(messages)
                elif messages:
                    log.warning("web: %d desk notices not sent (no bot token)", len(messages))

        task = asyncio.create_task(run())
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)

    async def drain(self) -> None:
        """Wait for the desk's notices still being sent."""
        while self.sending:
            await asyncio.gather(*self.sending, return_exceptions=True)


class _Base(tornado.web.RequestHandler):
    """Headers on every answer (errors and static files too); logs without the visitor."""

    def set_default_headers(self) -> None:
        self.clear_header("Server")
        self.set_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("X-Content-Type-Options", "nosniff")

    def set_cookie(self, name: str, value: str | bytes, *args: Any, **kwargs: Any) -> None:
        """Every cookie (the session's and tornado's XSRF one) lives only as long as the
        browser session, is out of reach of scripts and other sites, and is Secure over HTTPS."""
        for dropped in ("expires", "expires_days", "max_age"):
            kwargs.pop(dropped, None)
        kwargs.update(httponly=True, samesite="Strict", secure=self.request.protocol == "https")
        super().set_cookie(name, value, **kwargs)

    def log_exception(self, typ: Any, value: BaseException | None, tb: Any) -> None:
        """Tornado's own version names the address and logs the whole request (headers)."""
        if isinstance(value, tornado.web.HTTPError):
            return
        log.error("web: unexpected error\n%s", logs.safe_traceback(value))


class _Static(_Base, tornado.web.StaticFileHandler):
    pass


class _NotFound(_Base):
    """Any other path: 404, with the same headers."""

    def prepare(self) -> None:
        raise tornado.web.HTTPError(404)


class _Form(_Base):
    """GET: the current question. POST: one answer, then the next page."""

    def initialize(self, door: _Door) -> None:
        self.door = door

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Cache-Control", "no-store")  # answers stay out of the browser's cache

    def compute_etag(self) -> None:
        """No ETag: a page is never cached, and a hash of it would only be one more trace."""

    async def get(self) -> None:
        services = self.door.services
        session_id = self._session_id()
        if session_id is None:
            self._show(self.door.pages.prompt(self._first(), switch=False))
            return
        async with services.turns.turn_of(await self._owner(session_id), None) as turn:
            if turn.session is None:
                page = self.door.pages.prompt(self._first(), switch=False)
            else:
                page = self._again(turn)
        self._show(page)

    async def post(self) -> None:
        session_id = self._session_id()
        if session_id is None:
            session_id = secrets.token_urlsafe(32)
            self.set_cookie(SESSION_COOKIE, session_id)
        owner = await self._owner(session_id)
        async with self.door.services.turns.turn_of(owner, self._client_language()) as turn:
            page = await self._answer(turn)
        self._show(page)

    # -- one answer ------------------------------------------------------------------------------

    async def _answer(self, turn: Turn) -> Page:
        pages = self.door.pages
        engine = self.door.services.engine
        step = self.get_body_argument("step", "")
        if turn.session is None:
            if step != engine.spec.start:  # the draft expired, or a form from an old visit
                return pages.prompt(turn.start(), ev.Notice("stale-button"))
            turn.start()  # the first question was shown without a draft: begin now
        session = turn.session
        assert session is not None
        if step != session.state:
            return self._again(turn, ev.Notice("stale-button"))
        event = self._event(turn, session)
        if isinstance(event, Page):
            return event
        if isinstance(event, ev.Submit | ev.SendNow):
            held = await self._held_back(turn, session, event)
            if held is not None:
                return held
        typed = event.text if isinstance(event, ev.Text) else ""
        kept = session.to_dict()
        outcome = await turn.answer(event)
        if isinstance(outcome, ev.Completed):
            return await self._submit(turn, outcome, kept)
        if isinstance(outcome, ev.Finished):
            return pages.closing(outcome.language, f"{outcome.step}-question")
        # What was typed comes back only to the question that refused it: carried to the next
        # text question it would show a codeword in the clear and send it on as the details.
        return pages.prompt(outcome, typed=typed if outcome.step == step else "")

    def _event(self, turn: Turn, session: Session) -> ev.Event | Page:
        """The form's fields as the engine's event (a multiple choice is toggled here)."""
        step = session.state
        arguments = self.request.body_arguments
        if "language" in arguments:
            return ev.SetLanguage(self.get_body_argument("language"))
        if "back" in arguments:
            return ev.Back()
        if "skip" in arguments:
            return ev.Skip(step)
        if "choose" in arguments:
            return ev.Choose(step, self.get_body_argument("choose"))
        if "edit" in arguments:
            return ev.Edit(self.get_body_argument("edit"))
        if "submit" in arguments:
            return ev.Submit()
        if "send_now" in arguments:
            return ev.SendNow()
        if "answer" in arguments:
            text = self.get_body_argument("text", "", strip=False).replace("\r\n", "\n")
            return self._flagged(session, text) or ev.Text(text)  # a browser sends CRLF
        if "flag_keep" in arguments:
            return ev.Text(self.get_body_argument("held", "", strip=False))
        if "flag_remove" in arguments:
            return self._again(turn, ev.Notice("flag-write-again"))
        if "done" in arguments:
            return self._toggled(turn, session)
        return ev.Repeat()

    def _flagged(self, session: Session, text: str) -> Page | None:
        """A free-text answer with a unit number, a phone number or a full name: as in the bot,
        the person keeps it or removes it first. The text waits in their own page (a hidden
        field), never on the server, so "remove" leaves nothing behind."""
        engine = self.door.services.engine
        if not engine.expects_typing(session) or engine.expects_secret(session):
            return None
        kind = flagging.flag(text)
        if kind is None:
            return None
        return self.door.pages.flagged(session.language, session.state, kind, text)

    def _toggled(self, turn: Turn, session: Session) -> ev.Event | Page:
        """Checkboxes are the whole selection at once; the engine takes one toggle at a time.
        If it kept another selection (an option that excludes the others), it is shown again."""
        step = session.state
        wanted = self.get_body_arguments("option")
        visible = self.door.services.engine.prompt(session).options
        for option in wanted:
            if option not in visible:  # refused by the engine, as the bot's stale button
                refused = turn.apply(ev.Toggle(step, option))
                assert isinstance(refused, ev.Prompt)
                return self.door.pages.prompt(refused)
        for option in [o for o in session.pending if o not in wanted]:
            turn.apply(ev.Toggle(step, option))
        for option in [o for o in visible if o in wanted and o not in session.pending]:
            turn.apply(ev.Toggle(step, option))
        if sorted(session.pending) != sorted(set(wanted)):
            return self._again(turn)
        return ev.Done(step)

    async def _held_back(self, turn: Turn, session: Session, event: ev.Event) -> Page | None:
        """The bot's checks before a request is sent: a block, the person's own limits, then the
        hourly cap. The draft waits, untouched (a block discards it, as in the bot), and the
        person is told why, in the bot's words."""
        services = self.door.services
        settings = services.settings
        trial = Session.from_dict(session.to_dict())  # the draft itself is not moved
        completed = services.engine.handle(trial, event)
        if not isinstance(completed, ev.Completed):
            return None  # not on a screen that sends: the engine answers this itself
        try:
            blocked = await services.followup.blocked_language_of(turn.owner)
        except STORAGE_AWAY:
            blocked = None  # checked again when the database is back and Send is pressed
        if blocked is not None:  # a volunteer blocked this visitor's earlier request (/block)
            language = turn.language
            turn.discard()
            return self.door.pages.closing(language, "blocked", link=None)
        if completed.sent is None:
            limit = await services.submission.own_limit_of(
                turn.owner,
                completed,
                open_cases=settings.open_cases_per_person,
                new_per_day=settings.new_cases_per_person_per_day,
            )
            if limit is not None:
                notice = ev.Notice(
                    f"limit-{limit.kind}",
                    {"count": limit.count, "hours": settings.draft_ttl_hours},
                )
                return self._again(turn, notice)
        alerts = await services.submission.over_hourly_cap(turn.owner, settings.cases_per_hour_cap)
        if alerts is not None:
            await self.door.tell_desk(alerts)
            return self._again(turn, ev.Notice("busy-try-later"))
        return None

    async def _submit(self, turn: Turn, completed: ev.Completed, kept: dict[str, Any]) -> Page:
        """Store the case as the bot does. With the database away nothing is deferred (nobody
        could be told later): the draft goes back to where it was, and the person tries again."""
        services = self.door.services
        pages = self.door.pages
        words = passphrases.generate(completed.language)
        kept_as = (
            await passphrases.digest(words),
            await passphrases.lookup_of(services.turns.pseudonyms, words),
        )
        sealed = not services.cipher.can_open  # the thread is sealed to the person's key too
        person_key = await passphrases.person_key(words) if sealed else None
        try:
            case = await services.submission.submit_as(
                turn.owner, WEB_CHAT_ID, completed, passphrase=kept_as, person_key=person_key
            )
        except STORAGE_AWAY:
            turn.session = Session.from_dict(kept)
            return self._again(turn, ev.Notice("web-try-again"))
        language = completed.language
        if case.passphrase_hash != kept_as[0]:  # a case that was there already keeps its own
            words = ""
        if completed.partial:  # "Send now": the rest of the questions can still be answered
            assert turn.session is not None
            turn.session.case = case.reference
            await self.door.tell_desk(await services.notices.announce_new_case(case.id))
            return pages.closing(
                language, "sent-now", reference=case.reference, link="answer_rest",
                passphrase=words,
            )  # fmt: skip
        turn.discard()
        if case.reference == completed.sent:  # the rest of a request sent with "Send now"
            await self.door.tell_desk(await services.submission.answered_more(case.id))
            return pages.closing(language, "sent-rest-added", reference=case.reference)
        await self.door.tell_desk(await services.notices.announce_new_case(case.id))
        return pages.closing(language, "submitted", reference=case.reference, passphrase=words)

    # -- helpers -----------------------------------------------------------------------------------

    def _again(self, turn: Turn, *notices: ev.Notice) -> Page:
        """The current question again (the engine's Repeat), with these notices above it."""
        assert turn.session is not None
        return self.door.pages.prompt(self.door.services.engine.prompt(turn.session), *notices)

    def _first(self) -> ev.Prompt:
        """The first question, shown before any draft exists (nothing is stored for a GET)."""
        return self.door.services.engine.start(self._client_language())[1]

    def _client_language(self) -> str | None:
        """The browser's first language (Tor Browser always says en-US)."""
        header = self.request.headers.get("Accept-Language", "")
        return header.split(",")[0].split(";")[0].strip() or None

    def _session_id(self) -> str | None:
        value = self.get_cookie(SESSION_COOKIE)
        return value if value is not None and SESSION_ID.fullmatch(value) else None

    async def _owner(self, session_id: str) -> str:
        """The draft owner; in sealed mode a slow pseudonym, made off the event loop."""
        services = self.door.services
        pseudonyms = services.turns.pseudonyms
        if isinstance(pseudonyms, SlowPseudonymizer) and not pseudonyms.cached("web", session_id):
            async with services.pseudonym_slots:
                await asyncio.to_thread(pseudonyms, "web", session_id)
        return services.turns.web_owner(session_id)

    def _show(self, page: Page) -> None:
        self.render("page.html", page=page)


class _Thread(_Base):
    """Coming back: the passphrase (`/login`), the case's thread and a message to add
    (`/thread`), and erasing the case (`/forget`). Every answer is a page of its own."""

    def initialize(self, door: _Door) -> None:
        self.door = door

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Cache-Control", "no-store")

    def compute_etag(self) -> None:
        """No ETag (see `_Form.compute_etag`)."""

    def _language(self) -> str:
        header = self.request.headers.get("Accept-Language", "")
        wanted = header.split(",")[0].split(";")[0].strip().split("-")[0].lower()
        languages = self.door.services.engine.spec.languages
        return wanted if wanted in languages else languages[0]

    def _show(self, page: Page) -> None:
        self.render("page.html", page=page)

    def _login_page(self, *notices: str) -> Page:
        return self.door.pages.login(self._language(), notices)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """The database away: the passphrase page with "try later" (nothing was changed)."""
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, STORAGE_AWAY):
            self.set_status(503)
            self._show(self._login_page("web-try-later"))
            return
        super().write_error(status_code, **kwargs)

    def log_exception(self, typ: Any, value: BaseException | None, tb: Any) -> None:
        if isinstance(value, STORAGE_AWAY):
            log.warning("web: the database is away (%s)", type(value).__name__)
            return
        super().log_exception(typ, value, tb)

    async def _logged_in(self) -> tuple[Case, Person, bytes | None] | None:
        """The case this browser logged in to, its person and (sealed mode) the person's
        private key; None if none (any more)."""
        login = self.door.logins.get(self.get_cookie(THREAD_COOKIE))
        if login is None:
            return None
        async with self.door.services.lookups() as db:
            case = await db.get(Case, login.case_id)
            person = await db.get(Person, case.person_id) if case is not None else None
        if case is None or person is None:  # erased meanwhile (by retention, say)
            self.door.logins.close_case(login.case_id)
            return None
        return case, person, login.key


class _Login(_Thread):
    async def get(self) -> None:
        self._show(self._login_page())

    async def post(self) -> None:
        typed = self.get_body_argument("passphrase", "", strip=False)
        found = await self._check(typed)
        if isinstance(found, str):
            self._show(self._login_page(found))
            return
        key = None
        if found.person_key_blob is not None:  # sealed mode: the thread opens with this key
            key = await passphrases.open_person_key(typed, found.id, found.person_key_blob)
        token = self.door.logins.open(found.id, key)
        self.set_cookie(THREAD_COOKIE, token)
        self.redirect("/thread", status=303)

    async def _check(self, typed: str) -> Case | str:
        """The case of this passphrase, or the notice to show (one for wrong and unknown)."""
        services = self.door.services
        normal = passphrases.normalize(typed)
        if not normal or len(normal) > passphrases.MAX_LENGTH:
            return "web-login-failed"
        try:
            if not (await self.door.all_logins.hit("weblogin")).allowed:
                return "web-login-busy"
            lookup = await passphrases.lookup_of(services.turns.pseudonyms, normal)
            if not (await self.door.lookup_logins.hit(f"weblogin-{lookup}")).allowed:
                return "web-login-busy"
        except StateUnavailable:  # no limit can be kept: nobody is let in to guess
            return "web-login-busy"
        try:
            async with services.lookups() as db:
                candidates = await passphrase_store.cases_by_lookup(db, lookup)
        except STORAGE_AWAY:
            return "web-try-later"
        for case in candidates:
            assert case.passphrase_hash is not None
            if await passphrases.matches(normal, case.passphrase_hash):
                return case
        if not candidates:  # as slow as a wrong one: timing does not tell a lookup exists
            await passphrases.matches(normal, await asyncio.to_thread(passphrases.decoy))
        return "web-login-failed"


class _Continue(_Thread):
    """A Telegram request continued here: the `/web` code binds a new passphrase to it,
    shown once (`casework.webcodes`). Logins to the case made before (with an older
    passphrase) end, in this process."""

    async def get(self) -> None:
        self._show(self.door.pages.continue_form(self._language()))

    async def post(self) -> None:
        typed = self.get_body_argument("code", "", strip=False)
        services = self.door.services
        followup = services.followup
        busy = self.door.pages.continue_form(self._language(), ("web-login-busy",))
        failed = self.door.pages.continue_form(self._language(), ("web-continue-failed",))
        if len(typed) > MAX_CODE:
            self._show(failed)
            return
        try:  # the logins' global limit, under its own name: 60 random bits are not guessed
            if not (await self.door.all_logins.hit("webcode")).allowed:
                self._show(busy)
                return
        except StateUnavailable:
            self._show(busy)
            return
        case = await followup.web_code_case(typed)
        if case is None:
            self._show(failed)
            return
        words = passphrases.generate(case.language)
        digest = await passphrases.digest(words)
        lookup = await passphrases.lookup_of(services.turns.pseudonyms, words)
        sealed = not services.cipher.can_open  # from now on its thread is sealed to the person
        person_key = await passphrases.person_key(words) if sealed else None
        bound = await followup.continue_on_web(typed, digest, lookup, person_key)
        if bound is None:  # used by someone else meanwhile, or the case closed
            self._show(failed)
            return
        self.door.logins.close_case(bound.id)
        page = self.door.pages.closing(
            bound.language, "continued", reference=bound.reference, link=None, passphrase=words
        )
        self._show(page)


class _LoggedInPage(_Thread):
    """A page for someone logged in (the thread, erasing): anyone else goes to `/login`."""

    found: tuple[Case, Person, bytes | None]

    async def prepare(self) -> None:
        found = await self._logged_in()
        if found is None:
            self.redirect("/login", status=303)  # finishes: no get or post runs
            return
        self.found = found


class _ThreadPage(_LoggedInPage):
    async def get(self) -> None:
        case, person, key = self.found
        closed = ("web-thread-closed",) if case.status == "closed" else ()
        page = await self._thread(case, person, key, *closed)
        # Read: the day is kept, and the holder hears once of replies read now (the page
        # showed them: a reply from before a /continue passphrase is not shown, only named).
        shown = any(not entry.mine and not entry.earlier for entry in page.thread)
        notices = self.door.services.notices
        await self.door.tell_desk(await notices.thread_read(case.id, replies_shown=shown))
        self._show(page)

    async def post(self) -> None:
        case, person, key = self.found
        text = self.get_body_argument("text", "", strip=False).replace("\r\n", "\n").strip()
        if not text or len(text) > MAX_MESSAGE:
            self._show(await self._thread(case, person, key, "web-thread-empty"))
            return
        followup = self.door.services.followup
        added = await followup.add_to_open_case_of(person.pseudonym, text, reference=case.reference)
        if added is None:  # closed since: the person starts a new request instead
            self._show(await self._thread(case, person, key, "web-thread-closed"))
            return
        await self.door.tell_desk(added.passed.sends)
        if added.passed.holder is None:  # as in the bot: its team may hear of it again
            await self.door.tell_desk(await self.door.services.notices.realert(added.case_id))
        self.redirect("/thread", status=303)

    async def _thread(self, case: Case, person: Person, key: bytes | None, *notices: str) -> Page:
        """The thread, opened with the case's key; in sealed mode with the person's own
        (`key`), where an entry not sealed to it is shown as written before this passphrase.
        A sealed case with no key of the person's (sent before the web door had them) cannot
        be shown here at all: the page says so and only takes new messages."""
        services = self.door.services
        entries: list[ThreadEntry] = []
        readable = True
        if services.cipher.can_open:
            async with services.lookups() as db:
                opened = await entry_store.case_entries(db, services.cipher, case)
            entries = [
                ThreadEntry(mine=entry.kind == "person", text=text)
                for entry, text in opened
                if entry.kind in person_keys.THREAD_KINDS
            ]
        elif key is None or case.person_public_key is None:
            readable = False
        else:
            async with services.lookups() as db:
                sealed = await person_keys.opened_thread(db, case, key)
            entries = [
                ThreadEntry(mine=entry.kind == "person", text=text or "", earlier=text is None)
                for entry, text in sealed
            ]
        return self.door.pages.thread(
            case.language, case.reference, case.status, entries, notices, readable=readable
        )


class _Forget(_LoggedInPage):
    async def get(self) -> None:
        case = self.found[0]
        self._show(self.door.pages.forget(case.language, case.reference))

    async def post(self) -> None:
        case, person, _ = self.found
        services = self.door.services
        erasure = services.erasure
        owner = person.pseudonym
        # A Telegram case continued here: its person's chat has the conversation too, and the
        # bot's /forget deletes both sides of it (what Telegram still allows, 48 hours).
        chat_id = WEB_CHAT_ID
        own: list[int] = []
        if self.door.remove is not None and services.cipher.can_open:
            chat_id = person_store.person_chat_id(services.cipher, person)
            own = (await erasure.message_ids(owner) or []) if chat_id != WEB_CHAT_ID else []
        report = await erasure.forget_owner(owner)
        await erasure.forget_short_lived(owner)
        # The copies that showed these cases in volunteers' chats. Without a bot to delete
        # them they stay recorded: the desk bot's housekeeping deletes them on its next round.
        # In sealed mode the desk deletes them (`casework.desk.inbox`, the ERASED signal).
        removed: list[Copy] = []
        if self.door.remove is not None and not erasure.sealed:
            removed = await copies.of_erased_cases(services.sessions)
        done = {(copy.volunteer_id, copy.message_id) for copy in removed}
        notices = erasure.tell_holders(report, done)
        deletions: dict[int, list[int]] = {}
        for notice in notices:
            for chat, message_ids in notice.deletions.items():
                deletions.setdefault(chat, []).extend(message_ids)
        if own:
            deletions.setdefault(chat_id, []).extend(own)
        told = [n.message for n in notices if n.message is not None]
        await self.door.erased(removed, deletions, told)
        self.door.logins.close_case(case.id)
        self.clear_cookie(THREAD_COOKIE)
        self._show(self.door.pages.closing(case.language, "forgotten"))


_PAGES: dict[type[tornado.web.RequestHandler], str] = {
    _Form: "form", _Login: "login", _ThreadPage: "thread", _Forget: "forget",
    _Continue: "continue", _Static: "static",
}  # fmt: skip
"""A handler class to the page name its requests are counted under."""


def make_app(
    services: Services, *, announce: Announce | None = None, remove: Remove | None = None
) -> tornado.web.Application:
    """The routes: the form at `/`, coming back at `/login`, `/thread` and `/forget`, a
    Telegram request continued at `/continue`, the stylesheet under `/static/`."""
    door = _Door(services, announce, remove)
    return tornado.web.Application(
        [
            (r"/", _Form, {"door": door}),
            (r"/login", _Login, {"door": door}),
            (r"/thread", _ThreadPage, {"door": door}),
            (r"/forget", _Forget, {"door": door}),
            (r"/continue", _Continue, {"door": door}),
        ],
        door=door,
        template_path=str(HERE / "templates"),
        static_path=str(HERE / "static"),
        static_handler_class=_Static,
        default_handler_class=_NotFound,
        xsrf_cookies=True,
        log_function=_counted(services),
        compress_response=False,  # compressed secrets beside attacker-chosen text (BREACH)
    )


def _counted(services: Services) -> Callable[[tornado.web.RequestHandler], None]:
    """Tornado's per-request hook: no log line (who asked for what, and when, is what a seized
    log would show), only a count by page and status class in the metrics."""

    def count(handler: tornado.web.RequestHandler) -> None:
        page = _PAGES.get(type(handler), "other")
        status = f"{handler.get_status() // 100}xx"
        services.metrics.web_requests.labels(page=page, status=status).inc()

    return count


class _DropArguments(logging.Filter):
    """Tornado's records put the peer's address (and a request's headers) in their arguments
    and exceptions: keep the fixed message only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "tornado.access":
            return False
        plain = isinstance(record.msg, str) and not record.args
        record.msg = f"tornado: {record.msg}" if plain else "tornado: (details dropped)"
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        return True


def scrub_tornado_logs() -> None:
    """Install the filter on tornado's loggers (idempotent)."""
    for name in ("tornado.access", "tornado.application", "tornado.general"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropArguments) for f in logger.filters):
            logger.addFilter(_DropArguments())


def listen(
    services: Services,
    host: str,
    port: int,
    *,
    announce: Announce | None = None,
    remove: Remove | None = None,
) -> tuple[HTTPServer, int]:
    """A server for the form on `host:port` (port 0: a free one), and the port it took.

    Guarded like the webhook: slow or idle connections are timed out and, past
    `OPEN_CONNECTIONS`, the slowest closed, so a flood cannot keep people out."""
    scrub_tornado_logs()
    quiet_noisy_loggers()
    server = GuardedServer(
        make_app(services, announce=announce, remove=remove),
        xheaders=True,
        max_body_size=MAX_BODY_BYTES,
        max_header_size=MAX_HEADER,
        idle_connection_timeout=HEADER_TIMEOUT,
        body_timeout=BODY_TIMEOUT,
    )
    assert isinstance(server, GuardedServer)
    server.cap, server.what = connection_cap(OPEN_CONNECTIONS), "web door"
    sockets = bind_sockets(port, host)
    server.add_sockets(sockets)
    return server, int(sockets[0].getsockname()[1])


async def serve(
    services: Services,
    host: str,
    port: int,
    stop: asyncio.Event,
    *,
    announce: Announce | None = None,
    remove: Remove | None = None,
) -> None:
    """Serve the form until `stop` is set; requests in flight are finished."""
    server, port = listen(services, host, port, announce=announce, remove=remove)
    log.info("web door listening on %s:%d", host, port)
    try:
        await stop.wait()
    finally:
        server.stop()
        await server.close_all_connections()
        await drain(server)


async def drain(server: HTTPServer) -> None:
    """Wait for the desk's notices the server's form is still sending."""
    application = server.request_callback
    assert isinstance(application, tornado.web.Application)
    await application.settings["door"].drain()
