"""Desk commands for volunteers, in their private chat with the bot.

A person who is not an active volunteer gets, for every one of these commands, exactly the reply
an unknown command gets, and nothing is recorded. Content is shown only to the volunteer who
holds a case, or to an admin; every access is written to the audit trail.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from telegram import Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CommandHandler

from bot import copies as case_copies
from bot.context import BotContext
from bot.desk import NotAllowed, NotAVolunteer, Outgoing, Work, age, split_duration
from bot.handlers.common import PRIVATE, on_help, on_unknown_command, person_of
from bot.logs import describe
from locales.translator import Translator
from storage import copies as copies_store
from storage import desk as store
from storage import repositories as repo
from storage.models import Case, Volunteer

log = logging.getLogger(__name__)

CANNED = ("wait", "safety", "legal", "secure", "details")
MAX_MESSAGE = 4096

Handler = Callable[[Update, BotContext, Work, list[str]], Awaitable[None]]


def register(app: Application) -> None:  # type: ignore[type-arg]
    for name, handler in COMMANDS.items():
        app.add_handler(CommandHandler(name, _guarded(handler), filters=PRIVATE))
    app.add_handler(CommandHandler("join", on_join, filters=PRIVATE))


def _guarded(handler: Handler) -> Callable[[Update, BotContext], Awaitable[None]]:
    """Resolve the volunteer first; anyone else sees the unknown-command reply, nothing else."""

    async def run(update: Update, context: BotContext) -> None:
        person = person_of(update)
        args = list(context.args or [])
        try:
            async with context.services.desk.work(person) as work:
                await handler(update, context, work, args)
                outbox, me = work.outbox, work.me
        except NotAVolunteer:
            await on_unknown_command(update, context)
            return
        except _Reply as reply:
            await say(update, context, reply.language, reply.key, **reply.values)
            return
        await deliver(context, me, outbox)

    run.__name__ = handler.__name__
    return run


class _Reply(Exception):
    """Ends a command with one message to the volunteer and rolls the transaction back."""

    def __init__(self, language: str, key: str, **args: Any) -> None:
        super().__init__(key)
        self.language, self.key, self.values = language, key, args


def fail(work: Work, key: str, **args: Any) -> _Reply:
    return _Reply(work.me.language, key, **args)


# -- the queue -----------------------------------------------------------------------------------


async def on_queue(update: Update, context: BotContext, work: Work, args: list[str]) -> None:
    cases = await store.waiting_cases(work.db)
    t = context.renderer.t
    lang = work.me.language
    if not cases:
        text = t.text(lang, "desk-queue-empty")
        if work.is_admin:
            held = await store.held_back_cases(work.db)
            if held:
                references = ", ".join(c.reference for c in held)
                text += "\n" + t.text(lang, "desk-queue-held", references=references)
        _to_me(work, update, text)
        return
    lines = [t.text(lang, "desk-queue-title", count=len(cases))]
    lines += _case_lines(context, lang, cases)
    lines.append(t.text(lang, "desk-queue-priorities"))
    if work.is_admin:
        held = await store.held_back_cases(work.db)
        if held:
            references = ", ".join(c.reference for c in held)
            lines.append(t.text(lang, "desk-queue-held", references=references))
    _to_me(work, update, "\n".join(lines))


def category_name(t: Translator, lang: str, category: str) -> str:
    """A case's category in words; one the questionnaire no longer has stays as its id."""
    key = f"category-{category}"
    return t.text(lang, key) if t.has(lang, key) else category


URGENT_PRIORITY = 1
"""Priority 1 is the most urgent (the questionnaire's "in danger right now")."""


def _case_lines(
    context: BotContext, lang: str, cases: Sequence[Case], *, held: bool = False
) -> list[str]:
    """One line per case: reference, priority (urgent ones marked), category, and how long it
    has waited (/queue) or since the volunteer took it (/mine, `held`)."""
    t = context.renderer.t
    key = "desk-mine-line" if held else "desk-queue-line"
    return [
        t.text(lang, key, reference=c.reference, priority=c.priority,
               urgent="yes" if c.priority <= URGENT_PRIORITY else "no",
               category=category_name(t, lang, c.category), language=c.language,
               waited=t.text(lang, "duration", **age(c.taken_at if held else c.created_at)))
        for c in cases
    ]  # fmt: skip


