"""The audit log: who (by handle) did what to which case (by reference).

Functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.cases import normalize_reference
from storage.models import AuditEvent, Case, Volunteer, this_minute, today

_ACTION_MAX = 32
_DETAIL_MAX = 100


async def record(
    session: AsyncSession,
    action: str,
    *,
    actor: Volunteer | None,
    case: Case | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Append to the audit log: action, the actor's handle, the case reference, a short detail.

    Only handles and references are stored, never ids or content, so the trail survives (and
    says nothing more once) a case is erased. `detail` must be non-personal (a handle, a canned
    reply key).
    """
    if not action or len(action) > _ACTION_MAX:
        raise ValueError(f"action must be 1-{_ACTION_MAX} characters")
    if detail is not None and len(detail) > _DETAIL_MAX:
        raise ValueError(f"detail must be at most {_DETAIL_MAX} characters")
    event = AuditEvent(
        at=today() if case is not None and case.status == "closed" else this_minute(),
        action=action,
        actor_handle=None if actor is None else actor.handle,
        case_reference=None if case is None else case.reference,
        detail=detail,
    )
    session.add(event)
    await session.flush()
    return event


async def trail(session: AsyncSession, reference: str) -> Sequence[AuditEvent]:
    """Everything recorded about a case reference (as typed), oldest first."""
    canonical = normalize_reference(reference)
    if canonical is None:
        return []
    query = (
        select(AuditEvent)
        .where(AuditEvent.case_reference == canonical)
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return (await session.scalars(query)).all()
