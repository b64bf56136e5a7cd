"""The desk's queue: what waits, taking the next or a named case, one's own cases, figures."""

from __future__ import annotations

from collections.abc import Sequence

from casework.answers import category_name
from casework.desk.access import Work
from casework.desk.case import show
from casework.durations import age, split_duration
from storage import audit as audit_store
from storage import cases as case_store
from storage import errors
from storage import stats as stats_store
from storage.models import Case

URGENT_PRIORITY = 1
"""Priority 1 is the most urgent (the questionnaire's "in danger right now")."""


async def queue(work: Work) -> None:
    cases = await case_store.waiting_cases(work.db)
    if not cases:
        text = work.text("desk-queue-empty")
        held = await _held_back_line(work)
        work.tell_me(f"{text}\n{held}" if held else text)
        return
    lines = [work.text("desk-queue-title", count=len(cases))]
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
               waited=t.text(lang, "duration", **age(c.taken_at if held else c.created_at)))
        + (" · ⚠" if c.codeword_failed else "")  # the codeword failed: see /case
        for c in cases
    ]  # fmt: skip


async def take(work: Work, reference: str | None) -> None:
    """The named case, or the most urgent waiting one; then its view."""
    if reference is not None:
        case = await _claim(work, reference)
    else:
        found = await case_store.claim_next(work.db, work.me)
        if found is None:
            raise work.refuse("desk-nothing-to-take")
        case = found
    await audit_store.record(work.db, "claim", actor=work.me, case=case)
    work.tell_me(work.text("desk-taken", reference=case.reference))
    await show(work, case)


async def _claim(work: Work, reference: str) -> Case:
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
