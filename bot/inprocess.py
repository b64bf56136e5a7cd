"""The real bot (:func:`bot.runner.serve`, long polling) in a daemon thread with an event loop
of its own, so that a caller on another thread can act as people against a local Bot API
server: the terminal demo (:mod:`bot.demo`) and the end-to-end tests use this one piece."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any, Self

from bot.runner import serve
from bot.services import Services
from bot.settings import Settings

START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0


class BotThreadError(RuntimeError):
    """The bot's thread did not start or stop when asked, and the bot reported no error."""


class BotThread:
    """Start, stop and reach into the bot running in its own thread."""

    def __init__(self, settings: Settings, *, name: str = "intake-bot") -> None:
        self.settings = settings
        self.services: Services | None = None
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def start(self, timeout: float | None = START_TIMEOUT) -> Self:
        """Start the bot and wait until it polls (None: as long as it takes); raise the bot's
        own error if it failed. The wait is cut into short slices so that Ctrl-C reaches the
        demo's terminal thread."""
        self._thread.start()
        waited = 0.0
        while not self._ready.wait(0.1):
            waited += 0.1
            if not self._thread.is_alive():
                break
            if timeout is not None and waited >= timeout:
                raise BotThreadError(f"the bot did not start within {timeout:g} s")
        if self.error is not None:
            raise self.error
        if not self._ready.is_set():
            raise BotThreadError("the bot stopped while starting")
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Ask the bot to stop and wait up to ``timeout`` for its thread (see :meth:`check`)."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop may be closing already
                loop.call_soon_threadsafe(stop.set)
        if self._thread.ident is not None:
            self._thread.join(timeout)

    def check(self) -> None:
        """Raise the error the bot ended with, or :class:`BotThreadError` if it is still running
        after :meth:`stop`: a test must not pass over a bot that crashed or hung."""
        if self._thread.is_alive():
            raise BotThreadError(f"the bot did not stop within {STOP_TIMEOUT:g} s")
        if self.error is not None:
            raise self.error

    def run(self, coroutine_factory: Callable[[Services], Any]) -> Any:
        """Run a coroutine on the bot's own loop (e.g. to read the database it uses)."""
        assert self._loop is not None
        assert self.services is not None
        future = asyncio.run_coroutine_threadsafe(coroutine_factory(self.services), self._loop)
        return future.result(30)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until no update is being handled, handlers of every group included (a reply
        a person saw may come from an early group while a later one still runs)."""
        assert self.services is not None
        metrics = self.services.metrics
        deadline = time.monotonic() + timeout
        while metrics.updates_in_flight() > 0:
            if time.monotonic() > deadline:
                raise BotThreadError(f"the bot was still handling updates after {timeout:g} s")
            time.sleep(0.02)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.check()

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported to the calling thread
            self.error = error
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()

        def started(services: Services) -> None:
            self.services = services
            self._ready.set()

        await serve(self.settings, self._stop, started=started)
