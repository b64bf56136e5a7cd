"""Teams at the desk (dialogs/routing.yaml): which queues a volunteer works, their names in
words, and the admins' /team and /teams.

A volunteer in no team (a new one, or one whose last team an admin took away) works every
team's queue, as the whole desk did before teams: nobody who joins finds an empty desk, a group
that never sets teams up keeps one shared queue, and no case is left where nobody looks. Once an
admin puts them in a team, /queue and /take are that team's (`/queue all` still shows every
queue) and they hear of that team's new cases. For the same reason a case with no team (stored
before teams existed) is in every team's queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from casework.desk.access import Work
from storage import audit as audit_store
from storage import cases as case_store
from storage import volunteers as volunteer_store
from storage.models import Case, Volunteer

ALL = "all"


async def teams_of(work: Work, volunteer: Volunteer | None = None) -> set[str]:
    """The teams (of the routing file) a volunteer is in; empty: in none, so in every one."""
    stored = await volunteer_store.teams_of(work.db, volunteer or work.me)
    return stored & set(work.desk.routing.teams)


async def my_scope(work: Work) -> set[str] | None:
    """The teams whose queue this volunteer works; None: every team's."""
    return await teams_of(work) or None


def may_work_on(scope: set[str] | None, case: Case) -> bool:
    """Whether a case is in a queue of `scope` (a case with no team is in every queue)."""
    return scope is None or case.team is None or case.team in scope


def team_name(work: Work, team: str | None) -> str:
    """A team's name in words; a team the routing file no longer has, by its id."""
    if team is None:
        return work.text("desk-all-teams")
    if team not in work.desk.routing.teams:
        return team
    return work.text(f"team-{team}")


def team_names(work: Work, teams: Iterable[str]) -> str:
    ordered = [t for t in work.desk.routing.teams if t in set(teams)]
    return ", ".join(team_name(work, t) for t in ordered)


def tag_words(work: Work, tags: Sequence[str]) -> str:
    """The tags in words, or "none" (the texts' selector for no tags)."""
    known = [t for t in tags if t in work.desk.routing.tags]
    return ", ".join(work.text(f"tag-{t}") for t in known) or "none"


def known_team(work: Work, word: str) -> str:
    """A team id as typed (any case), or the refusal naming the teams there are."""
    team = word.strip().lower()
    if team not in work.desk.routing.teams:
        raise work.refuse(
            "desk-team-unknown",
            team=word,
            teams=", ".join(work.desk.routing.teams),
        )
    return team


async def change(work: Work, handle: str, changes: Sequence[str]) -> None:
    """`/team HANDLE +legal -psych`: put a volunteer in and out of teams (audited)."""
    work.require_admin()
    add: list[str] = []
    remove: list[str] = []
    for word in changes:
        sign, name = word[:1], word[1:]
        if sign not in "+-" or not name:
            raise work.refuse("desk-usage", usage="/team HANDLE +TEAM -TEAM")
        (add if sign == "+" else remove).append(known_team(work, name))
    volunteer = await volunteer_store.find_volunteer_by_handle(work.db, handle)
    if volunteer is None or volunteer.revoked_at is not None:
        raise work.refuse("desk-revoke-unknown", handle=handle)
    now = await volunteer_store.change_teams(work.db, volunteer, add=add, remove=remove)
    detail = " ".join([volunteer.handle, *(f"+{t}" for t in add), *(f"-{t}" for t in remove)])
    await audit_store.record(work.db, "team", actor=work.me, detail=detail[:100])
    now &= set(work.desk.routing.teams)
    if now:
        work.tell_me(
            work.text("desk-team-now", handle=volunteer.handle, teams=team_names(work, now))
        )
    else:
        work.tell_me(work.text("desk-team-none", handle=volunteer.handle))


async def overview(work: Work) -> None:
    """`/teams`: each team with its members' handles and its open and waiting cases."""
    work.require_admin()
    members = await volunteer_store.memberships(work.db)
    handles = {v.id: v.handle for v in await volunteer_store.active_volunteers(work.db)}
    counts = await case_store.open_counts_by_team(work.db)
    known = set(work.desk.routing.teams)
    lines = [work.text("desk-teams-title")]
    for team in work.desk.routing.teams:
        names = sorted(handles[v] for v, teams in members.items() if team in teams)
        opened, waiting = counts.get(team, (0, 0))
        lines.append(
            work.text(
                "desk-teams-line",
                name=team_name(work, team),
                team=team,
                open=opened,
                waiting=waiting,
                members=", ".join(names) or work.text("desk-teams-nobody"),
            )
        )
    teamless = sorted(handles[v] for v, teams in members.items() if not teams & known)
    if teamless:
        lines.append(work.text("desk-teams-teamless", handles=", ".join(teamless)))
    work.tell_me("\n".join(lines))
