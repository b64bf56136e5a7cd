"""After a request is sent: the person's further messages, /status, and volunteers' replies.

The person's messages are stored in their open case (encrypted) and copied, as text, to the
volunteer who holds it; neither side ever sees the other's Telegram account.
"""

from __future__ import annotations

from telegram import CallbackQuery, Update
from telegram.ext import Application, CommandHandler

from bot import callback_data as cb
from bot import notifications
from bot.context import BotContext
from bot.conversation import Turn
from bot.delivery import deliver
from bot.handlers.common import PRIVATE, edit, person_of, reply, send
from bot.render import Screen
from casework import relay
from casework.desk import talk
from casework.desk.access import NotAVolunteer
from casework.outgoing import Message
from casework.people import Person
from storage import audit, cases, entries, persons
from storage.models import Volunteer


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("status", on_status, filters=PRIVATE))


async def on_status(update: Update, context: BotContext) -> None:
    person = person_of(update)
    services = context.services
    language = context.engine.suggest_language(person.client_language)
    async with services.lookups() as db:
        row = await persons.find_person(db, services.conversations.owner(person))
        case = await cases.latest_case_of_person(db, row.id) if row is not None else None
        if row is not None:
            language = row.language
    if case is None:
        await reply(update, context, language, "status-none")
        return
    text = context.renderer.text(language, f"status-{case.status}", reference=case.reference)
    await send(update, context, Screen(text))


async def open_case_reference(context: BotContext, update: Update) -> tuple[str, str] | None:
    """The reference and language of this person's open request, if they have one."""
    services = context.services
    async with services.lookups() as db:
        row = await persons.find_person(db, services.conversations.owner(person_of(update)))
        if row is None:
            return None
        case = await cases.latest_open_case_of_person(db, row.id)
        return (case.reference, row.language) if case is not None else None


async def offer_new_request(update: Update, context: BotContext, reference: str, lang: str) -> None:
    screen = context.renderer.choice(
        lang, "open-request", [("new-request", cb.encode(cb.NEW))], reference=reference
    )
    await send(update, context, screen)


async def add_to_open_case(update: Update, context: BotContext, text: str) -> bool:
    """Store a message in the person's open case and pass it on; False if there is none."""
    services = context.services
    async with services.sessions() as db, db.begin():
        row = await persons.find_person(db, services.conversations.owner(person_of(update)))
        case = await cases.latest_open_case_of_person(db, row.id) if row is not None else None
        if row is None or case is None:
            return False
        passed = await relay.from_person(db, services.cipher, services.translator, case, text)
        language, reference = row.language, case.reference
    if passed.holder is not None:
        await deliver(context.bot, services, passed.holder, passed.sends)
        await reply(update, context, language, "message-delivered")
    else:
        await send(
            update,
            context,
            Screen(context.renderer.text(language, "message-added", reference=reference)),
        )
    return True


async def volunteer_reply(update: Update, context: BotContext) -> bool:
    """A volunteer's reply (Telegram's reply feature) to a relayed message goes to the person."""
    message = update.effective_message
    if message is None or message.reply_to_message is None or not message.text:
        return False
    person = person_of(update)
    desk = context.services.desk
    try:
        async with desk.work(person, command_message_id=message.message_id) as work:
            replied = message.reply_to_message.message_id
            if not await talk.reply_to_relayed(work, replied, message.text):
                return False
            sends, me = work.sends, work.me
    except NotAVolunteer:
        return False
    await deliver(context.bot, context.services, me, sends)
    return True


async def volunteer_hint(update: Update, context: BotContext) -> bool:
    """A volunteer's stray text is not a new request: remind them how to write to a person."""
    language = await context.services.desk.language_of(person_of(update))
    if language is None:
        return False
    await reply(update, context, language, "desk-text-hint")
    return True


async def is_blocked(context: BotContext, person: Person) -> bool:
    """Whether a volunteer blocked this person from opening new requests, telling them (/block).

    A silent block (/block REF silent) is not one here: that person goes on as before, and
    their requests are held back from the desk instead (`storage.cases.held_back_cases`).
    """
    return await blocked_language(context, person) is not None


async def blocked_language(context: BotContext, person: Person) -> str | None:
    """The language of their last questionnaire if this person is blocked (and told so)."""
    services = context.services
    async with services.lookups() as db:
        row = await persons.find_person(db, services.conversations.owner(person))
        if row is None or row.blocked_at is None or row.blocked_silently:
            return None
        return row.language


async def after_closed(update: Update, context: BotContext, turn: Turn, text: str) -> bool:
    """A message from someone whose latest request is closed: kept, and they choose what next.

    The text waits (encrypted, in the draft) until they reopen that request or start a new
    one; it is added to whichever they choose. False if they have no closed request.
    """
    services = context.services
    async with services.lookups() as db:
        row = await persons.find_person(db, services.conversations.owner(person_of(update)))
        case = await cases.latest_case_of_person(db, row.id) if row is not None else None
        if row is None or case is None or case.status != "closed":
            return False
        reference, language = case.reference, row.language
    turn.pending.append(text)
    screen = context.renderer.choice(
        language,
        "after-close-offer",
        [("reopen-request", cb.encode(cb.REOPEN, reference)), ("new-request", cb.encode(cb.NEW))],
        reference=reference,
    )
    await send(update, context, screen)
    return True


async def reopen_pressed(
    update: Update, context: BotContext, turn: Turn, query: CallbackQuery, reference: str
) -> None:
    """ "Reopen": the closed request goes back to the queue with what they wrote since."""
    services = context.services
    person = person_of(update)
    await query.answer()
    outbox: list[Message] = []
    async with services.sessions() as db, db.begin():
        row = await persons.find_person(db, services.conversations.owner(person))
        case = await cases.get_case_by_reference(db, reference)
        if row is None or case is None or case.person_id != row.id:
            language = row.language if row is not None else turn.language
            await edit(context, query, Screen(context.renderer.text(language, "no-draft")))
            return
        language = row.language
        if row.blocked_at is not None and not row.blocked_silently:
            await edit(context, query, Screen(context.renderer.text(language, "blocked")))
            return
        if case.status != "closed":
            text = context.renderer.text(language, "reopen-not-closed", reference=reference)
            await edit(context, query, Screen(text))
            return
        holder_id = await cases.reopen(db, case)
        for text in turn.pending:
            await entries.add_entry(
                db, services.cipher, case, kind="person", body=text, author=None
            )
        await audit.record(db, "reopen", actor=None, case=case)
        holder = await db.get(Volunteer, holder_id) if holder_id else None
        if holder is not None and holder.revoked_at is None:
            told = context.renderer.text(holder.language, "desk-reopened", reference=reference)
            outbox.append(Message(services.desk.chat_of(holder), told))
        case_id = case.id
    turn.pending = []
    await edit(
        context, query, Screen(context.renderer.text(language, "reopened", reference=reference))
    )
    if holder is not None:
        await deliver(context.bot, services, holder, outbox)
    await notifications.announce_new_case(context.bot, services, case_id)