async def on_take(update: Update, context: BotContext, work: Work, args: list[str]) -> None:
    if args:
        case = await _claim(work, args[0])
    else:
        found = await store.claim_next(work.db, work.me)
        if found is None:
            raise fail(work, "desk-nothing-to-take")
        case = found
    await store.record(work.db, "claim", actor=work.me, case=case)
    _to_me(
        work,
        update,
        context.renderer.t.text(work.me.language, "desk-taken", reference=case.reference),
    )
    await _show_case(update, context, work, case)


async def _claim(work: Work, reference: str) -> Case:
    try:
        return await store.claim(work.db, work.me, reference)
    except store.CaseNotFound:
        raise fail(work, "desk-not-found", reference=reference.upper()) from None
    except store.CaseNotAvailable as refusal:
        case = await repo.get_case_by_reference(work.db, reference)
        held = refusal.status == "waiting" and case is not None
        if held and case is not None and await store.is_held_back(work.db, case):
            raise fail(work, "desk-take-held", reference=case.reference) from None
        raise fail(work, "desk-not-available", reference=reference.upper()) from None


async def on_case(update: Update, context: BotContext, work: Work, args: list[str]) -> None:
    case = await _case_for(work, context, args, "/case REF", or_admin=True, any_status=True)
    await _show_case(update, context, work, case)


async def _show_case(update: Update, context: BotContext, work: Work, case: Case) -> None:
    """The answers and the conversation, decrypted, for the holder (or an admin) only."""
    t = context.renderer.t
    lang = work.me.language
    answers = repo.case_answers(context.services.cipher, case)
    entries = await store.case_entries(work.db, context.services.cipher, case)
    holder = await work.db.get(Volunteer, case.volunteer_id) if case.volunteer_id else None
    lines = [
        t.text(
            lang,
            "desk-case-header",
            reference=case.reference,
            status=t.text(lang, f"desk-status-{case.status}"),
            priority=case.priority,
            category=category_name(t, lang, case.category),
            language=case.language,
            age=t.text(lang, "duration", **age(case.created_at)),
        ),
    ]
    if holder is not None:
        lines.append(t.text(lang, "desk-case-holder", handle=holder.handle))
    reason = store.close_reason(context.services.cipher, case)
    if case.status == "closed" and reason:
        lines.append(t.text(lang, "desk-case-close-reason", reason=reason))
    if await store.is_held_back(work.db, case):
        lines.append(t.text(lang, "desk-case-held"))
    lines += ["", t.text(lang, "desk-case-answers")]
    lines += [context.renderer.answer_line(lang, step, answer) for step, answer in answers.items()]
    lines += ["", t.text(lang, "desk-case-conversation")]
    if not entries:
        lines.append(t.text(lang, "desk-case-no-conversation"))
    for entry, text in entries:
        author = await _handle_of(work, entry.author_id)
        lines.append(
            t.text(
                lang,
                f"desk-entry-{entry.kind}",
                text=text,
                author=author,
                age=t.text(lang, "duration", **age(entry.created_at)),
            )
        )
    undelivered = [e for e, _ in entries if e.kind == "person" and not e.delivered]
    if undelivered and case.volunteer_id == work.me.id:
        await store.mark_delivered(work.db, undelivered)
    await store.record(work.db, "view", actor=work.me, case=case)
    assert update.effective_chat is not None
    work.outbox.append(
        Outgoing(
            update.effective_chat.id,
            "\n".join(lines),
            shows_case=case.id,
            reference=case.reference,
        )
    )


async def _handle_of(work: Work, volunteer_id: str | None) -> str:
    if volunteer_id is None:
        return "?"
    volunteer = await work.db.get(Volunteer, volunteer_id)
    return volunteer.handle if volunteer else "?"


# -- talking to the person -----------------------------------------------------------------------


async def on_reply(update: Update, context: BotContext, work: Work, args: list[str]) -> None:
    if len(args) < 2:
        raise fail(work, "desk-usage", usage="/reply REF text")
    case = await _case_for(work, context, args[:1], "/reply REF text")
    await relay_to_person(context, work, case, _rest_of(update, 2))
    await record_command(work, update, case)


