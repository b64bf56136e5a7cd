"""Erasure on request (`/forget`) and the clean-up after a submission.

What is to be deleted where is decided here: the data goes first (crypto-shredded), then the
transport deletes the messages these functions name (`bot/cleanup.py`), in both the person's
chat and the chats of the volunteers who were shown the person's cases.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from casework.outgoing import Message
from casework.people import Person
from casework.turns import Turns
from locales.translator import Translator
from storage import signals as signal_store
from storage.compaction import Compactor
from storage.crypto import Cipher
from storage.deferred import DeferredIndex
from storage.editlog import EditLog
from storage.erasure import ErasedCase, ErasureReport, checkpoint, erase_person
from storage.limits import FloodLimiter
from storage.messagelog import MessageLog
from storage.unavailable import StateUnavailable
from storage.volunteers import volunteer_chat_id

log = logging.getLogger(__name__)

START_MARGIN = 2.0  # seconds


@dataclass(frozen=True)
class HolderNotice:
    """For one erased case: the relayed copies to delete, by volunteer chat, and the message
    that tells its holder (None if nobody held it)."""

    deletions: dict[int, list[int]]
    message: Message | None


class Erasure:
    def __init__(
        self,
        turns: Turns,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        translator: Translator,
        deferred: DeferredIndex,
        messages: MessageLog,
        flood: FloodLimiter,
        edit_log: EditLog,
        *,
        clean_after_submit: bool,
        compactor: Compactor | None = None,
    ) -> None:
        self.turns = turns
        self.sessions = sessions
        self.cipher = cipher
        self.translator = translator
        self.deferred = deferred
        self.messages = messages
        self.flood = flood
        self.edit_log = edit_log
        self.clean_after_submit = clean_after_submit
        self.compactor = compactor
        """Rewrites the storage's files after an erasure (batched)."""
        self.sealed = not cipher.can_open
        """Sealed mode: this side cannot reach a volunteer's chat: it signals the desk."""

    async def forget(self, person: Person) -> ErasureReport:
        """Erase the draft and crypto-shred every case of this person.

        Then the files behind the storage forget too: SQLite's write-ahead log is checkpointed
        at once (retried by the compactor while readers keep it busy), PostgreSQL's tables
        and Redis's files are rewritten by the compactor, at most once per its interval.
        """
        return await self.forget_owner(self.turns.owner(person))

    async def forget_owner(self, owner: str) -> ErasureReport:
        """`forget` of the person whose pseudonym is `owner` (a web person, by their case)."""
        async with self.turns.lock(owner):
            await self.turns.drafts.delete(owner)
            await self.deferred.remove(owner)  # the deferred index names owners
            async with self.sessions() as db, db.begin():
                report = await erase_person(db, owner)
                if self.sealed:  # the desk tells the holders and deletes the copies
                    for erased in report.affected:
                        holder = erased.holder.id if erased.holder is not None else None
                        await signal_store.add(
                            db, signal_store.ERASED, reference=erased.reference,
                            volunteer_id=holder,
                        )  # fmt: skip
            bind = self.sessions.kw.get("bind")
            if bind is not None and not await checkpoint(bind):
                log.warning("the database log is busy after an erasure; checkpoint retried later")
            if self.compactor is not None:
                self.compactor.request()
            return report

    def tell_holders(
        self, report: ErasureReport, done: set[tuple[str, int | None]]
    ) -> list[HolderNotice]:
        """Each holder learns their case is gone; relayed copies leave volunteers' chats.

        Copies recorded in `storage.copies` went already (`done`: volunteer id and message id);
        relay links cover the rest (relayed before copies were recorded). Nothing in sealed
        mode: there the desk does it, signalled by `forget`.
        """
        if self.sealed:
            return []
        return [self._tell_holder(erased, done) for erased in report.affected]

    def _tell_holder(self, erased: ErasedCase, done: set[tuple[str, int | None]]) -> HolderNotice:
        by_chat: dict[int, list[int]] = {}
        for copy in erased.relayed:
            if (copy.volunteer.id, copy.message_id) in done:
                continue
            chat_id = volunteer_chat_id(self.cipher, copy.volunteer)
            by_chat.setdefault(chat_id, []).append(copy.message_id)
        message = None
        if erased.holder is not None:
            text = self.translator.text(
                erased.holder.language, "desk-person-erased", reference=erased.reference
            )
            message = Message(volunteer_chat_id(self.cipher, erased.holder), text)
        return HolderNotice(by_chat, message)

    async def message_ids(self, owner: str) -> list[int] | None:
        """Every message id remembered in this person's chat (48 hours); None if unreadable."""
        try:
            return await self.messages.recent(owner)
        except StateUnavailable as error:
            log.warning("message ids unavailable for deletion: %s", type(error).__name__)
            return None

    async def forget_short_lived(self, owner: str) -> None:
        """After `/forget`: the message ids, flood budget and edit log of this person go too."""
        cleanups = (self.messages.forget(owner), self.flood.forget(owner))
        for cleanup in cleanups:
            try:
                await cleanup
            except StateUnavailable as error:
                log.warning("could not clear a short-lived key: %s", type(error).__name__)
        try:
            await self.edit_log.forget(owner)
        except StateUnavailable as error:
            log.warning("could not clear the edit log: %s", type(error).__name__)
        if self.compactor is not None:
            self.compactor.request(database=False)  # those keys' names leave Redis's files

    async def questionnaire_ids(
        self, person: Person, *, since: float | None, keep: int | None
    ) -> list[int] | None:
        """After submission: the questionnaire's messages to delete on both sides, all but the
        confirmation `keep`; None when there is nothing to clean (or it is switched off)."""
        if not self.clean_after_submit:
            return None
        owner = self.turns.owner(person)
        # The message that started the questionnaire was remembered a moment before it began.
        since = since - START_MARGIN if since is not None else None
        try:
            return [i for i in await self.messages.recent(owner, since=since) if i != keep]
        except StateUnavailable as error:
            log.warning("questionnaire not cleaned: %s", type(error).__name__)
            return None

    async def forget_ids(self, person: Person, message_ids: Iterable[int]) -> None:
        """Deleted messages need not be remembered any longer."""
        try:
            await self.messages.forget(self.turns.owner(person), list(message_ids))
        except StateUnavailable as error:
            log.warning("deleted ids not forgotten: %s", type(error).__name__)
