"""Desk commands for volunteers, in their private chat with the bot: parse, call casework's
desk, send what it returns. By area: the queue, one case, talking to its person, members,
handing a case on."""

from __future__ import annotations

from telegram.ext import Application, CommandHandler

from bot.handlers.common import PRIVATE
from bot.handlers.desk import case, handover, members, queue, talk
from bot.handlers.desk.command import DeskHandler, desk_command

COMMANDS: dict[str, DeskHandler] = {
    **queue.COMMANDS,
    **case.COMMANDS,
    **talk.COMMANDS,
    **members.COMMANDS,
    **handover.COMMANDS,
}


def register(app: Application) -> None:
    for name, handler in COMMANDS.items():
        app.add_handler(CommandHandler(name, desk_command(handler), filters=PRIVATE))
    app.add_handler(CommandHandler("join", members.on_join, filters=PRIVATE))
