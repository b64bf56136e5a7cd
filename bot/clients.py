"""The HTTP client and the event loop the bot runs on, as INTAKE_HTTP_CLIENT and
INTAKE_EVENT_LOOP choose: `bot.aiohttp_request` (the default: less than half the CPU per call,
bench/README.md) or python-telegram-bot's httpx client, the standard asyncio loop (the default)
or uvloop. aiohttp is a dependency; uvloop comes with the `uvloop` extra
(`pip install 'intake-bot[uvloop]'`). Choosing one that is not installed stops the start with
one line naming the setting."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable

from telegram.request import BaseRequest, HTTPXRequest

from bot.bounded_request import BoundedHTTPXRequest
from bot.settings import Settings, SettingsError

PACKAGES = {("http_client", "aiohttp"): "aiohttp", ("event_loop", "uvloop"): "uvloop"}
HOW = {
    "aiohttp": "reinstall intake-bot (aiohttp is one of its dependencies)",
    "uvloop": "install intake-bot with its `uvloop` extra (pip install 'intake-bot[uvloop]')",
}
OTHER = {"http_client": "httpx", "event_loop": "asyncio"}


def check(settings: Settings) -> None:
    """A SettingsError (one line) when a chosen client or loop's package is not installed."""
    for (name, value), package in PACKAGES.items():
        if getattr(settings, name) == value and importlib.util.find_spec(package) is None:
            raise SettingsError(
                f"INTAKE_{name.upper()}={value} needs the {package} package, which is not"
                f" installed: {HOW[package]}, or set INTAKE_{name.upper()}={OTHER[name]}"
            )


def bot_request(settings: Settings) -> BaseRequest:
    """For the bot's own calls: at most INTAKE_BOT_API_CONNECTIONS at once; calls beyond them
    wait their turn however long it takes (no pool timeout)."""
    check(settings)
    if settings.http_client == "aiohttp":
        from bot.aiohttp_request import AiohttpRequest

        return AiohttpRequest(settings.bot_api_connections, pool_timeout=None)
    return BoundedHTTPXRequest(settings.bot_api_connections)


def plain_request(settings: Settings) -> BaseRequest:
    """For getUpdates and the check at start: python-telegram-bot's defaults."""
    check(settings)
    if settings.http_client == "aiohttp":
        from bot.aiohttp_request import AiohttpRequest

        return AiohttpRequest()
    return HTTPXRequest()


def loop_factory(settings: Settings) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """What `asyncio.Runner` makes its loop with; None for the standard one."""
    check(settings)
    if settings.event_loop == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return None
