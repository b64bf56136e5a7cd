"""A typed CallbackContext: handlers reach the services as attributes, not string keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

if TYPE_CHECKING:
    from bot.render import Renderer
    from bot.services import Services
    from casework.turns import Turns
    from dialogs.engine import Engine

SERVICES_KEY = "services"


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """user_data and chat_data stay unused: nothing about a person lives in PTB's memory."""

    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services

    @property
    def turns(self) -> Turns:
        return self.services.turns

    @property
    def renderer(self) -> Renderer:
        return self.services.renderer

    @property
    def engine(self) -> Engine:
        return self.services.engine


def attach(app: Application, services: Services) -> None:
    app.bot_data[SERVICES_KEY] = services
