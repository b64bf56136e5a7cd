"""One person's questionnaire turn: lock, load the draft, apply events, save, unlock.

The lock is taken before the draft is read ("lock, then load"), so two messages sent at once
are applied one after the other, each to its own question. Transport I/O happens inside the turn
but outside the engine. Only a pseudonym of the Telegram id (or of a web session's id) is
ever used as a key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from casework import codewords
from casework.people import Person
from dialogs import events as ev
from dialogs.engine import Engine
from dialogs.session import Session
from storage.crypto import DecryptionError
from storage.drafts import DraftStore, Held

log = logging.getLogger(__name__)

PseudonymOf = Callable[[str, int | str], str]
"""A pseudonymizer: `storage.crypto.Pseudonymizer`, or the slow one of sealed mode."""

DEFERRED_KEY = "outbox"
"""The draft key of a deferred submission: stored drafts keep this name across upgrades."""


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
    deferred: dict[str, Any] | None = None
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

    async def answer(self, event: ev.Event) -> ev.Outcome:
        """`apply`, except that words typed at a codeword question are hashed first (on a
        worker thread): the engine, the draft and the case only ever see the hash."""
        session = self.session
        secret = session is not None and self.engine.expects_secret(session)
        if secret and isinstance(event, ev.Text) and event.text.strip():
            event = ev.Text(event.text, digest=await codewords.digest_off_loop(event.text))
        return self.apply(event)

    def discard(self) -> None:
        """Forget the draft when the turn ends (cancelled, declined, submitted)."""
        self.session = None
        self.last_prompt = None
        self.pending = []
        self._discard = True

    def defer(self, completed: ev.Completed, chat_id: int) -> None:
        """The database is away: keep the answers (encrypted, in the draft) to submit later."""
        pending = self.pending
        self.discard()
        self._discard = False
        self.deferred = {
            "answers": completed.answers,
            "priority": completed.priority,
            "category": completed.category,
            "language": completed.language,
            "chat_id": chat_id,
        }
        if pending:
            self.deferred["pending"] = pending
        if completed.sent is not None:  # the rest of a request sent with "Send now"
            self.deferred["sent"] = completed.sent

    def to_draft(self) -> dict[str, Any] | None:
        if self.session is None:
            if self.deferred is not None:
                return {DEFERRED_KEY: self.deferred}
            return {"pending": self.pending} if self.pending else None
        draft: dict[str, Any] = {
            "session": self.session.to_dict(),
            "last_prompt": self.last_prompt,
            "started": self.started,
        }
        if self.pending:
            draft["pending"] = self.pending
        return draft


class Turns:
    """Each person's draft, behind their lock: the only way handlers reach a questionnaire."""

    def __init__(
        self,
        engine: Engine,
        drafts: DraftStore,
        pseudonyms: PseudonymOf,
        *,
        forgotten: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.drafts = drafts
        self.pseudonyms = pseudonyms
        self.forgotten = forgotten
        """Called once a draft is deleted (sent, cancelled): sealed mode has the store's files
        rewritten soon, so a seized intake host does not keep sent answers it could open."""

    def owner(self, person: Person) -> str:
        return self.pseudonyms("person", person.user_id)

    def web_owner(self, session_id: str) -> str:
        """The draft owner of a web visitor: a keyed pseudonym of their session cookie, whose
        value is never stored."""
        return self.pseudonyms("web", session_id)

    @asynccontextmanager
    async def turn(self, person: Person) -> AsyncIterator[Turn]:
        async with self.turn_of(self.owner(person), person.client_language) as turn:
            yield turn

    @asynccontextmanager
    async def turn_of(self, owner: str, client_language: str | None) -> AsyncIterator[Turn]:
        """A turn on the draft of `owner`, a pseudonym (of a Telegram id, or of a web session)."""
        async with self.drafts.locked(owner) as held:
            stored = await self._open(owner, held)
            turn = Turn(
                engine=self.engine,
                owner=owner,
                session=None,
                client_language=client_language,
            )
            if stored is not None:
                turn.pending = [str(text) for text in stored.get("pending") or []]
            if stored is not None and DEFERRED_KEY in stored:
                turn.deferred = stored[DEFERRED_KEY]
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
            deleted = self._leave(turn, held)
        if deleted and self.forgotten is not None:
            self.forgotten()

    async def load(self, owner: str) -> dict[str, Any] | None:
        """The owner's stored draft (the caller holds their lock); an unreadable one is gone."""
        try:
            return await self.drafts.load(owner)
        except DecryptionError:
            await self._discard_unreadable(owner)
            return None

    async def _open(self, owner: str, held: Held) -> dict[str, Any] | None:
        """The draft read as the lock was taken; an unreadable one is gone (as in `load`)."""
        try:
            return held.read()
        except DecryptionError:
            await self._discard_unreadable(owner)
            return None

    async def _discard_unreadable(self, owner: str) -> None:
        # Written under a master key that has since been removed: unreadable for good.
        log.warning("an unreadable draft was discarded")
        await self.drafts.delete(owner)

    def lock(self, owner: str) -> AbstractAsyncContextManager[None]:
        """The owner's lock, for work on their draft outside a turn (a deferred submission)."""
        return self.drafts.lock(owner)

    @staticmethod
    def _change(turn: Turn, draft: dict[str, Any] | None) -> tuple[dict[str, Any] | None] | None:
        """What the store must be told of the turn's `draft`: (draft,) to save it, (None,) to
        delete it, None when it holds that already."""
        if draft is None and (turn._stored is not None or turn._discard):
            return (None,)
        if draft is not None and draft != turn._stored:
            return (draft,)
        return None

    def _leave(self, turn: Turn, held: Held) -> bool:
        """What `save` would write now, written as the lock is released; True if deleted."""
        change = self._change(turn, turn.to_draft())
        if change is not None:
            held.leave(change[0])
        return change == (None,)

    async def save(self, turn: Turn) -> None:
        """Write the turn's draft through now, if it changed since it was loaded or saved.

        Handlers call this before they show the next question, so a person never sees a
        question whose previous answer is not yet kept (a Redis hiccup right after the screen
        changed would otherwise lose that answer while the person believes it was taken).
        """
        draft = turn.to_draft()
        change = self._change(turn, draft)
        if change == (None,):
            await self.drafts.delete(turn.owner)
            turn._discard = False
            if self.forgotten is not None:
                self.forgotten()
        elif draft is not None and change is not None:
            await self.drafts.save(turn.owner, draft)
        turn._stored = draft
