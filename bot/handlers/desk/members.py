"""/invite, /join, /volunteers, /revoke, /audit, the teams: /teams, /team, and /duty."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import on_help, on_unknown_command, person_of, reply
from bot.handlers.desk.command import Command, DeskHandler, usage
from casework.desk import duty, members, teams
from casework.desk.access import Work


async def on_invite(work: Work, command: Command) -> None:
    admin = bool(command.words) and command.words[0].lower() == "admin"
    await members.invite(work, admin=admin)


async def on_join(update: Update, context: BotContext) -> None:
    """`/join CODE`: anyone may try; a wrong code looks exactly like an unknown command."""
    args = list(context.args or [])
    if len(args) != 1:
        await on_unknown_command(update, context)
        return
    try:
        joined = await members.join(context.services.desk, person_of(update), args[0])
    except members.AlreadyMember:
        await on_help(update, context)
        return
    if joined is None:
        await on_unknown_command(update, context)
        return
    await reply(update, context, joined.language, "desk-joined", handle=joined.handle)
    await reply(update, context, joined.language, "desk-help")


async def on_volunteers(work: Work, command: Command) -> None:
    await members.volunteers(work)


async def on_revoke(work: Work, command: Command) -> None:
    work.require_admin()
    if len(command.words) != 1:
        raise usage(work, "/revoke HANDLE")
    await members.revoke(work, command.words[0])


async def on_audit(work: Work, command: Command) -> None:
    work.require_admin()
    if len(command.words) != 1:
        raise usage(work, "/audit REF")
    await members.audit(work, command.words[0])


async def on_teams(work: Work, command: Command) -> None:
    await teams.overview(work)


async def on_team(work: Work, command: Command) -> None:
    work.require_admin()
    if len(command.words) < 2:
        raise usage(work, "/team HANDLE +TEAM -TEAM")
    await teams.change(work, command.words[0], command.words[1:])


async def on_duty(work: Work, command: Command) -> None:
    words = [w.lower() for w in command.words]
    if not words:
        await duty.on_duty(work)
    elif words in ([duty.ON], [duty.OFF]):
        await duty.set_duty(work, words[0] == duty.ON)
    else:
        raise usage(work, "/duty [on|off]")


COMMANDS: dict[str, DeskHandler] = {
    "invite": on_invite,
    "volunteers": on_volunteers,
    "revoke": on_revoke,
    "audit": on_audit,
    "teams": on_teams,
    "team": on_team,
    "duty": on_duty,
}
