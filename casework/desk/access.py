"""Who is a volunteer, and what they may do with a case.

Everyone who is not an active volunteer is `NotAVolunteer`, and the transport answers them
exactly as it answers an unknown command: the desk must not reveal that it exists. Each desk
operation runs in one `Work`: its transaction, the volunteer, and the messages to send after it
commits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from casework.outgoing import Message
from casework.people import Person
from dialogs.routing import Routing
from locales.translator import Translator
from storage import cases as case_store
from storage import copies as copies_store
from storage import persons as person_store
from storage import volunteers as volunteer_store
from storage.crypto import Cipher, Pseudonymizer
from storage.models import Case, Volunteer
from storage.models import Person as PersonRow

ADMIN = "admin"


class NotAVolunteer(Exception):
    """The sender is not an active volunteer."""


class Refused(Exception):
    """Ends a desk operation with one line to the volunteer; the transaction rolls back."""

    def __init__(self, text: str) -> None:
        super().__init__("refused")
        self.text = text


Policy = Callable[["Work", Case], bool]
"""Whether the volunteer of a `Work` may act on a case."""


def holder(work: Work, case: Case) -> bool:
    """The volunteer holds the case now (taken, by them)."""
    return case.volunteer_id == work.me.id and case.status == "taken"


def holder_or_admin(work: Work, case: Case) -> bool:
    return holder(work, case) or work.is_admin


def last_holder_or_admin(work: Work, case: Case) -> bool:
    """The volunteer holds or last held the case, whatever its status (closed, say), or is an
    admin: for reading a case and for blocking its person."""
    return case.volunteer_id == work.me.id or work.is_admin


@dataclass
class Work:
    """One desk operation in progress on behalf of an active volunteer."""

    desk: Desk
    db: AsyncSession
    me: Volunteer
    chat_id: int
    """The volunteer's chat this command came from: where its answers go."""
    command_message_id: int | None = None
    """The volunteer's own message, which may carry conversation text (see `keep_command`)."""
    sends: list[Message] = field(default_factory=list)

    @property
    def is_admin(self) -> bool:
        return self.me.role == ADMIN

    @property
    def cipher(self) -> Cipher:
        return self.desk.cipher

    @property
    def t(self) -> Translator:
        return self.desk.translator

    def text(self, key: str, /, **args: Any) -> str:
        """A desk text in the volunteer's language."""
        return self.t.text(self.me.language, key, **args)

    def refuse(self, key: str, /, **args: Any) -> Refused:
        return Refused(self.text(key, **args))

    def tell_me(self, text: str) -> None:
        self.sends.append(Message(self.chat_id, text))

    def require_admin(self) -> None:
        if not self.is_admin:
            raise self.refuse("desk-admins-only")

    async def case(self, reference: str, policy: Policy) -> Case:
        """The case with this reference, if `policy` lets this volunteer act on it."""
        case = await case_store.get_case_by_reference(self.db, reference)
        if case is None:
            raise self.refuse("desk-not-found", reference=reference.upper())
        if not policy(self, case):
            raise self.refuse("desk-not-yours", reference=case.reference)
        return case

    async def person_chat(self, case: Case) -> int:
        person = await self.db.get_one(PersonRow, case.person_id)
        return person_store.person_chat_id(self.cipher, person)

    def my_chat(self) -> int:
        """The volunteer's stored chat (where the bot writes to them unprompted)."""
        return self.desk.chat_of(self.me)

    async def keep_command(self, case: Case) -> None:
        """The volunteer's own message carries conversation text (/reply, /note, /close reason,
        a Telegram reply to a relayed message): it goes with the case's other copies."""
        if self.command_message_id is not None:
            await copies_store.record(
                self.db,
                case_id=case.id,
                reference=case.reference,
                volunteer_id=self.me.id,
                message_ids=[self.command_message_id],
            )


