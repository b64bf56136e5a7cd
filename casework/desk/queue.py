"""The desk's queue: what waits, taking the next or a named case, one's own cases, figures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from casework.answers import category_name
from casework.desk import teams
from casework.desk.access import Work
from casework.desk.case import outcome_name, show
from casework.durations import age, split_duration
from storage import audit as audit_store
from storage import cases as case_store
from storage import errors
from storage import stats as stats_store
from storage.cases import case_tags
from storage.models import Case, utcnow

URGENT_PRIORITY = 1
"""Priority 1 is the most urgent (the questionnaire's "in danger right now")."""


async def queue(work: Work, which: str | None = None) -> None:
    """The waiting cases of one's teams (every team's for a volunteer in none), of every team
    (`which` "all") or of one team (`which` its id)."""
    scope: set[str] | None
    if which is None:
        scope = await teams.my_scope(work)
        named = teams.team_names(work, scope) if scope is not None else None
    elif which.lower() == teams.ALL:
        scope, named = None, work.text("desk-all-teams")
    else:
        scope = {teams.known_team(work, which)}
        named = teams.team_names(work, scope)
    cases = await case_store.waiting_cases(work.db, teams=scope)
    if not cases:
        if named is None:
            text = work.text("desk-queue-empty")
        else:
            text = work.text("desk-queue-empty-of", teams=named)
        held = await _held_back_line(work)
        work.tell_me(f"{text}\n{held}" if held else text)
        return
    lines = [work.text("desk-queue-title", count=len(cases))]
    if named is not None:
        lines.insert(0, work.text("desk-queue-of", teams=named))
    lines += case_lines(work, cases)
    lines.append(work.text("desk-queue-priorities"))
    held = await _held_back_line(work)
    if held:
        lines.append(held)
    work.tell_me("\n".join(lines))


async def _held_back_line(work: Work) -> str | None:
    """Admins see which requests a silent block holds back; nobody else learns of them."""
    if not work.is_admin:
        return None
    held = await case_store.held_back_cases(work.db)
    if not held:
        return None
    return work.text("desk-queue-held", references=", ".join(c.reference for c in held))


def case_lines(work: Work, cases: Sequence[Case], *, held: bool = False) -> list[str]:
    """One line per case: reference, priority (urgent ones marked), category, and how long it
    has waited (/queue) or since the volunteer took it (/mine, `held`)."""
    t, lang = work.t, work.me.language
    key = "desk-mine-line" if held else "desk-queue-line"
    return [
        t.text(lang, key, reference=c.reference, priority=c.priority,
               urgent="yes" if c.priority <= URGENT_PRIORITY else "no",
               category=category_name(t, lang, c.category), language=c.language,
               team=teams.team_name(work, c.team), tags=teams.tag_words(work, case_tags(c)),
               waited=t.text(lang, "duration", **age(c.taken_at if held else c.created_at)))
        + (" · ⚠" if c.codeword_failed else "")  # the codeword failed: see /case
        for c in cases
    ]  # fmt: skip


async def take(work: Work, reference: str | None) -> None:
    """The named case, or the most urgent waiting one; then its view."""
    scope = await teams.my_scope(work)
    if reference is not None:
        case = await _claim(work, reference, scope)
    else:
        found = await case_store.claim_next(work.db, work.me, teams=scope)
        if found is None and scope is not None:
            raise work.refuse("desk-nothing-to-take-of", teams=teams.team_names(work, scope))
        if found is None:
            raise work.refuse("desk-nothing-to-take")
        case = found
    await audit_store.record(work.db, "claim", actor=work.me, case=case)
    work.tell_me(work.text("desk-taken", reference=case.reference))
    await show(work, case)


async def _claim(work: Work, reference: str, scope: set[str] | None) -> Case:
    """The named case, claimed through the same conditional UPDATE as always; a case of
    another team's queue is refused first (admins may take any)."""
    named = await case_store.get_case_by_reference(work.db, reference)
    mine = named is not None and named.status == "taken" and named.volunteer_id == work.me.id
    if named is not None and not (work.is_admin or mine or teams.may_work_on(scope, named)):
        raise work.refuse(
            "desk-take-other-team",
            reference=named.reference,
            team=teams.team_name(work, named.team),
        )
    try:
        return await case_store.claim(work.db, work.me, reference)
    except errors.CaseNotFound:
        raise work.refuse("desk-not-found", reference=reference.upper()) from None
    except errors.CaseNotAvailable as refusal:
        case = await case_store.get_case_by_reference(work.db, reference)
        waiting = refusal.status == "waiting" and case is not None
        if waiting and case is not None and await case_store.is_held_back(work.db, case):
            raise work.refuse("desk-take-held", reference=case.reference) from None
        raise work.refuse("desk-not-available", reference=reference.upper()) from None


async def mine(work: Work) -> None:
    cases = await case_store.cases_held_by(work.db, work.me)
    if not cases:
        work.tell_me(work.text("desk-mine-empty"))
        return
    work.tell_me("\n".join([work.text("desk-mine-title"), *case_lines(work, cases, held=True)]))


async def stats(work: Work) -> None:
    figures = await stats_store.desk_stats(work.db)
    none = work.text("desk-none")
    median, oldest = figures.median_first_reply, figures.oldest_waiting_age
    work.tell_me(
        work.text(
            "desk-stats",
            waiting=figures.waiting,
            taken=figures.taken,
            closed=figures.closed,
            median=work.text("duration", **split_duration(median)) if median is not None else none,
            oldest=work.text("duration", **split_duration(oldest)) if oldest is not None else none,
            volunteers=figures.active_volunteers,
        )
    )
    await recent_stats(work)


RECENT = timedelta(days=30)


async def recent_stats(work: Work) -> None:
    """The last 30 days by team and outcome, and the median time to first reply per team, as
    `intake-bot stats` prints them: any count under 5 shows as "<5" (so does a median of fewer
    than 5 replies)."""
    since = utcnow() - RECENT
    counts = await stats_store.counts_by(work.db, ("team", "outcome"), since=since)
    lines = [work.text("desk-stats-recent-title")]
    for (team, outcome), count in counts.items():
        lines.append(
            work.text(
                "desk-stats-recent-line",
                team=_team_words(work, team),
                outcome=_outcome_words(work, outcome),
                count=stats_store.shown(count),
            )
        )
    if not counts:
        lines.append(work.text("desk-none"))
    lines.append(work.text("desk-stats-reply-title"))
    replies = await stats_store.first_reply_by_team(work.db, since=since)
    for team, (count, median) in replies.items():
        lines.append(
            work.text(
                "desk-stats-reply-line",
                team=_team_words(work, team),
                median=(
                    work.text("duration", **split_duration(median))
                    if median is not None
                    else work.text("desk-stats-too-few", count=stats_store.shown(count))
                ),
            )
        )
    if not replies:
        lines.append(work.text("desk-none"))
    work.tell_me("\n".join(lines))


def _team_words(work: Work, team: str) -> str:
    return work.text("desk-stats-no-team") if team == "none" else teams.team_name(work, team)


def _outcome_words(work: Work, outcome: str) -> str:
    if outcome in ("open", "none"):
        return work.text(f"desk-stats-outcome-{outcome}")
    return outcome_name(work, outcome)
