"""Edited messages: which stored text an edit of a person's message replaces.

A text message the bot took as the answer to a questionnaire question is remembered (its id and
the question, for 48 hours, keyed on the pseudonym, see storage/editlog.py); while that
questionnaire is not sent yet, an edit of the message replaces the answer. A message added to an
open request is remembered the same way (with the id of its case entry): an edit replaces the
entry's text, and the volunteer who holds the case and was shown the message gets the edited
text as a new message marked as an edit. Any other edit changes nothing.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from casework import relay
from locales.translator import Translator
from storage import cases as case_store
from storage import persons as person_store
from storage import signals as signal_store
from storage.crypto import Cipher
from storage.editlog import EditLog, find_person_entry, newest_person_entry, replace_person_entry
from storage.unavailable import StateUnavailable

log = logging.getLogger(__name__)

ANSWER = "answer:"
ENTRY = "entry:"


class Edits:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        lookups: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        translator: Translator,
        edit_log: EditLog,
    ) -> None:
        self.sessions = sessions
        self.lookups = lookups
        self.cipher = cipher
        self.translator = translator
        self.edit_log = edit_log

    async def remember(self, owner: str, message_id: int, target: str) -> None:
        """Remember what this message became (`ANSWER` + step, or `ENTRY` + entry id)."""
        try:
            await self.edit_log.remember(owner, message_id, target)
        except StateUnavailable as error:
            log.warning("a message id not remembered for edits: %s", type(error).__name__)

    async def target(self, owner: str, message_id: int) -> str | None:
        """What an edit of this message would replace; None if nothing (or unknown)."""
        try:
            return await self.edit_log.target(owner, message_id)
        except StateUnavailable as error:
            log.warning("edit log unavailable: %s", type(error).__name__)
            return None

    async def entry_in_open_case(self, owner: str, text: str) -> str | None:
        """The entry a follow-up with this text became in the person's open case, if any."""
        async with self.lookups() as db:
            row = await person_store.find_person(db, owner)
            case = (
                await case_store.latest_open_case_of_person(db, row.id) if row is not None else None
            )
            if case is None:
                return None
            if not self.cipher.can_open:  # sealed mode: it cannot compare; it is the newest
                return await newest_person_entry(db, case)
            return await find_person_entry(db, self.cipher, case, text)

    async def edit_entry(self, entry_id: str, text: str) -> relay.ToHolder | None:
        """Replace a follow-up's stored text; the volunteer who was shown it gets the edit.

        None when the entry is gone (its case closed or erased)."""
        async with self.sessions() as db, db.begin():
            found = await replace_person_entry(db, self.cipher, entry_id, text)
            if found is None:
                return None
            case, entry = found
            if not self.cipher.can_open:  # sealed mode: the desk passes the edit on
                await signal_store.add(
                    db, signal_store.PERSON_EDITED, case_id=case.id, entry_id=entry.id
                )
                return relay.ToHolder(None, [])
            return await relay.edited_to_holder(
                db, self.cipher, self.translator, case, entry.delivered, text
            )
