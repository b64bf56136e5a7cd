"""The web form over real HTTP: tornado on a free local port, the bot's services on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
import tornado.web

from bot.services import Services
from bot.settings import Settings
from casework.outgoing import Message
from storage.copies import Copy
from storage.crypto import generate_master_key
from web import app as web_app


@dataclass
class Button:
    name: str
    value: str
    label: str


@dataclass
class Parsed:
    """One page of the form, as a browser would see it (the first form only, but buttons of
    the language switch too)."""

    hidden: dict[str, str] = field(default_factory=dict)
    buttons: list[Button] = field(default_factory=list)
    checkboxes: list[tuple[str, bool]] = field(default_factory=list)
    textarea: str | None = None
    password: bool = False
    notices: list[str] = field(default_factory=list)
    body: str = ""
    links: list[str] = field(default_factory=list)
    passphrase: str = ""
    thread: list[str] = field(default_factory=list)
    """The messages of a web thread, as "Who text" with spaces squeezed."""
    html: str = ""

    @property
    def step(self) -> str:
        return self.hidden.get("step", "")

    def values(self, name: str) -> list[str]:
        return [b.value for b in self.buttons if b.name == name]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = Parsed()
        self._button: Button | None = None
        self._text: str | None = None  # "notice", "body", "textarea", "passphrase", "entry"
        self._buffer = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("type") == "hidden":
            self.page.hidden.setdefault(a["name"], a.get("value", ""))
        elif tag == "input" and a.get("type") == "checkbox":
            self.page.checkboxes.append((a["value"], "checked" in a))
        elif tag == "input" and a.get("type") == "password":
            self.page.password = True
        elif tag == "button":
            self._button = Button(a.get("name", ""), a.get("value", ""), "")
        elif tag == "textarea":
            self._text, self._buffer = "textarea", ""
        elif tag == "p" and a.get("class") in ("notice", "text", "passphrase"):
            self._text, self._buffer = a["class"], ""
        elif tag == "li" and a.get("class") in ("mine", "theirs"):
            self._text, self._buffer = "entry", ""
        elif tag == "a":
            self.page.links.append(a.get("href", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None:
            self.page.buttons.append(self._button)
            self._button = None
        elif tag in ("textarea", "p", "li") and self._text is not None:
            if self._text == "textarea":
                self.page.textarea = self._buffer
            elif self._text == "passphrase":
                self.page.passphrase = self._buffer
            elif self._text == "entry":
                self.page.thread.append(" ".join(self._buffer.split()))
            elif self._text == "notice":
                self.page.notices.append(self._buffer)
            else:
                self.page.body = self._buffer
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.label += data
        if self._text is not None:
            self._buffer += data


def parse(html: str) -> Parsed:
    reader = _Reader()
    reader.feed(html)
    reader.page.html = html
    return reader.page


class Visitor:
    """One browser: its own cookies, pages read and forms posted like a person would."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.page = Parsed()
        self.steps: list[str] = []
        self.last: httpx.Response | None = None

    async def open(self) -> Parsed:
        return self._read(await self.client.get("/"))

    async def press(self, name: str, value: str = "1", **fields: str | list[str]) -> Parsed:
        data: dict[str, str | list[str]] = {
            "_xsrf": self.page.hidden["_xsrf"],
            "step": self.page.step,
            name: value,
            **fields,
        }
        return self._read(await self.client.post("/", data=data))

    async def get(self, path: str) -> Parsed:
        """Another page (`/login`, `/thread`), redirects followed as a browser would."""
        return self._read(await self.client.get(path, follow_redirects=True))

    async def submit(self, path: str, **fields: str) -> Parsed:
        """Post the page's form to `path` with `fields` (the XSRF token added), redirects
        followed (a post that worked answers 303 to the page to read)."""
        data = {"_xsrf": self.page.hidden["_xsrf"], **fields}
        return self._read(await self.client.post(path, data=data, follow_redirects=True))

    def _read(self, response: httpx.Response) -> Parsed:
        assert response.status_code == 200, response.text
        self.last = response
        self.page = parse(response.text)
        if self.page.step:
            self.steps.append(self.page.step)
        return self.page


@dataclass
class Door:
    url: str
    services: Services
    announced: list[Message]
    clients: list[httpx.AsyncClient] = field(default_factory=list)
    inside: Any = None
    """The application's `web.app._Door` (its login limits and logins)."""
    removed: list[tuple[list[Copy], dict[int, list[int]]]] = field(default_factory=list)
    """What a web /forget asked the bot to delete: copies, and message ids by chat."""

    def visitor(self, language: str = "en", **headers: str) -> Visitor:
        client = httpx.AsyncClient(
            base_url=self.url, headers={"Accept-Language": language, **headers}, timeout=30
        )
        self.clients.append(client)
        return Visitor(client)


OpenDoor = Callable[..., AbstractAsyncContextManager[Door]]


@pytest.fixture
def open_door(tmp_path: Path) -> OpenDoor:
    """A door on settings of the test's choosing (sealed mode: `role="intake"` and its key)."""

    @asynccontextmanager
    async def opened(**values: object) -> AsyncIterator[Door]:
        database = f"sqlite:///{tmp_path / 'intake.db'}"
        values.setdefault("master_keys", generate_master_key())
        settings = Settings(_env_file=None, bot_token="1:x", database_url=database, **values)  # type: ignore[call-arg]
        services = await Services.start(settings)
        announced: list[Message] = []

        async def announce(messages: Sequence[Message]) -> None:
            announced.extend(messages)

        removed: list[tuple[list[Copy], dict[int, list[int]]]] = []

        async def remove(found: Sequence[Copy], deletions: Mapping[int, Sequence[int]]) -> None:
            removed.append((list(found), {chat: list(ids) for chat, ids in deletions.items()}))

        server, port = web_app.listen(services, "127.0.0.1", 0, announce=announce, remove=remove)
        application = server.request_callback
        assert isinstance(application, tornado.web.Application)
        door = Door(
            f"http://127.0.0.1:{port}", services, announced,
            inside=application.settings["door"], removed=removed,
        )  # fmt: skip
        try:
            yield door
        finally:
            for client in door.clients:
                await client.aclose()
            server.stop()
            await server.close_all_connections()
            await web_app.drain(server)
            await services.aclose()

    return opened


@pytest.fixture
async def door(open_door: OpenDoor) -> AsyncIterator[Door]:
    async with open_door() as opened:
        yield opened