class Desk:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        pseudonyms: Pseudonymizer,
        translator: Translator,
        *,
        admin_ids: Iterable[int],
        suggest_language: Callable[[str | None], str],
        default_language: str,
        invite_ttl_hours: int = 72,
        desk_chat_id: int | None = None,
        team_chat_ids: Mapping[str, int] | None = None,
        desk_language: str = "",
        codeword_silence_days: int = 14,
        routing: Routing,
        volunteers_here: bool = True,
        sealed: bool = False,
    ) -> None:
        self.sessions = sessions
        self.cipher = cipher
        self.pseudonyms = pseudonyms
        self.translator = translator
        self._admin_pseudonyms = (
            {pseudonyms("volunteer", admin_id) for admin_id in admin_ids}
            if volunteers_here
            else set()
        )
        self.suggest_language = suggest_language
        self.default_language = default_language
        self.invite_ttl_hours = invite_ttl_hours
        self.desk_chat_id = desk_chat_id
        self.team_chat_ids = dict(team_chat_ids or {})
        self.desk_language = desk_language  # "" means the questionnaire's default language
        self.codeword_silence_days = codeword_silence_days  # 0: never asked for after a silence
        self.routing = routing
        self.volunteers_here = volunteers_here
        """False on the intake bot in sealed mode: nobody is a volunteer there."""
        self.sealed = sealed
        """The desk bot in sealed mode: messages to people go through the intake bot."""

    def volunteer_pseudonym(self, person: Person) -> str:
        return self.pseudonyms("volunteer", person.user_id)

    async def member(self, db: AsyncSession, person: Person) -> Volunteer | None:
        """The active volunteer behind this account.

        A configured admin (INTAKE_ADMIN_IDS) joins on sight, but only an account never seen
        before: one an admin revoked stays revoked, listed or not, until invited again.
        """
        if not self.volunteers_here:
            return None
        pseudonym = self.volunteer_pseudonym(person)
        volunteer = await volunteer_store.find_volunteer(db, pseudonym)
        if volunteer is None and pseudonym in self._admin_pseudonyms:
            volunteer = await volunteer_store.ensure_admin(
                db,
                self.cipher,
                pseudonym=pseudonym,
                chat_id=person.chat_id,
                language=self.suggest_language(person.client_language),
            )
        if volunteer is None or volunteer.revoked_at is not None:
            return None
        return volunteer

    def chat_of(self, volunteer: Volunteer) -> int:
        """A volunteer's stored chat (where the bot writes to them unprompted)."""
        return volunteer_store.volunteer_chat_id(self.cipher, volunteer)

    @property
    def reply_sent_key(self) -> str:
        """What a volunteer is told of a reply on its way: sent, or (sealed mode) handed to
        the intake bot, which sends it as soon as it can."""
        return "desk-reply-queued" if self.sealed else "desk-reply-sent"

    async def language_of(self, person: Person) -> str | None:
        """The desk language of this sender if they are an active volunteer, else None."""
        if not self.volunteers_here:
            return None
        async with self.sessions() as db, db.begin():
            me = await self.member(db, person)
            return me.language if me is not None else None

    @asynccontextmanager
    async def work(
        self, person: Person, *, command_message_id: int | None = None
    ) -> AsyncIterator[Work]:
        """A transaction on behalf of an active volunteer, or NotAVolunteer before anything."""
        async with self.sessions() as db, db.begin():
            me = await self.member(db, person)
            if me is None:
                raise NotAVolunteer
            await volunteer_store.touch(db, me)
            yield Work(self, db, me, person.chat_id, command_message_id)

    async def recipients(
        self, db: AsyncSession, team: str | None = None, *, duty_first: bool = False
    ) -> list[tuple[int, str]]:
        """Where desk notices about a case of `team` go, with their language: the team's group
        chat if it has one (INTAKE_TEAM_CHAT_IDS), else the desk group if one is set, else the
        team's active members (with those in no team, who work every
        queue), else, when the team has nobody (or the case no team), every active volunteer.
        `duty_first` (urgent cases): of the team's members, only those on duty (/duty on), if
        any is."""
        language = self.desk_language or self.default_language
        if team is not None and team in self.team_chat_ids:
            return [(self.team_chat_ids[team], language)]
        if self.desk_chat_id is not None:
            return [(self.desk_chat_id, language)]
        everyone = await volunteer_store.active_volunteers(db)
        if team is not None:
            known = set(self.routing.teams)
            teams = await volunteer_store.memberships(db)
            members = [v for v in everyone if team in teams[v.id] or not teams[v.id] & known]
            on_duty = [v for v in members if v.on_duty] if duty_first else []
            everyone = list(on_duty or members or everyone)
        return [(volunteer_store.volunteer_chat_id(self.cipher, v), v.language) for v in everyone]
