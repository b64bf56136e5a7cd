"""/transfer, /assign, /tag, /priority, /reopen."""

from __future__ import annotations

from bot.handlers.desk.command import Command, DeskHandler, usage
from casework.desk import handover
from casework.desk.access import Work


async def on_transfer(work: Work, command: Command) -> None:
    if len(command.words) < 2:
        raise usage(work, "/transfer REF TEAM [note]")
    words = command.words
    await handover.transfer(work, words[0], words[1], command.rest(3) or None)


async def on_assign(work: Work, command: Command) -> None:
    if len(command.words) < 2:
        raise usage(work, "/assign REF HANDLE [note]")
    words = command.words
    await handover.assign(work, words[0], words[1], command.rest(3) or None)


async def on_tag(work: Work, command: Command) -> None:
    if len(command.words) < 2:
        raise usage(work, "/tag REF +TAG -TAG")
    await handover.tag(work, command.words[0], command.words[1:])


async def on_priority(work: Work, command: Command) -> None:
    if len(command.words) != 2:
        raise usage(work, "/priority REF N")
    await handover.priority(work, command.words[0], command.words[1])


async def on_reopen(work: Work, command: Command) -> None:
    if len(command.words) != 1:
        raise usage(work, "/reopen REF")
    await handover.reopen(work, command.words[0])


COMMANDS: dict[str, DeskHandler] = {
    "transfer": on_transfer,
    "assign": on_assign,
    "tag": on_tag,
    "priority": on_priority,
    "reopen": on_reopen,
}
