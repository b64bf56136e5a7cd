"""Deleting messages in Telegram for `/forget` and after a submission, as `casework.erasure`
decides: the data goes first, then what Telegram still allows of the chats (48 hours)."""

from __future__ import annotations

from telegram import Bot

from bot.delivery import delete_batches, remove_copies
from bot.flood import quietly
from bot.services import Services
from casework import copies
from casework.people import Person


async def clean_questionnaire(
    bot: Bot, services: Services, person: Person, *, since: float | None, keep: int | None
) -> None:
    """After submission: delete the questionnaire on both sides, keeping the confirmation."""
    ids = await services.erasure.questionnaire_ids(person, since=since, keep=keep)
    if ids is None:
        return
    await delete_batches(bot, person.chat_id, ids)
    await services.erasure.forget_ids(person, ids)


async def forget_everything(
    bot: Bot, services: Services, person: Person, language: str, *, confirm_message_id: int | None
) -> None:
    """`/forget`, confirmed: shred the data, delete both sides of the chat, tell the holders.

    The data goes first: if Telegram then fails, nothing readable is left behind anyway.
    """
    erasure = services.erasure
    owner = services.turns.owner(person)
    report = await erasure.forget(person)
    # Every message that showed these cases in volunteers' chats (case views, relayed messages):
    # deleted, and what could not be is reported to the admins.
    removed = []
    if not erasure.sealed:  # in sealed mode the desk deletes them (`casework.desk.inbox`)
        removed = await copies.of_erased_cases(services.sessions)
        await remove_copies(bot, services, removed)
    done = {(copy.volunteer_id, copy.message_id) for copy in removed}
    for notice in erasure.tell_holders(report, done):
        for chat_id, message_ids in notice.deletions.items():
            await delete_batches(bot, chat_id, message_ids)
        if notice.message is not None:
            await quietly(bot.send_message(notice.message.chat_id, notice.message.text))
    ids = await erasure.message_ids(owner)
    unavailable = ids is None
    ids = ids or []
    if confirm_message_id is not None:
        ids.append(confirm_message_id)
    failed = await delete_batches(bot, person.chat_id, ids)
    renderer = services.renderer
    text = renderer.text(language, "forget-done", cases=report.cases)
    if failed or unavailable:
        # Only when a deletion really failed (or the ids could not be read) do we say so.
        text += "\n\n" + renderer.text(language, "forget-undeletable")
    # Always true, whatever happened: the bot cannot know what came before its memory (older
    # than 48 hours, or before a restart without Redis), and Telegram would refuse those anyway.
    text += "\n\n" + renderer.text(language, "forget-older")
    await bot.send_message(person.chat_id, text)
    await erasure.forget_short_lived(owner)