async def relay_to_person(
    context: BotContext,
    work: Work,
    case: Case,
    text: str,
    *,
    action: str = "reply",
    detail: str | None = None,
) -> None:
    """Store the volunteer's message in the case and queue it for the person, unsigned.

    Recorded once in the audit trail, as `action` ("reply", or "canned" with its key)."""
    services = context.services
    await store.add_entry(
        work.db, services.cipher, case, kind="volunteer", body=text, author=work.me
    )
    await store.record(work.db, action, actor=work.me, case=case, detail=detail)
    _, chat_id = await services.desk.person_of(work.db, case)
    said = context.renderer.t.text(case.language, "volunteer-says", text=text)
    work.outbox.append(Outgoing(chat_id, said, to_person=True, reference=case.reference))
    confirmation = context.renderer.t.text(
        work.me.language, "desk-reply-sent", reference=case.reference
    )
    work.outbox.append(Outgoing(_my_chat(work, services), confirmation))


async def on_canned(update: Update, context: BotContext, work: Work, args: list[str]) -> None:
    t = context.renderer.t
    if not args:
        lines = [t.text(work.me.language, "desk-canned-title")]
        lines += [
            t.text(
                work.me.language,
                "desk-canned-line",
                key=key,
                preview=_preview(t.text(work.me.language, f"canned-{key}")),
            )
            for key in CANNED
        ]
        _to_me(work, update, "\n".join(lines))
        return
    if len(args) != 2:
        raise fail(work, "desk-usage", usage="/canned REF KEY")
    key = args[1].lower()
    if key not in CANNED:
        raise fail(work, "desk-canned-unknown", key=key)
    case = await _case_for(work, context, args[:1], "/canned REF KEY")
    await relay_to_person(
        context, work, case, t.text(case.language, f"canned-{key}"), action="canned", detail=key
    )


async def on_note(update: Update, context: BotContext, work: Work, args: list[str]) -> None:
    if len(args) < 2:
        raise fail(work, "desk-usage", usage="/note REF text")
    case = await _case_for(work, context, args[:1], "/note REF text", or_admin=True)
    await store.add_entry(
        work.db,
        context.services.cipher,
        case,
        kind="note",
        body=_rest_of(update, 2),
        author=work.me,
    )
    await store.record(work.db, "note", actor=work.me, case=case)
    await record_command(work, update, case)
    _to_me(
        work,
        update,
        context.renderer.t.text(work.me.language, "desk-note-added", reference=case.reference),
    )


async def on_release(update: Update, context: BotContext, work: Work, args: list[str]) -> None:
    case = await _case_for(work, context, args, "/release REF", or_admin=True)
    if case.status != "taken":
        raise fail(work, f"desk-release-{case.status}", reference=case.reference)
    try:
        await store.release(work.db, case)
    except store.CaseStateError:  # taken back or closed by someone else a moment ago
        raise fail(work, "desk-release-waiting", reference=case.reference) from None
    await store.record(work.db, "release", actor=work.me, case=case)
    _to_me(
        work,
        update,
        context.renderer.t.text(work.me.language, "desk-released", reference=case.reference),
    )


async def on_close(update: Update, context: BotContext, work: Work, args: list[str]) -> None:
    case = await _case_for(work, context, args[:1], "/close REF [reason]", or_admin=True)
    if case.status == "closed":
        raise fail(work, "desk-close-closed", reference=case.reference)
    reason = _rest_of(update, 2) or None
    services = context.services
    try:
        await store.close(work.db, services.cipher, case, reason)
    except store.CaseStateError:  # closed by someone else a moment ago
        raise fail(work, "desk-close-closed", reference=case.reference) from None
    # The reason stays internal (encrypted in the case; /case and /audit show it to the desk):
    # the person only ever gets the neutral notice.
    await store.record(work.db, "close", actor=work.me, case=case)
    if reason:
        await record_command(work, update, case)
    _, chat_id = await services.desk.person_of(work.db, case)
    t = context.renderer.t
    told = t.text(case.language, "case-closed", reference=case.reference)
    work.outbox.append(Outgoing(chat_id, told, to_person=True, reference=case.reference))
    _to_me(work, update, t.text(work.me.language, "desk-closed", reference=case.reference))


