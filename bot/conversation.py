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

from dialogs import events as ev
from dialogs.engine import Engine
from dialogs.session import Session
from storage import repositories as repo
from storage.compaction import Compactor
from storage.crypto import Cipher, DecryptionError, Pseudonymizer
from storage.erasure import ErasureReport, checkpoint, erase_person
from storage.models import Case
from storage.outbox import MemoryOutboxIndex, OutboxIndex
from storage.state import DraftStore

log = logging.getLogger(__name__)

DUPLICATE_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Person:
    """Who wrote, as Telegram told us; lives only in memory for the length of one update."""

    user_id: int
    chat_id: int
    client_language: str | None = None


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
    _discard: bool = field(default=False, repr=False)

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
        self._discard = True

    def keep_for_outbox(self, completed: ev.Completed, chat_id: int) -> None:
        """The database is away: keep the answers (encrypted, in the draft) to submit later."""
        self.discard()
        self._discard = False
        self.outbox = {
            "answers": completed.answers,
            "priority": completed.priority,
            "category": completed.category,
            "language": completed.language,
            "chat_id": chat_id,
        }

    def to_draft(self) -> dict[str, Any] | None:
        if self.session is None:
            return {"outbox": self.outbox} if self.outbox is not None else None
        return {
            "session": self.session.to_dict(),
            "last_prompt": self.last_prompt,
            "started": self.started,
        }


class Conversations:
    def __init__(
        self,
        engine: Engine,
        drafts: DraftStore,
        cipher: Cipher,
        pseudonyms: Pseudonymizer,
        sessions: Any,
        outbox: OutboxIndex | None = None,
    ) -> None:
        self.outbox = outbox or MemoryOutboxIndex()
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
            if stored is not None and "outbox" in stored:
                turn.outbox = stored["outbox"]
            elif stored is not None:
                try:
                    turn.session = Session.from_dict(stored["session"])
                    turn.last_prompt = stored.get("last_prompt")
                    turn.started = stored.get("started")
                except (KeyError, TypeError, ValueError):
                    turn.session = None  # a draft from an incompatible version: start afresh
            before = turn.to_draft()
            yield turn
            after = turn.to_draft()
            if after is None and (stored is not None or turn._discard):
                await self.drafts.delete(owner)
            elif after is not None and after != before:
                await self.drafts.save(owner, after)

    async def submit(self, person: Person, completed: ev.Completed) -> Case:
        """Store the finished questionnaire as an encrypted case (a new waiting case)."""
        return await self._submit(self.owner(person), person.chat_id, completed)

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
            case = await self._submit(owner, int(kept["chat_id"]), completed)
            await self.drafts.delete(owner)
            await self.outbox.remove(owner)
            return case, int(kept["chat_id"])

    async def _submit(self, owner: str, chat_id: int, completed: ev.Completed) -> Case:
        async with self.sessions() as db, db.begin():
            stored_person = await repo.upsert_person(
                db,
                self.cipher,
                pseudonym=owner,
                chat_id=chat_id,
                language=completed.language,
            )
            already = await self._same_submission(db, stored_person.id, completed)
            if already is not None:
                return already
            return await repo.create_case(
                db,
                self.cipher,
                person=stored_person,
                answers=completed.answers,
                priority=completed.priority,
                category=completed.category,
                language=completed.language,
            )

    async def _same_submission(
        self, db: Any, person_id: str, completed: ev.Completed
    ) -> Case | None:
        """The same answers sent again within minutes are the same request, not a new one.

        This is what makes a re-delivered "Send" (a bot that died after storing the case but
        before Telegram heard back) harmless.
        """
        since = datetime.now(UTC) - DUPLICATE_WINDOW
        for case in await repo.cases_of_person(db, person_id):
            recent = case.status == "waiting" and case.created_at >= since
            if recent and repo.case_answers(self.cipher, case) == completed.answers:
                return case
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
