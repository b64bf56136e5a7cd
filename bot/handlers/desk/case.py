"""/case, /note, /release, /close, /block, /unblock, /remind, /reminders."""

from __future__ import annotations

from bot.handlers.desk.command import Command, DeskHandler, usage
from casework.desk import case, reminders
from casework.desk.access import Work


def _reference(work: Work, command: Command, text: str) -> str:
    if not command.words:
        raise usage(work, text)
    return command.words[0]


async def on_case(work: Work, command: Command) -> None:
    await case.view(work, _reference(work, command, "/case REF"))


async def on_note(work: Work, command: Command) -> None:
    if len(command.words) < 2:
        raise usage(work, "/note REF text")
    await case.note(work, command.words[0], command.rest(2))


async def on_release(work: Work, command: Command) -> None:
    await case.release(work, _reference(work, command, "/release REF"))


async def on_close(work: Work, command: Command) -> None:
    reference = _reference(work, command, "/close REF [OUTCOME] [internal note]")
    outcome, note = case.split_outcome(work, command.rest(2))
    await case.close(work, reference, note, outcome)


async def on_remind(work: Work, command: Command) -> None:
    if len(command.words) < 3:
        raise usage(work, "/remind REF 2d text")
    await reminders.remind(work, command.words[0], command.words[1], command.rest(3))


async def on_reminders(work: Work, command: Command) -> None:
    await reminders.pending(work)


async def on_block(work: Work, command: Command) -> None:
    words = command.words
    if len(words) > 2 or (len(words) == 2 and words[1].lower() != "silent"):
        raise usage(work, "/block REF [silent]")
    await case.block(work, _reference(work, command, "/block REF [silent]"), silent=len(words) == 2)


async def on_unblock(work: Work, command: Command) -> None:
    if len(command.words) != 1:
        raise usage(work, "/unblock REF")
    await case.unblock(work, command.words[0])


COMMANDS: dict[str, DeskHandler] = {
    "case": on_case,
    "note": on_note,
    "release": on_release,
    "close": on_close,
    "block": on_block,
    "unblock": on_unblock,
    "remind": on_remind,
    "reminders": on_reminders,
}
