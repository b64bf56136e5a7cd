"""Runs the real bot (services + python-telegram-bot Application, long polling over HTTP) in a
thread of its own, so that tests can act as people, synchronously, against the local Bot API."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from bot.runner import serve_polling
from bot.services import Services
from bot.settings import Settings


class BotRunner:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.services: Services | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="bot-under-test", daemon=True)

    def start(self) -> BotRunner:
        self._thread.start()
        if not self._ready.wait(30):
            raise AssertionError("the bot did not start within 30 s")
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        if self._thread.is_alive():
            raise AssertionError("the bot did not stop within 30 s")
        if self._error is not None:
            raise self._error

    def run(self, coroutine_factory: Callable[[Services], Any]) -> Any:
        """Run a coroutine on the bot's own loop (e.g. to read the database it uses)."""
        assert self._loop is not None
        assert self.services is not None
        future = asyncio.run_coroutine_threadsafe(coroutine_factory(self.services), self._loop)
        return future.result(30)

    def __enter__(self) -> BotRunner:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported to the test thread
            self._error = error
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()

        def started(services: Services) -> None:
            self.services = services
            self._ready.set()

        await serve_polling(self.settings, self._stop, started=started)
