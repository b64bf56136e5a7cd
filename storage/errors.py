"""The desk's refusals, in one place so that each aggregate can raise another's.

A revoked volunteer claiming a case is refused by `storage.cases` with a volunteer's error;
messages never contain ids, handles of others or content.
"""

from __future__ import annotations

from storage.models import Volunteer


class DeskError(Exception):
    """Base of the desk's refusals; messages never contain ids, handles of others or content."""


class VolunteerNotFound(DeskError):
    """No volunteer has that handle."""


class VolunteerRevoked(DeskError):
    """The volunteer's access was revoked; they may not act on cases."""


class AlreadyVolunteer(DeskError):
    """An active volunteer tried to redeem an invite; the invite was left unused."""


class InviteInvalid(DeskError):
    """The invite code is malformed, unknown, already used or expired (deliberately not said)."""


class CaseNotFound(DeskError):
    """No case has that reference."""


class CaseNotAvailable(DeskError):
    """The case cannot be claimed: another volunteer holds it, or it is closed."""

    def __init__(self, status: str) -> None:
        super().__init__(f"case is {status}")
        self.status = status


class CaseStateError(DeskError):
    """The case is not in a state that allows this (release a case nobody holds, close twice)."""


def check_active(volunteer: Volunteer) -> None:
    """Refuse a revoked volunteer (they may not act on cases nor invite)."""
    if volunteer.revoked_at is not None:
        raise VolunteerRevoked("this volunteer's access was revoked")
