"""The volunteer desk as a service: who is a volunteer, and what they may do with a case.

Everyone who is not an active volunteer is `NotAVolunteer`, and the handlers answer them exactly
as they answer an unknown command: the desk must not reveal that it exists. Telegram messages are
collected while the transaction runs and sent after it commits, so a slow Telegram never holds a
database lock and a failed transaction never leaves a message half-sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from casework.people import Person
from storage import desk as store
from storage import repositories as repo
from storage.copies import Copy
from storage.crypto import Cipher, Pseudonymizer
from storage.models import Case, Volunteer
from storage.models import Person as PersonRow

ADMIN = "admin"


class NotAVolunteer(Exception):
    """The sender is not an active volunteer (or not an admin, for admin commands)."""


class NotAllowed(Exception):
    """A volunteer asked for something only the holder of the case, or an admin, may do."""


@dataclass(frozen=True)
class Outgoing:
    """A message to send once the transaction has committed."""

    chat_id: int
    text: str
    relay_case_id: str | None = None
    """When set, remember the sent message so a reply to it reaches this case."""
    to_person: bool = False
    reference: str = ""
    shows_case: str | None = None
    """When set (a case id), the message shows that case's content: its ids are recorded
    (`storage.copies`) so it can be deleted when the case goes or the recipient is revoked."""
    removes: tuple[Copy, ...] = ()
    """Copies to delete from volunteers' chats before this message is sent (on /revoke)."""


@dataclass
class Work:
    """One desk command in progress: its transaction, the volunteer, and what to send after."""

    db: AsyncSession
    me: Volunteer
    outbox: list[Outgoing] = field(default_factory=list)

    @property
    def is_admin(self) -> bool:
        return self.me.role == ADMIN

    def require_admin(self) -> None:
        if not self.is_admin:
            raise NotAllowed

    def require_holder(self, case: Case, *, or_admin: bool = False) -> None:
        if case.volunteer_id == self.me.id and case.status == "taken":
            return
        if or_admin and self.is_admin:
            return
        raise NotAllowed


class Desk:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        pseudonyms: Pseudonymizer,
        *,
        admin_ids: Iterable[int],
        suggest_language: Callable[[str | None], str],
        desk_chat_id: int | None = None,
        desk_language: str = "",
    ) -> None:
        self.sessions = sessions
        self.cipher = cipher
        self.pseudonyms = pseudonyms
        self._admin_pseudonyms = {pseudonyms("volunteer", admin_id) for admin_id in admin_ids}
        self.desk_chat_id = desk_chat_id
        self.desk_language = desk_language  # "" means the questionnaire's default language
        self.suggest_language = suggest_language

    def volunteer_pseudonym(self, person: Person) -> str:
        return self.pseudonyms("volunteer", person.user_id)

    def invite_hash(self, code: str) -> str:
        """The stored form of an invite code; raises InviteInvalid when it cannot be one."""
        return store.hash_invite_code(self.pseudonyms, code)

    async def member(self, db: AsyncSession, person: Person) -> Volunteer | None:
        """The active volunteer behind this Telegram account.

        A configured admin (INTAKE_ADMIN_IDS) joins on sight, but only an account never seen
        before: one an admin revoked stays revoked, listed or not, until invited again.
        """
        pseudonym = self.volunteer_pseudonym(person)
        volunteer = await store.find_volunteer(db, pseudonym)
        if volunteer is None and pseudonym in self._admin_pseudonyms:
            volunteer = await store.ensure_admin(
                db,
                self.cipher,
                pseudonym=pseudonym,
                chat_id=person.chat_id,
                language=self.suggest_language(person.client_language),
            )
        if volunteer is None or volunteer.revoked_at is not None:
            return None
        return volunteer

    async def is_volunteer(self, person: Person) -> bool:
        async with self.sessions() as db, db.begin():
            return await self.member(db, person) is not None

    @asynccontextmanager
    async def work(self, person: Person) -> AsyncIterator[Work]:
        """A transaction on behalf of an active volunteer, or NotAVolunteer before anything."""
        async with self.sessions() as db, db.begin():
            me = await self.member(db, person)
            if me is None:
                raise NotAVolunteer
            await store.touch(db, me)
            yield Work(db=db, me=me)

    # -- helpers used by the handlers -----------------------------------------------------------

    async def case(self, db: AsyncSession, reference: str) -> Case:
        case = await repo.get_case_by_reference(db, reference)
        if case is None:
            raise store.CaseNotFound(reference)
        return case

    async def person_of(self, db: AsyncSession, case: Case) -> tuple[PersonRow, int]:
        person = await db.get_one(PersonRow, case.person_id)
        return person, repo.person_chat_id(self.cipher, person)

    async def recipients(self, db: AsyncSession) -> list[tuple[int, str]]:
        """Where desk notices go: the desk group if one is set, else every active volunteer."""
        if self.desk_chat_id is not None:
            return [(self.desk_chat_id, self.desk_language)]
        return [
            (store.volunteer_chat_id(self.cipher, v), v.language)
            for v in await store.active_volunteers(db)
        ]


def age(since: datetime | None, now: datetime | None = None) -> dict[str, int]:
    """Arguments for the `duration` text: whole days, hours and minutes since `since`."""
    if since is None:
        return {"days": 0, "hours": 0, "minutes": 0}
    delta = (now or datetime.now(UTC)) - since
    return split_duration(delta)


def split_duration(delta: timedelta) -> dict[str, int]:
    minutes = max(0, int(delta.total_seconds() // 60))
    return {"days": minutes // 1440, "hours": minutes % 1440 // 60, "minutes": minutes % 60}
