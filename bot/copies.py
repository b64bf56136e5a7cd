"""Deleting the copies of a case from volunteers' chats, and saying which could not go.

See `storage.copies` for what is recorded. A copy younger than 48 hours (by the record) is
deleted; one that is older, or that Telegram refuses to delete, is reported to the admins by
count, case reference and volunteer handle, never by content, so someone can ask the volunteer
to delete it by hand.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.logs import describe
from bot.notices import send_notices
from bot.services import Services
from storage import copies as store
from storage.desk import volunteer_chat_id
from storage.models import Volunteer

log = logging.getLogger(__name__)

DELETE_BATCH = 100  # deleteMessages takes at most 100 ids


@dataclass(frozen=True)
class Left:
    """Copies of one case that stayed in one volunteer's chat."""

    reference: str
    handle: str
    count: int


async def remove(bot: Bot, services: Services, copies: Sequence[store.Copy]) -> list[Left]:
    """Delete these copies where Telegram allows; report the rest to the admins."""
    if not copies:
        return []
    async with services.lookups() as db:
        volunteers = {
            v.id: v
            for v in [await db.get(Volunteer, vid) for vid in {c.volunteer_id for c in copies}]
            if v is not None
        }
    left: Counter[tuple[str, str]] = Counter()
    by_volunteer: dict[str, list[store.Copy]] = {}
    for copy in copies:
        by_volunteer.setdefault(copy.volunteer_id, []).append(copy)
    for volunteer_id, theirs in by_volunteer.items():
        volunteer = volunteers.get(volunteer_id)
        if volunteer is None:  # the volunteer's row is gone, and with it their chat id
            continue
        chat_id = volunteer_chat_id(services.cipher, volunteer)
        deletable = [c for c in theirs if c.deletable()]
        for copy in theirs:
            if not copy.deletable():
                left[(copy.reference, volunteer.handle)] += 1
        failed = await _delete(bot, chat_id, {c.message_id for c in deletable if c.message_id})
        for copy in deletable:
            if copy.message_id in failed:
                left[(copy.reference, volunteer.handle)] += 1
    report = [Left(ref, handle, n) for (ref, handle), n in sorted(left.items())]
    for item in report:
        alerts = await services.notices.admin_alerts(
            "desk-copies-left", count=item.count, reference=item.reference, handle=item.handle
        )
        await send_notices(bot, alerts)
    return report


async def _delete(bot: Bot, chat_id: int, message_ids: set[int]) -> set[int]:
    """Delete in batches; a refused batch is retried one message at a time. Returns the ids
    Telegram refused (one it cannot find is already gone: the volunteer deleted it)."""
    ids = sorted(message_ids)
    refused: set[int] = set()
    for start in range(0, len(ids), DELETE_BATCH):
        batch = ids[start : start + DELETE_BATCH]
        try:
            await bot.delete_messages(chat_id, batch)
            continue
        except TelegramError as error:
            log.warning("a batch of case copies was refused: %s", describe(error))
        for message_id in batch:
            try:
                await bot.delete_message(chat_id, message_id)
            except BadRequest as error:
                if "not found" not in str(error).lower():
                    refused.add(message_id)
            except TelegramError as error:
                log.warning("a case copy was not deleted: %s", describe(error))
                refused.add(message_id)
    return refused


async def remove_of_erased_cases(bot: Bot, services: Services) -> list[store.Copy]:
    """After an erasure or a purge: delete the copies of every case that no longer exists
    (the rest is reported); returns the copies it handled."""
    async with services.sessions() as db, db.begin():
        taken = await store.take_of_erased_cases(db)
    await remove(bot, services, taken)
    return taken


async def expire(services: Services) -> int:
    """Drop message ids Telegram no longer lets the bot delete (the rows stay, to be reported)."""
    async with services.sessions() as db, db.begin():
        return await store.expire(db)
