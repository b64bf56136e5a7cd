"""Duty shifts: `/duty on` and `/duty off` (each volunteer about themselves, audited), and
`/duty`, who is on duty in each team, by handle only.

Being on duty only changes where urgent notices go first (`Desk.recipients`, duty_first): to
the volunteers of the case's team who are on duty, or the whole team when none is. Who takes
what stays as it was: /queue and /take do not look at duty.
"""

from __future__ import annotations

from casework.desk.access import Work
from casework.desk.teams import team_name
from storage import audit as audit_store
from storage import volunteers as volunteer_store

ON, OFF = "on", "off"


async def set_duty(work: Work, on_duty: bool) -> None:
    """`/duty on|off`: about oneself only; recorded in the audit trail (even when unchanged)."""
    await volunteer_store.set_on_duty(work.db, work.me, on_duty)
    await audit_store.record(work.db, "duty", actor=work.me, detail=ON if on_duty else OFF)
    work.tell_me(work.text("desk-duty-now-on" if on_duty else "desk-duty-now-off"))


async def on_duty(work: Work) -> None:
    """`/duty`: each team with its members on duty (those in no team, who work every queue,
    on a line of their own)."""
    volunteers = [v for v in await volunteer_store.active_volunteers(work.db) if v.on_duty]
    members = await volunteer_store.memberships(work.db)
    known = set(work.desk.routing.teams)
    lines = [work.text("desk-duty-title")]
    for team in work.desk.routing.teams:
        handles = sorted(v.handle for v in volunteers if team in members.get(v.id, set()))
        lines.append(
            work.text(
                "desk-duty-line",
                name=team_name(work, team),
                handles=", ".join(handles) or work.text("desk-duty-nobody"),
            )
        )
    teamless = sorted(v.handle for v in volunteers if not members.get(v.id, set()) & known)
    if teamless:
        lines.append(work.text("desk-duty-teamless", handles=", ".join(teamless)))
    if work.me.on_duty:
        lines.append(work.text("desk-duty-you-on"))
    else:
        lines.append(work.text("desk-duty-you-off"))
    work.tell_me("\n".join(lines))
