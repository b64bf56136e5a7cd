"""Sending what casework asked for: texts split to Telegram's limit, copies of cases recorded
and deleted, and a failed delivery to a person reported to the volunteer who wrote."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.logs import describe
from bot.services import Services
from bot.telegram_limits import split_message
from casework import copies, relay
from casework.notices import admin_alerts
from casework.outgoing import Message
from storage.copies import Copy
from storage.models import Volunteer

log = logging.getLogger(__name__)

DELETE_BATCH = 100  # deleteMessages takes at most 100 ids


async def deliver(bot: Bot, services: Services, me: Volunteer, messages: Sequence[Message]) -> None:
    """Send what a committed desk operation produced on behalf of volunteer `me` (the holder,
    for a person's message relayed to them); a person who blocked the bot is reported."""
    if services.deliveries is not None:  # sealed mode: people hear from the intake bot
        people = [item for item in messages if item.to_person]
        if people:
            await services.deliveries.queue(people, me)
        messages = [item for item in messages if not item.to_person]
    for item in messages:
        if item.removes:
            await remove_copies(bot, services, item.removes)
        sent_ids: list[int] = []
        try:
            for chunk in split_message(item.text):
                sent = await bot.send_message(
                    item.chat_id, chunk, disable_notification=item.quiet or None
                )
                sent_ids.append(sent.message_id)
        except (Forbidden, BadRequest) as error:
            await _record_copies(bot, services, me, item, sent_ids)
            log.warning("desk delivery failed: %s", describe(error))
            if item.to_person:
                with contextlib.suppress(Forbidden, BadRequest):
                    text = services.translator.text(
                        me.language, "desk-reply-failed", reference=item.reference
                    )
                    await bot.send_message(services.desk.chat_of(me), text)
            continue
        await _record_copies(bot, services, me, item, sent_ids)
        if item.relay_case_id is not None and sent_ids:
            await relay.link(services.sessions, me, sent_ids[-1], item.relay_case_id)


async def _record_copies(
    bot: Bot, services: Services, me: Volunteer, item: Message, sent: list[int]
) -> None:
    """Every message that shows case content goes into `storage.copies`, to be deleted later."""
    case_id = item.shows_case or item.relay_case_id
    if case_id is None or not sent or item.to_person:
        return
    gone = await copies.record_sent(
        services.sessions,
        volunteer_id=item.in_chat_of or me.id,
        case_id=case_id,
        reference=item.reference,
        message_ids=sent,
    )
    if gone:
        await remove_copies(bot, services, gone)


async def to_person(bot: Bot, messages: Sequence[Message]) -> None:
    """Messages to a person who is in the chat now (they just wrote): a failure is logged only,
    nobody else is waiting for it."""
    for item in messages:
        try:
            for chunk in split_message(item.text):
                await bot.send_message(item.chat_id, chunk, disable_notification=item.quiet or None)
        except TelegramError as error:
            log.warning("a message to a person was not delivered: %s", describe(error))
            return


async def send_quietly(bot: Bot, messages: Sequence[Message], what: str) -> None:
    """Notices to the desk: a volunteer who blocked the bot must not stop the others."""
    for item in messages:
        try:
            await bot.send_message(item.chat_id, item.text)
        except TelegramError as error:
            log.warning("%s not delivered: %s", what, describe(error))


async def remove_copies(bot: Bot, services: Services, found: Sequence[Copy]) -> list[copies.Left]:
    """Delete these copies where Telegram allows; report the rest to the admins."""
    if not found:
        return []
    removals = await copies.plan(services.lookups, services.cipher, found)
    for removal in removals:
        wanted = {c.message_id for c in removal.deletable if c.message_id}
        refused = await delete_each(bot, removal.chat_id, wanted)
        removal.kept += [c for c in removal.deletable if c.message_id in refused]
    report = copies.left_behind(removals)
    for item in report:
        alerts = await admin_alerts(
            services.sessions, services.cipher, services.translator, "desk-copies-left",
            count=item.count, reference=item.reference, handle=item.handle,
        )  # fmt: skip
        await send_quietly(bot, alerts, "desk notice")
    return report


async def delete_each(bot: Bot, chat_id: int, message_ids: set[int]) -> set[int]:
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


async def delete_batches(bot: Bot, chat_id: int, message_ids: Sequence[int]) -> int:
    """Delete what Telegram still allows, in batches of 100, without retrying one by one (a
    person's own chat, where a refused batch is said to them); returns how many failed."""
    ids = sorted(set(message_ids))
    failed = 0
    for start in range(0, len(ids), DELETE_BATCH):
        try:
            await bot.delete_messages(chat_id, ids[start : start + DELETE_BATCH])
        except TelegramError as error:
            failed += 1
            log.warning("could not delete a batch of messages: %s", describe(error))
    return failed
