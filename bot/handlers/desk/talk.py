"""/reply and /canned: words for a case's person, relayed by the bot."""

from __future__ import annotations

from bot.handlers.desk.command import Command, DeskHandler, usage
from casework.desk import talk
from casework.desk.access import Work


async def on_reply(work: Work, command: Command) -> None:
    if len(command.words) < 2:
        raise usage(work, "/reply REF text")
    await talk.reply(work, command.words[0], command.rest(2))


async def on_canned(work: Work, command: Command) -> None:
    if not command.words:
        talk.canned_list(work)
        return
    if len(command.words) != 2:
        raise usage(work, "/canned REF KEY")
    await talk.canned(work, command.words[0], command.words[1])


COMMANDS: dict[str, DeskHandler] = {"reply": on_reply, "canned": on_canned}
