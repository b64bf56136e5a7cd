"""Retention, run beside the bot on a schedule and by `intake-bot purge`.

Closed cases are crypto-shredded `INTAKE_RETENTION_DAYS` after closing; admins are warned, once a
day, about open cases nobody has touched for `INTAKE_STALE_WARNING_DAYS`. Drafts expire by
themselves (a TTL in Redis or memory); every round also has Redis rewrite its files, so an
expired draft stays in them at most one round (`storage.compaction`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import Bot

from bot.delivery import remove_copies, send_quietly
from bot.loops import every
from bot.services import INTAKE, Services
from casework import copies
from casework.notices import admin_alerts
from storage import retention
from storage.erasure import checkpoint
from storage.unavailable import StateUnavailable

log = logging.getLogger(__name__)

DAY = 24 * 3600


async def purge(services: Services) -> retention.PurgeReport:
    """Shred what retention says, then make the database's files forget it too.

    SQLite's write-ahead log is checkpointed after every purge (a busy log is retried by the
    compactor until it succeeds); on PostgreSQL the erased tables are vacuumed (FULL).
    """
    async with services.sessions() as db, db.begin():
        report = await retention.purge(
            db, closed_older_than=timedelta(days=services.settings.retention_days)
        )
    log.info("purge: %s", report)
    compactor = services.compactor
    if compactor is None:
        if not await checkpoint(services.database):
            log.warning("the database log is busy after the purge")
    elif (report.cases or report.persons or services.database.dialect.name == "sqlite") and (
        await compactor.run(redis=False)  # now: purges come once per round, already a batch
    ):
        compactor.request(redis=False)  # it failed (logged): retried until it succeeds
    return report


async def remove_case_copies(bot: Bot, services: Services) -> None:
    """After a purge: the purged cases' copies leave volunteers' chats (the rest is reported);
    copies past Telegram's 48 hours lose their message id."""
    await remove_copies(bot, services, await copies.of_erased_cases(services.sessions))
    await copies.expire(services.sessions)


async def warn_about_stale_cases(bot: Bot, services: Services) -> int:
    days = services.settings.stale_warning_days
    async with services.lookups() as db:
        stale = await retention.stale_open_cases(db, untouched_for=timedelta(days=days))
        references = [case.reference for case in stale]
    if not references:
        return 0
    try:
        first_today = await services.counter.once("stale-alert", DAY)
    except StateUnavailable:
        first_today = True
    if first_today:
        alerts = await admin_alerts(
            services.sessions, services.cipher, services.translator, "desk-stale",
            days=days, references=", ".join(references),
        )  # fmt: skip
        await send_quietly(bot, alerts, "desk notice")
    return len(references)


async def housekeeping_loop(
    bot: Bot, services: Services, interval: float, stopping: asyncio.Event
) -> None:
    """Runs until `stopping`, a round at once and then every `interval`; a failed round is
    logged without content and tried again later."""
    await every(
        interval, lambda: housekeeping_round(bot, services), "housekeeping", log, stopping,
        first_now=True,
    )  # fmt: skip


async def housekeeping_round(bot: Bot, services: Services) -> None:
    """The intake bot of sealed mode purges too (nothing to open for that), but leaves what
    needs volunteers' chats to the desk bot."""
    await purge(services)
    if services.role != INTAKE:
        await remove_case_copies(bot, services)
    if services.compactor is not None:
        # Drafts that expired since the last round leave Redis's files; this also
        # finishes a compaction a crash interrupted.
        services.compactor.request()
    await services.messages.sweep()  # ids past Telegram's 48-hour window go for good
    if services.role != INTAKE:
        await warn_about_stale_cases(bot, services)