async def on_block(update: Update, context: BotContext, work: Work, args: list[str]) -> None:
    usage = "/block REF [silent]"
    if len(args) > 2 or (len(args) == 2 and args[1].lower() != "silent"):
        raise fail(work, "desk-usage", usage=usage)
    silent = len(args) == 2
    case = await _case_for(work, context, args[:1], usage, or_admin=True, any_status=True)
    await store.block_person_of_case(work.db, case, silent=silent)
    await store.record(
        work.db, "block", actor=work.me, case=case, detail="silent" if silent else "told"
    )
    key = "desk-blocked-silently" if silent else "desk-blocked"
    _to_me(work, update, context.renderer.t.text(work.me.language, key, reference=case.reference))


async def on_unblock(update: Update, context: BotContext, work: Work, args: list[str]) -> None:
    if len(args) != 1:
        raise fail(work, "desk-usage", usage="/unblock REF")
    case = await _case_for(work, context, args, "/unblock REF", or_admin=True, any_status=True)
    _, back = await store.unblock_person_of_case(work.db, case)
    await store.record(work.db, "unblock", actor=work.me, case=case)
    text = context.renderer.t.text(
        work.me.language, "desk-unblocked", reference=case.reference, count=back
    )
    _to_me(work, update, text)


async def on_mine(update: Update, context: BotContext, work: Work, args: list[str]) -> None:
    t = context.renderer.t
    lang = work.me.language
    cases = await store.cases_held_by(work.db, work.me)
    if not cases:
        _to_me(work, update, t.text(lang, "desk-mine-empty"))
        return
    lines = [t.text(lang, "desk-mine-title")]
    lines += _case_lines(context, lang, cases, held=True)
    _to_me(work, update, "\n".join(lines))


async def on_stats(update: Update, context: BotContext, work: Work, args: list[str]) -> None:
    t = context.renderer.t
    lang = work.me.language
    stats = await store.desk_stats(work.db)
    none = t.text(lang, "desk-none")
    median = (
        t.text(lang, "duration", **split_duration(stats.median_first_reply))
        if stats.median_first_reply is not None
        else none
    )
    oldest = (
        t.text(lang, "duration", **split_duration(stats.oldest_waiting_age))
        if stats.oldest_waiting_age is not None
        else none
    )
    _to_me(
        work,
        update,
        t.text(
            lang,
            "desk-stats",
            waiting=stats.waiting,
            taken=stats.taken,
            closed=stats.closed,
            median=median,
            oldest=oldest,
            volunteers=stats.active_volunteers,
        ),
    )


# -- membership (admins) -------------------------------------------------------------------------


async def on_invite(update: Update, context: BotContext, work: Work, args: list[str]) -> None:
    _admin(work)
    role = "admin" if args and args[0].lower() == "admin" else "volunteer"
    settings = context.services.settings
    code = store.new_invite_code()
    await store.create_invite(
        work.db,
        code_hash=context.services.desk.invite_hash(code),
        role=role,
        created_by=work.me,
        ttl=timedelta(hours=settings.invite_ttl_hours),
    )
    await store.record(work.db, "invite", actor=work.me, detail=role)
    _to_me(
        work,
        update,
        context.renderer.t.text(
            work.me.language, "desk-invite", role=role, hours=settings.invite_ttl_hours, code=code
        ),
    )


async def on_join(update: Update, context: BotContext) -> None:
    """`/join CODE`: anyone may try; a wrong code looks exactly like an unknown command."""
    args = list(context.args or [])
    person = person_of(update)
    desk = context.services.desk
    if len(args) != 1:
        await on_unknown_command(update, context)
        return
    try:
        async with desk.sessions() as db, db.begin():
            volunteer = await store.redeem_invite(
                db,
                context.services.cipher,
                code_hash=desk.invite_hash(args[0]),
                pseudonym=desk.volunteer_pseudonym(person),
                chat_id=person.chat_id,
                language=context.engine.suggest_language(person.client_language),
            )
            await store.record(db, "join", actor=volunteer)
            handle, language = volunteer.handle, volunteer.language
    except store.InviteInvalid:
        await on_unknown_command(update, context)
        return
    except store.AlreadyVolunteer:
        await on_help(update, context)
        return
    await say(update, context, language, "desk-joined", handle=handle)
    await say(update, context, language, "desk-help")


