"""Talking to a case's person: a volunteer's own words, or a reply the team prepared."""

from __future__ import annotations

from casework import relay, verification
from casework.desk import teams
from casework.desk.access import Work, holder, holder_or_admin
from dialogs.routing import SHARED


async def reply(work: Work, reference: str, text: str) -> None:
    case = await work.case(reference, holder)
    await relay.to_person(work, case, text)
    await work.keep_command(case)


async def reply_to_relayed(work: Work, message_id: int, text: str) -> bool:
    """A Telegram reply to a relayed message: False if it answers no case they hold."""
    case = await relay.case_replied_to(work, message_id)
    if case is None:
        return False
    await relay.to_person(work, case, text)
    await work.keep_command(case)
    return True


async def verify(work: Work, reference: str) -> None:
    """Ask the person for their codeword; the volunteer learns only whether it matches."""
    await verification.verify(work, await work.case(reference, holder_or_admin))


async def canned_list(work: Work) -> None:
    """The shared replies, then each of the volunteer's teams' own (in no team: every team's),
    as data in dialogs/routing.yaml and the locales."""
    routing = work.desk.routing
    lines = [work.text("desk-canned-title")]
    lines += _canned_lines(work, routing.canned_keys(None), None)
    mine = await teams.teams_of(work) or set(routing.teams)
    for team in routing.teams:
        own = [k for k in routing.canned.get(team, ()) if team in mine]
        if own:
            lines.append(work.text("desk-canned-team", team=teams.team_name(work, team)))
            lines += _canned_lines(work, own, team)
    work.tell_me("\n".join(lines))


def _canned_lines(work: Work, keys: list[str], team: str | None) -> list[str]:
    routing = work.desk.routing
    return [
        work.text(
            "desk-canned-line",
            key=key,
            preview=_preview(work.text(routing.canned_key(team or SHARED, key))),
        )
        for key in keys
    ]


async def canned(work: Work, reference: str, key: str) -> None:
    """The case's team's reply `key` if it has one, else the shared one, in the person's
    language."""
    key = key.lower()
    routing = work.desk.routing
    if not any(key in keys for keys in routing.canned.values()):
        raise work.refuse("desk-canned-unknown", key=key)
    case = await work.case(reference, holder)
    text_key = routing.canned_for(case.team, key)
    if text_key is None:
        raise work.refuse(
            "desk-canned-not-for-team", key=key, team=teams.team_name(work, case.team)
        )
    text = work.t.text(case.language, text_key)
    detail = key if text_key == f"canned-{key}" else f"{case.team}:{key}"
    await relay.to_person(work, case, text, action="canned", detail=detail)


def _preview(text: str, words: int = 8) -> str:
    head = text.split()
    return " ".join(head[:words]) + ("…" if len(head) > words else "")
