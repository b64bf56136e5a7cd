"""Sending a finished questionnaire: the checks before it, the case it becomes, and the
deferred path that keeps it while the database is away.

A submission that the database cannot take is deferred: its answers wait, encrypted, in the
person's draft, and the deferred index (`storage.deferred`) names whose drafts to submit again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from casework import codewords
from casework.notices import Notices, admin_alerts
from casework.outgoing import Message
from casework.people import Person
from casework.signalling import SignalNotices
from casework.turns import DEFERRED_KEY, Turn, Turns
from dialogs import events as ev
from dialogs.routing import Route, Routing
from locales.translator import Translator
from storage import audit as audit_store
from storage import cases as case_store
from storage import codewords as codeword_store
from storage import entries as entry_store
from storage import passphrases as passphrase_store
from storage import persons as person_store
from storage import signals as signal_store
from storage import volunteers as volunteer_store
from storage.crypto import Cipher
from storage.deferred import DeferredIndex, MemoryDeferredIndex
from storage.limits import EventCounter
from storage.models import Case, Volunteer
from storage.person_keys import PassphraseKey
from storage.unavailable import StateUnavailable

DUPLICATE_WINDOW = timedelta(minutes=10)
NEW_CASES_WINDOW = timedelta(days=1)
CAP_WINDOW = timedelta(hours=1)

log = logging.getLogger(__name__)

STORAGE_AWAY = (SQLAlchemyError, OSError)
"""What a database that is away raises: the submission is deferred, a check is skipped."""


@dataclass(frozen=True)
class OwnLimit:
    """Why this person may not open another request now (see `Submission.own_limit`).

    kind "open": `count` requests are open, the most allowed at once; "daily": `count` new
    requests in the last 24 hours. `reference` is their newest open request, where anything
    they write goes once no questionnaire is in progress (None if none is open).
    """

    kind: str
    count: int
    reference: str | None


class Submission:
    def __init__(
        self,
        turns: Turns,
        sessions: async_sessionmaker[AsyncSession],
        lookups: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        translator: Translator,
        counter: EventCounter,
        notices: Notices | SignalNotices,
        deferred: DeferredIndex | None = None,
        *,
        routing: Routing,
    ) -> None:
        self.routing = routing  # each case's team and tags, from its answers
        self.notices = notices
        self.turns = turns
        self.sessions = sessions
        self.lookups = lookups
        self.cipher = cipher
        self.translator = translator
        self.counter = counter
        self.deferred = deferred or MemoryDeferredIndex()

    async def submit(
        self, person: Person, completed: ev.Completed, pending: list[str] | None = None
    ) -> Case:
        """Store the finished questionnaire as an encrypted case (a new waiting case), with
        the messages `pending` (written after an earlier request closed) as its first ones."""
        owner = self.turns.owner(person)
        return await self._submit(owner, person.chat_id, completed, pending or [])

    async def submit_as(
        self,
        owner: str,
        chat_id: int,
        completed: ev.Completed,
        pending: list[str] | None = None,
        *,
        passphrase: tuple[str, str] | None = None,
        person_key: PassphraseKey | None = None,
    ) -> Case:
        """`submit` for a door with no Telegram person (the web form): `owner` is the draft's
        pseudonym, `chat_id` what is stored (encrypted) as where to write back. `passphrase`:
        the hash and lookup value a new web case is kept with (`web.passphrases`); a case
        that already existed (the rest after "Send now", a repeated Send) keeps its own.
        `person_key` (sealed mode): the key from that passphrase that the new case's own key
        pair is wrapped under (`storage.person_keys`)."""
        return await self._submit(owner, chat_id, completed, pending or [], passphrase, person_key)

    async def submit_or_defer(
        self, turn: Turn, person: Person, completed: ev.Completed
    ) -> Case | None:
        """The new case; or None when the database is away and the answers were deferred
        (kept in the turn's draft, to be submitted as soon as it is back).

        Sent early ("Send now", `completed.partial`): the questionnaire stays in the draft,
        remembering its case, so the rest can still be answered and added to that case."""
        try:
            case = await self.submit(person, completed, [] if completed.partial else turn.pending)
        except STORAGE_AWAY:
            turn.defer(completed, person.chat_id)
            await self.deferred.add(turn.owner)
            return None
        if completed.partial and turn.session is not None:
            turn.session.case = case.reference
        return case

    async def submit_deferred(self, owner: str) -> list[Message] | None:
        """Submit a deferred questionnaire now: what to tell the person and the desk, or None
        if this owner has none (any more)."""
        submitted = await self._submit_deferred(owner)
        if submitted is None:
            return None
        case, chat_id, added = submitted
        text = self.translator.text(case.language, "outbox-sent", reference=case.reference)
        if added:  # the rest of the answers to a case sent with "Send now"
            return [Message(chat_id, text), *await self.answered_more(case.id)]
        return [Message(chat_id, text), *await self.notices.announce_new_case(case.id)]

    async def answered_more(self, case_id: str) -> list[Message]:
        """The holder of a case sent early hears that its person answered more (no content)."""
        if isinstance(self.notices, SignalNotices):
            return await self.notices.signal(signal_store.ANSWERED_MORE, case_id=case_id)
        async with self.sessions() as db:
            case = await db.get(Case, case_id)
            if case is None or case.volunteer_id is None:
                return []
            holder = await db.get(Volunteer, case.volunteer_id)
            if holder is None or holder.revoked_at is not None:
                return []
            chat_id = volunteer_store.volunteer_chat_id(self.cipher, holder)
            text = self.translator.text(
                holder.language, "desk-answered-more", reference=case.reference
            )
        return [Message(chat_id, text)]

    async def _submit_deferred(self, owner: str) -> tuple[Case, int, bool] | None:
        """The case a deferred questionnaire became, the chat to tell, and whether these were
        the rest of the answers to a case sent with "Send now"."""
        async with self.turns.lock(owner):
            stored = await self.turns.drafts.load(owner)
            kept = stored.get(DEFERRED_KEY) if stored else None
            if kept is None:
                await self.deferred.remove(owner)
                return None
            completed = ev.Completed(
                answers=kept["answers"],
                priority=int(kept["priority"]),
                category=str(kept["category"]),
                language=str(kept["language"]),
                sent=str(kept["sent"]) if kept.get("sent") else None,
            )
            pending = [str(text) for text in kept.get("pending") or []]
            case = await self._submit(owner, int(kept["chat_id"]), completed, pending)
            await self.turns.drafts.delete(owner)
            if self.turns.forgotten is not None:
                self.turns.forgotten()
            await self.deferred.remove(owner)
            return case, int(kept["chat_id"]), case.reference == completed.sent

    async def _submit(
        self,
        owner: str,
        chat_id: int,
        completed: ev.Completed,
        pending: list[str],
        passphrase: tuple[str, str] | None = None,
        person_key: PassphraseKey | None = None,
    ) -> Case:
        async with self.sessions() as db, db.begin():
            stored_person = await person_store.upsert_person(
                db,
                self.cipher,
                pseudonym=owner,
                chat_id=chat_id,
                language=completed.language,
            )
            if completed.sent is not None:
                sent = await self._complete_sent(db, stored_person.id, completed)
                if sent is not None:
                    return sent
            already = await self._same_submission(db, stored_person.id, completed)
            if already is not None:
                return already
            answers, codeword = codewords.split(completed.answers)
            route = self.routing.route(answers)
            case = await case_store.create_case(
                db,
                self.cipher,
                person=stored_person,
                answers=answers,
                priority=completed.priority,
                category=completed.category,
                language=completed.language,
                team=route.team,
                tags=route.tags,
                codeword=codeword,
            )
            if passphrase is not None:
                await passphrase_store.make_web_case(db, case, *passphrase, person_key)
            for text in pending:
                await entry_store.add_entry(
                    db, self.cipher, case, kind="person", body=text, author=None
                )
            return case

    async def _complete_sent(
        self, db: AsyncSession, person_id: str, completed: ev.Completed
    ) -> Case | None:
        """Add the rest of the answers to the case "Send now" opened: its answers are replaced
        by the fuller set, its priority stays. None if that case is not there (erased): then
        the answers become a new case."""
        case = await case_store.get_case_by_reference(db, completed.sent or "")
        if case is None or case.person_id != person_id:
            return None
        answers, codeword = codewords.split(completed.answers)
        case = await case_store.replace_answers(db, self.cipher, case, answers, codeword)
        if case.status == "waiting":  # nobody took it yet: the fuller answers may route it better
            team, tags = await _route_by_hand(db, case, self.routing.route(answers))
            case = await case_store.set_route(db, case, team, tags)
        await audit_store.record(db, "answers_completed", actor=None, case=case)
        return case

    async def _same_submission(
        self, db: Any, person_id: str, completed: ev.Completed
    ) -> Case | None:
        """The same answers sent again within minutes are the same request, not a new one.

        This is what makes a re-delivered "Send" (a bot that died after storing the case but
        before Telegram heard back) harmless.
        """
        if not self.cipher.can_open:
            # Sealed mode: this side cannot read a case to compare it. A re-delivered update
            # is still caught by its update id (`bot.dedupe`); only a second "Send" of the
            # same answers from a lost reply becomes a second case.
            return None
        since = datetime.now(UTC) - DUPLICATE_WINDOW
        answers, codeword = codewords.split(completed.answers)
        for case in await case_store.cases_of_person(db, person_id):
            recent = case.status == "waiting" and case.created_at >= since
            if (
                recent
                and case_store.case_answers(self.cipher, case) == answers
                and (codeword_store.codeword_digest(self.cipher, case) or "") == codeword
            ):
                return case
        return None

    async def own_limit(
        self,
        person: Person,
        completed: ev.Completed,
        *,
        open_cases: int,
        new_per_day: int,
    ) -> OwnLimit | None:
        """Whether submitting `completed` would take this person past their own limits.

        The same answers sent again (a re-delivered "Send") are the request already stored,
        not a new one, so they pass. Read-only: the caller's draft is left as it is. With the
        database away nobody is held back here: the submission itself is then deferred.
        """
        return await self.own_limit_of(
            self.turns.owner(person), completed, open_cases=open_cases, new_per_day=new_per_day
        )

    async def own_limit_of(
        self, owner: str, completed: ev.Completed, *, open_cases: int, new_per_day: int
    ) -> OwnLimit | None:
        """`own_limit` of the person whose draft pseudonym is `owner` (a web visitor)."""
        try:
            return await self._own_limit(owner, completed, open_cases, new_per_day)
        except STORAGE_AWAY:
            return None

    async def _own_limit(
        self, owner: str, completed: ev.Completed, open_cases: int, new_per_day: int
    ) -> OwnLimit | None:
        async with self.sessions() as db:
            row = await person_store.find_person(db, owner)
            if row is None:
                return None
            if await self._same_submission(db, row.id, completed) is not None:
                return None
            open_ = await case_store.open_cases_of_person(db, row.id)
            newest = open_[0].reference if open_ else None
            if len(open_) >= open_cases:
                return OwnLimit("open", len(open_), newest)
            since = datetime.now(UTC) - NEW_CASES_WINDOW
            recent = await case_store.cases_of_person_since(db, row.id, since)
            if recent >= new_per_day:
                return OwnLimit("daily", recent, newest)
        return None

    async def over_hourly_cap(self, owner: str, cap: int) -> list[Message] | None:
        """Whether a new sender must wait: `cap` people opened a case in the last hour.

        Each person counts once, however often they press Send and however many cases they open;
        someone already counted this hour is not held back by the cap (their own limits apply,
        `own_limit`). Counted from the stored cases, so every bot process agrees and a Redis
        hiccup cannot open the gate. With the database away nobody is held back here: the
        submission itself is then deferred.

        None when the sender may go on; else the admins' alerts to send (once an hour, when
        the cap closes; none otherwise).
        """
        since = datetime.now(UTC) - CAP_WINDOW
        try:
            async with self.lookups() as db:
                if await case_store.senders_since(db, since) < cap:
                    return None
                row = await person_store.find_person(db, owner)
                if (
                    row is not None
                    and await case_store.cases_of_person_since(db, row.id, since) > 0
                ):
                    return None
            try:
                first = await self.counter.once("cap-alert", 3600)
            except StateUnavailable as error:
                log.warning("hourly cap alert unavailable: %s", type(error).__name__)
                first = False
            if not first:
                return []
            notices = self.notices
            if isinstance(notices, SignalNotices):  # sealed mode: the desk tells its admins
                return await notices.signal(signal_store.CAP_REACHED, detail=str(cap))
            return await admin_alerts(
                notices.sessions, self.cipher, self.translator, "desk-cap-reached", cap=cap
            )
        except STORAGE_AWAY:
            return None


async def _route_by_hand(db: AsyncSession, case: Case, route: Route) -> tuple[str, list[str]]:
    """The route of fuller answers, but what the desk set by hand stays: the team a case was
    moved to (/transfer), the tags a volunteer removed (/tag -x), the ones they added."""
    trail = await audit_store.trail(db, case.reference)
    transferred = any(e.action == "transfer" for e in trail)
    team = case.team if transferred and case.team is not None else route.team
    changes = [w for e in trail if e.action == "tag" for w in (e.detail or "").split()]
    if not changes:
        return team, list(route.tags)
    removed = _last_removed(changes)
    now = case_store.case_tags(case)
    return team, now + [t for t in route.tags if t not in now and t not in removed]


def _last_removed(changes: list[str]) -> set[str]:
    """Tags whose last change by hand removed them."""
    last: dict[str, str] = {}
    for word in changes:
        last[word[1:]] = word[:1]
    return {tag for tag, sign in last.items() if sign == "-"}
