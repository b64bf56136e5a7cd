"""/queue, /take, /mine, /stats."""

from __future__ import annotations

from bot.handlers.desk.command import Command, DeskHandler, usage
from casework.desk import queue
from casework.desk.access import Work


async def on_queue(work: Work, command: Command) -> None:
    if len(command.words) > 1:
        raise usage(work, "/queue [all|TEAM]")
    await queue.queue(work, command.words[0] if command.words else None)


async def on_take(work: Work, command: Command) -> None:
    await queue.take(work, command.words[0] if command.words else None)


async def on_mine(work: Work, command: Command) -> None:
    await queue.mine(work)


async def on_stats(work: Work, command: Command) -> None:
    await queue.stats(work)


COMMANDS: dict[str, DeskHandler] = {
    "queue": on_queue,
    "take": on_take,
    "mine": on_mine,
    "stats": on_stats,
}
