"""Content-free notices to the desk: a reference, a priority and a language, never answers.

New cases are announced once; an urgent case nobody took is announced again after
`INTAKE_ESCALATE_AFTER_MINUTES`, by a loop that runs beside the bot.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from telegram import Bot
from telegram.error import TelegramError

from bot.logs import describe
from bot.loops import every
from bot.services import Services
from casework.durations import age
from casework.notices import admin_alerts
from storage import cases as case_store
from storage import persons
from storage.models import Case
from storage.unavailable import StateUnavailable

log = logging.getLogger(__name__)

URGENT = 1
CAP_WINDOW = timedelta(hours=1)


async def announce_new_case(bot: Bot, services: Services, case_id: str) -> None:
    async with services.sessions() as db, db.begin():
        case = await db.get(Case, case_id)
        if case is None or await case_store.is_held_back(db, case):
            return  # a silently blocked person's request never reaches the desk
        recipients = await services.desk.recipients(db)
        await case_store.mark_announced(db, case)
        reference, priority, language = case.reference, case.priority, case.language
    for chat_id, volunteer_language in recipients:
        text = services.translator.text(
            volunteer_language or services.engine.spec.default_language,
            "desk-new-case",
            reference=reference,
            priority=priority,
            language=language,
        )
        await _send(bot, chat_id, text)


async def escalate(bot: Bot, services: Services) -> int:
    """Announce again every urgent case that has waited too long since its last notice."""
    after = timedelta(minutes=services.settings.escalate_after_minutes)
    outgoing: list[tuple[int, str]] = []
    async with services.sessions() as db, db.begin():
        due = await case_store.due_for_announcement(db, older_than=after, max_priority=URGENT)
        if not due:
            return 0
        recipients = await services.desk.recipients(db)
        for case in due:
            for chat_id, language in recipients:
                lang = language or services.engine.spec.default_language
                waited = services.translator.text(lang, "duration", **age(case.created_at))
                text = services.translator.text(
                    lang, "desk-urgent-waiting", reference=case.reference, waited=waited
                )
                outgoing.append((chat_id, text))
            await case_store.mark_announced(db, case)
    for chat_id, text in outgoing:
        await _send(bot, chat_id, text)
    return len(due)


async def escalation_loop(bot: Bot, services: Services, interval: float) -> None:
    """Runs until cancelled; a failed round is logged (without content) and retried later."""
    await every(interval, lambda: escalate(bot, services), "escalation", log)


async def _send(bot: Bot, chat_id: int, text: str) -> None:
    try:
        await bot.send_message(chat_id, text)
    except TelegramError as error:  # a volunteer who blocked the bot must not stop the others
        log.warning("desk notice not delivered: %s", describe(error))


async def over_hourly_cap(bot: Bot, services: Services, owner: str) -> bool:
    """Whether a new sender must wait: `cases_per_hour_cap` people opened a case in the last hour.

    Each person counts once, however often they press Send and however many cases they open;
    someone already counted this hour is not held back by the cap (their own limits apply,
    `Conversations.own_limit`). Counted from the stored cases, so every bot process agrees
    and a Redis hiccup cannot open the gate. Admins are alerted once an hour when it closes.
    """
    since = datetime.now(UTC) - CAP_WINDOW
    async with services.lookups() as db:
        if await case_store.senders_since(db, since) < services.settings.cases_per_hour_cap:
            return False
        row = await persons.find_person(db, owner)
        if row is not None and await case_store.cases_of_person_since(db, row.id, since) > 0:
            return False
    try:
        if await services.counter.once("cap-alert", 3600):
            await alert_admins(bot, services, "desk-cap-reached",
                                cap=services.settings.cases_per_hour_cap)  # fmt: skip
    except StateUnavailable as error:
        log.warning("hourly cap alert unavailable: %s", describe(error))
    return True


async def alert_admins(bot: Bot, services: Services, key: str, **args: object) -> None:
    alerts = await admin_alerts(services.sessions, services.cipher, services.translator, key,
                                **args)  # fmt: skip
    for alert in alerts:
        await _send(bot, alert.chat_id, alert.text)


async def outbox_loop(bot: Bot, services: Services, interval: float) -> None:
    """Submit questionnaires kept while the database was away; tell each person when done."""
    await every(interval, lambda: flush_outbox(bot, services), "outbox", log)


async def flush_outbox(bot: Bot, services: Services) -> int:
    sent = 0
    for owner in await services.conversations.outbox.members():
        result = await services.conversations.flush_outbox(owner)
        if result is None:
            continue
        case, chat_id = result
        text = services.translator.text(case.language, "outbox-sent", reference=case.reference)
        await _send(bot, chat_id, text)
        await announce_new_case(bot, services, case.id)
        sent += 1
    return sent
