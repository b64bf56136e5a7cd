"""One person's turn: lock, load the draft, apply events, save, unlock.

The lock is taken before the draft is read ("lock, then load"), so two messages sent at once
are applied one after the other, each to its own question. Telegram I/O happens inside the turn
but outside the engine. Only a pseudonym of the Telegram id is ever used as a key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from casework.people import Person
from dialogs import events as ev
from dialogs.engine import Engine
from dialogs.session import Session
from storage import cases, entries, persons
from storage.compaction import Compactor
from storage.crypto import Cipher, DecryptionError, Pseudonymizer
from storage.deferred import DeferredIndex, MemoryDeferredIndex
from storage.drafts import DraftStore
from storage.erasure import ErasureReport, checkpoint, erase_person
from storage.models import Case

log = logging.getLogger(__name__)

DUPLICATE_WINDOW = timedelta(minutes=10)
NEW_CASES_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class OwnLimit:
    """Why this person may not open another request now (see `Conversations.own_limit`).

    kind "open": `count` requests are open, the most allowed at once; "daily": `count` new
    requests in the last 24 hours. `reference` is their newest open request, where anything
    they write goes once no questionnaire is in progress (None if none is open).
    """

    kind: str
    count: int
    reference: str | None


@dataclass
class Turn:
    """A loaded draft (or none) and what the handler did with it, saved when the turn ends."""

    engine: Engine
    owner: str
    session: Session | None
    last_prompt: int | None = None
    started: float | None = None
    """When this questionnaire began (epoch seconds): its messages are cleaned after submission."""
    client_language: str | None = None
    outbox: dict[str, Any] | None = None
    """A finished questionnaire the database could not take yet; retried until it does."""
    pending: list[str] = field(default_factory=list)
    """What the person wrote after their request was closed, kept (encrypted, in the draft)
    until they reopen that request or send a new one, which it is then added to."""
    _discard: bool = field(default=False, repr=False)
    _stored: dict[str, Any] | None = field(default=None, repr=False)
    """What the draft store holds for this owner now (as last loaded or saved)."""

    @property
    def language(self) -> str:
        if self.session is not None:
            return self.session.language
        return self.engine.suggest_language(self.client_language)

    def start(self) -> ev.Prompt:
        self.session, prompt = self.engine.start(self.client_language)
        self.started = time.time()
        self._discard = False
        return prompt

    def apply(self, event: ev.Event) -> ev.Outcome:
        if self.session is None:
            raise RuntimeError("no questionnaire in progress")
        outcome = self.engine.handle(self.session, event)
        if isinstance(outcome, ev.Finished):
            self.discard()
        return outcome

    def discard(self) -> None:
        """Forget the draft when the turn ends (cancelled, declined, submitted)."""
        self.session = None
        self.last_prompt = None
        self.pending = []
        self._discard = True

    def keep_for_outbox(self, completed: ev.Completed, chat_id: int) -> None:
        """The database is away: keep the answers (encrypted, in the draft) to submit later."""
        pending = self.pending
        self.discard()
        self._discard = False
        self.outbox = {
            "answers": completed.answers,
            "priority": completed.priority,
            "category": completed.category,
            "language": completed.language,
            "chat_id": chat_id,
        }
        if pending:
            self.outbox["pending"] = pending

    def to_draft(self) -> dict[str, Any] | None:
        if self.session is None:
            if self.outbox is not None:
                return {"outbox": self.outbox}
            return {"pending": self.pending} if self.pending else None
        draft: dict[str, Any] = {
            "session": self.session.to_dict(),
            "last_prompt": self.last_prompt,
            "started": self.started,
        }
        if self.pending:
            draft["pending"] = self.pending
        return draft


class Conversations:
    def __init__(
        self,
        engine: Engine,
        drafts: DraftStore,
        cipher: Cipher,
        pseudonyms: Pseudonymizer,
        sessions: Any,
        outbox: DeferredIndex | None = None,
    ) -> None:
        self.outbox = outbox or MemoryDeferredIndex()
        self.engine = engine
        self.drafts = drafts
        self.cipher = cipher
        self.pseudonyms = pseudonyms
        self.sessions = sessions

    def owner(self, person: Person) -> str:
        return self.pseudonyms("person", person.user_id)

    @asynccontextmanager
    async def turn(self, person: Person) -> AsyncIterator[Turn]:
        owner = self.owner(person)
        async with self.drafts.lock(owner):
            try:
                stored = await self.drafts.load(owner)
            except DecryptionError:
                # Written under a master key that has since been removed: unreadable for good.
                log.warning("an unreadable draft was discarded")
                await self.drafts.delete(owner)
                stored = None
            turn = Turn(
                engine=self.engine,
                owner=owner,
                session=None,
                client_language=person.client_language,
            )
            if stored is not None:
                turn.pending = [str(text) for text in stored.get("pending") or []]
            if stored is not None and "outbox" in stored:
                turn.outbox = stored["outbox"]
            elif stored is not None and "session" in stored:
                try:
                    turn.session = Session.from_dict(stored["session"])
                    turn.last_prompt = stored.get("last_prompt")
                    turn.started = stored.get("started")
                except (KeyError, TypeError, ValueError):
                    turn.session = None  # a draft from an incompatible version: start afresh
            turn._stored = turn.to_draft() if stored is not None else None
            if stored is not None and turn._stored is None:
                turn._discard = True  # an unusable draft is deleted when the turn ends
            yield turn
            await self.save(turn)

    async def save(self, turn: Turn) -> None:
        """Write the turn's draft through now, if it changed since it was loaded or saved.

        Handlers call this before they show the next question, so a person never sees a
        question whose previous answer is not yet kept (a Redis hiccup right after the screen
        changed would otherwise lose that answer while the person believes it was taken).
        """
        draft = turn.to_draft()
        if draft is None and (turn._stored is not None or turn._discard):
            await self.drafts.delete(turn.owner)
            turn._discard = False
        elif draft is not None and draft != turn._stored:
            await self.drafts.save(turn.owner, draft)
        turn._stored = draft

    async def submit(
        self, person: Person, completed: ev.Completed, pending: list[str] | None = None
    ) -> Case:
        """Store the finished questionnaire as an encrypted case (a new waiting case), with
        the messages `pending` (written after an earlier request closed) as its first ones."""
        return await self._submit(self.owner(person), person.chat_id, completed, pending or [])

    async def flush_outbox(self, owner: str) -> tuple[Case, int] | None:
        """Submit a kept questionnaire now; the case and the chat to tell, or None if none."""
        async with self.drafts.lock(owner):
            stored = await self.drafts.load(owner)
            kept = stored.get("outbox") if stored else None
            if kept is None:
                await self.outbox.remove(owner)
                return None
            completed = ev.Completed(
                answers=kept["answers"],
                priority=int(kept["priority"]),
                category=str(kept["category"]),
                language=str(kept["language"]),
            )
            pending = [str(text) for text in kept.get("pending") or []]
            case = await self._submit(owner, int(kept["chat_id"]), completed, pending)
            await self.drafts.delete(owner)
            await self.outbox.remove(owner)
            return case, int(kept["chat_id"])

    async def _submit(
        self, owner: str, chat_id: int, completed: ev.Completed, pending: list[str]
    ) -> Case:
        async with self.sessions() as db, db.begin():
            stored_person = await persons.upsert_person(
                db,
                self.cipher,
                pseudonym=owner,
                chat_id=chat_id,
                language=completed.language,
            )
            already = await self._same_submission(db, stored_person.id, completed)
            if already is not None:
                return already
            case = await cases.create_case(
                db,
                self.cipher,
                person=stored_person,
                answers=completed.answers,
                priority=completed.priority,
                category=completed.category,
                language=completed.language,
            )
            for text in pending:
                await entries.add_entry(
                    db, self.cipher, case, kind="person", body=text, author=None
                )
            return case

    async def _same_submission(
        self, db: Any, person_id: str, completed: ev.Completed
    ) -> Case | None:
        """The same answers sent again within minutes are the same request, not a new one.

        This is what makes a re-delivered "Send" (a bot that died after storing the case but
        before Telegram heard back) harmless.
        """
        since = datetime.now(UTC) - DUPLICATE_WINDOW
        for case in await cases.cases_of_person(db, person_id):
            recent = case.status == "waiting" and case.created_at >= since
            if recent and cases.case_answers(self.cipher, case) == completed.answers:
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
        not a new one, so they pass. Read-only: the caller's draft is left as it is.
        """
        async with self.sessions() as db:
            row = await persons.find_person(db, self.owner(person))
            if row is None:
                return None
            if await self._same_submission(db, row.id, completed) is not None:
                return None
            open_ = await cases.open_cases_of_person(db, row.id)
            newest = open_[0].reference if open_ else None
            if len(open_) >= open_cases:
                return OwnLimit("open", len(open_), newest)
            since = datetime.now(UTC) - NEW_CASES_WINDOW
            recent = await cases.cases_of_person_since(db, row.id, since)
            if recent >= new_per_day:
                return OwnLimit("daily", recent, newest)
        return None

    compactor: Compactor | None = None
    """Set by `Services`: rewrites the storage's files after an erasure (batched)."""

    async def forget(self, person: Person) -> ErasureReport:
        """Erase the draft and crypto-shred every case of this person.

        Then the files behind the storage forget too: SQLite's write-ahead log is checkpointed
        at once (retried by the compactor while readers keep it busy), PostgreSQL's tables
        and Redis's files are rewritten by the compactor, at most once per its interval.
        """
        owner = self.owner(person)
        async with self.drafts.lock(owner):
            await self.drafts.delete(owner)
            await self.outbox.remove(owner)  # the outbox index names owners
            async with self.sessions() as db, db.begin():
                report = await erase_person(db, owner)
            bind = self.sessions.kw.get("bind")
            if bind is not None and not await checkpoint(bind):
                log.warning("the database log is busy after an erasure; checkpoint retried later")
            if self.compactor is not None:
                self.compactor.request()
            return report