async def on_volunteers(update: Update, context: BotContext, work: Work, args: list[str]) -> None:
    _admin(work)
    t = context.renderer.t
    lang = work.me.language
    lines = [t.text(lang, "desk-volunteers-title")]
    for v in await store.list_volunteers(work.db):
        lines.append(
            t.text(
                lang,
                "desk-volunteer-line",
                handle=v.handle,
                role=v.role,
                active=_last_active(t, lang, v),
                revoked="yes" if v.revoked_at else "no",
            )
        )
    _to_me(work, update, "\n".join(lines))


def _last_active(t: Translator, lang: str, volunteer: Volunteer) -> str:
    """Activity is kept to the hour: say "within the hour" or whole hours, never minutes."""
    hours = int((datetime.now(UTC) - volunteer.last_active_at).total_seconds() // 3600)
    if hours < 1:
        return t.text(lang, "desk-active-this-hour")
    return t.text(lang, "desk-active-ago", days=hours // 24, hours=hours % 24)


async def on_revoke(update: Update, context: BotContext, work: Work, args: list[str]) -> None:
    _admin(work)
    if len(args) != 1:
        raise fail(work, "desk-usage", usage="/revoke HANDLE")
    try:
        volunteer, released = await store.revoke(work.db, args[0])
    except store.VolunteerNotFound:
        raise fail(work, "desk-revoke-unknown", handle=args[0]) from None
    await store.record(work.db, "revoke", actor=work.me, detail=volunteer.handle)
    # What they were shown leaves their chat (deleted once this commits; the rest is reported).
    shown = await copies_store.take_of_volunteer(work.db, volunteer.id)
    assert update.effective_chat is not None
    work.outbox.append(
        Outgoing(
            update.effective_chat.id,
            context.renderer.t.text(
                work.me.language, "desk-revoked", handle=volunteer.handle, count=released
            ),
            removes=tuple(shown),
        )
    )


async def on_audit(update: Update, context: BotContext, work: Work, args: list[str]) -> None:
    _admin(work)
    if len(args) != 1:
        raise fail(work, "desk-usage", usage="/audit REF")
    reference = repo.normalize_reference(args[0]) or args[0].upper()
    events = await store.trail(work.db, reference)
    t = context.renderer.t
    lang = work.me.language
    if not events:
        raise fail(work, "desk-audit-empty", reference=reference)
    # The reason a case was closed is content (it may name the person's situation): it is
    # kept encrypted in the case, never in the plaintext trail, and shown here, on the close
    # that gave it, while the case exists.
    case = await repo.get_case_by_reference(work.db, reference)
    reason = store.close_reason(context.services.cipher, case) if case is not None else None
    if case is None or case.status != "closed":
        reason = None
    last_close = max((i for i, e in enumerate(events) if e.action == "close"), default=None)
    lines = [t.text(lang, "desk-audit-title", reference=reference)]
    for number, e in enumerate(events):
        details = [e.detail] if e.detail else []
        if number == last_close and reason:
            details.append(t.text(lang, "desk-audit-reason", reason=reason))
        lines.append(
            t.text(
                lang,
                "desk-audit-line",
                at=e.at.strftime(
                    "%Y-%m-%d" if (e.at.hour, e.at.minute) == (0, 0) else "%Y-%m-%d %H:%M UTC"
                ),
                actor=e.actor_handle or "-",
                action=e.action,
                detail="".join(f" · {d}" for d in details),
            )
        )
    _to_me(work, update, "\n".join(lines))


# -- plumbing --------------------------------------------------------------------------------------


async def _case_for(
    work: Work,
    context: BotContext,
    args: list[str],
    usage: str,
    *,
    or_admin: bool = False,
    any_status: bool = False,
) -> Case:
    if not args:
        raise fail(work, "desk-usage", usage=usage)
    try:
        case = await context.services.desk.case(work.db, args[0])
    except store.CaseNotFound:
        raise fail(work, "desk-not-found", reference=args[0].upper()) from None
    allowed = work.is_admin if or_admin else False
    if any_status and case.volunteer_id == work.me.id:
        allowed = True
    if not allowed:
        try:
            work.require_holder(case, or_admin=or_admin)
        except NotAllowed:
            raise fail(work, "desk-not-yours", reference=case.reference) from None
    return case


def _admin(work: Work) -> None:
    try:
        work.require_admin()
    except NotAllowed:
        raise fail(work, "desk-admins-only") from None


def _my_chat(work: Work, services: Any) -> int:
    return store.volunteer_chat_id(services.cipher, work.me)


def _to_me(work: Work, update: Update, text: str) -> None:
    assert update.effective_chat is not None
    work.outbox.append(Outgoing(update.effective_chat.id, text))


def _rest_of(update: Update, skip: int) -> str:
    """The command's text after its first `skip` words, with the person's line breaks kept."""
    text = update.effective_message.text if update.effective_message else ""
    parts = (text or "").split(maxsplit=skip)
    return parts[skip].strip() if len(parts) > skip else ""


def _preview(text: str, words: int = 8) -> str:
    head = text.split()
    return " ".join(head[:words]) + ("…" if len(head) > words else "")


async def say(update: Update, context: BotContext, language: str, key: str, **args: Any) -> None:
    assert update.effective_chat is not None
    for chunk in split_message(context.renderer.t.text(language, key, **args)):
        await context.bot.send_message(update.effective_chat.id, chunk)


async def deliver(context: BotContext, me: Any, outbox: list[Outgoing]) -> None:
    """Send what a committed command produced; a person who blocked the bot is reported."""
    services = context.services
    for item in outbox:
        if item.removes:
            await case_copies.remove(context.bot, services, item.removes)
        sent_ids: list[int] = []
        try:
            sent = None
            for chunk in split_message(item.text):
                sent = await context.bot.send_message(item.chat_id, chunk)
                sent_ids.append(sent.message_id)
        except (Forbidden, BadRequest) as error:
            await _record_copies(context, me, item, sent_ids)
            log.warning("desk delivery failed: %s", describe(error))
            if item.to_person:
                with contextlib.suppress(Forbidden, BadRequest):
                    await context.bot.send_message(
                        store.volunteer_chat_id(services.cipher, me),
                        context.renderer.t.text(
                            me.language, "desk-reply-failed", reference=item.reference
                        ),
                    )
            continue
        await _record_copies(context, me, item, sent_ids)
        if item.relay_case_id is not None and sent is not None:
            async with services.sessions() as db, db.begin():
                case = await db.get(Case, item.relay_case_id)
                if case is not None:
                    await store.link_relay(db, volunteer=me, message_id=sent.message_id, case=case)


async def _record_copies(context: BotContext, me: Any, item: Outgoing, sent: list[int]) -> None:
    """Every message that shows case content goes into `storage.copies`, to be deleted later.

    Recorded even if the case was erased meanwhile: the next sweep then deletes it at once.
    """
    case_id = item.shows_case or item.relay_case_id
    if case_id is None or not sent or item.to_person:
        return
    async with context.services.sessions() as db, db.begin():
        # The volunteer's row is locked first: a /revoke running at this moment either waits
        # for this record (and takes it) or has finished, and then the copies go at once.
        holder = await db.scalar(select(Volunteer).where(Volunteer.id == me.id).with_for_update())
        case = await db.get(Case, case_id)
        reference = case.reference if case is not None else item.reference
        await copies_store.record(
            db, case_id=case_id, reference=reference, volunteer_id=me.id, message_ids=sent
        )
        revoked = holder is None or holder.revoked_at is not None
        gone = await copies_store.take_of_volunteer(db, me.id) if revoked else []
    if gone:
        await case_copies.remove(context.bot, context.services, gone)


async def record_command(work: Work, update: Update, case: Case) -> None:
    """The volunteer's own message carries conversation text (/reply, /note, /close reason,
    a Telegram reply to a relayed message): it goes with the case's other copies."""
    message = update.effective_message
    if message is not None:
        await copies_store.record(
            work.db,
            case_id=case.id,
            reference=case.reference,
            volunteer_id=work.me.id,
            message_ids=[message.message_id],
        )


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Telegram takes 4096 characters a message: split long case views at line breaks."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


COMMANDS: dict[str, Handler] = {
    "queue": on_queue,
    "take": on_take,
    "case": on_case,
    "reply": on_reply,
    "canned": on_canned,
    "note": on_note,
    "release": on_release,
    "close": on_close,
    "block": on_block,
    "unblock": on_unblock,
    "mine": on_mine,
    "stats": on_stats,
    "invite": on_invite,
    "volunteers": on_volunteers,
    "revoke": on_revoke,
    "audit": on_audit,
}
