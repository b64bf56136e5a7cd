"""A typed CallbackContext: handlers reach the services as attributes, not string keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

if TYPE_CHECKING:
    from bot.render import Renderer
    from bot.services import Services
    from casework.people import Person
    from casework.turns import Turn, Turns
    from dialogs.engine import Engine

SERVICES_KEY = "services"


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """user_data and chat_data stay unused: nothing about a person lives in PTB's memory.

    python-telegram-bot builds one context per update and hands it to that update's handlers
    of every group, so `last_turn` lets a later group see what an earlier one left in the
    draft without locking and reading it again (two Redis round trips)."""

    last_turn: Turn | None = None

    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services

    @property
    def turns(self) -> Turns:
        return self.services.turns

    @asynccontextmanager
    async def turn(self, person: Person) -> AsyncIterator[Turn]:
        """`Turns.turn`, remembered for the rest of this update once it ended without error."""
        async with self.turns.turn(person) as turn:
            yield turn
        self.last_turn = turn

    @property
    def renderer(self) -> Renderer:
        return self.services.renderer

    @property
    def engine(self) -> Engine:
        return self.services.engine


def attach(app: Application, services: Services) -> None:
    app.bot_data[SERVICES_KEY] = services
