"""Who may act on the desk, blocks, closing and reopening, over the real bot on both databases."""

from __future__ import annotations

from sqlalchemy import select

from bot.inprocess import BotThread
from bot.services import Services
from localapi import FakeUser, LocalBotApi
from storage.models import Volunteer
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import REFERENCE, submit_request, submit_request_from_language
from tests.e2e.test_desk import ADMIN_ID, admin_of, join_as_volunteer
from tests.support.people import command, say, tap

SECOND_ADMIN_ID = 5551001


def handle_of(bot: BotThread, user_id: int) -> str:
    """The desk handle of a Telegram account, read the way the bot finds it (by pseudonym)."""

    async def read(services: Services) -> str:
        pseudonym = services.desk.pseudonyms("volunteer", user_id)
        async with services.sessions() as db:
            handle = await db.scalar(
                select(Volunteer.handle).where(Volunteer.pseudonym == pseudonym)
            )
        assert handle is not None
        return str(handle)

    return bot.run(read)  # type: ignore[no-any-return]


def fill_in_up_to_review(user: FakeUser) -> None:
    """An English questionnaire from /start to the review, not sent."""
    command(user, "/start", expect="Choose your language")
    tap(user, "English", expect="not end-to-end encrypted")
    tap(user, "I understand, continue", expect="Who needs help?")
    tap(user, "I do", expect="What is the situation right now?")
    tap(user, "Contract soldier", expect="Where are you (or he/she) now?")
    tap(user, "In Russia", expect="Right now, are you")
    tap(user, "In the unit", expect="is there a case against")
    tap(user, "No", expect="health problems")
    tap(user, "No", expect="How urgent is it?")
    tap(user, "No deadline", expect="What help is needed?")
    tap(user, "Legal advice", expect="✅ Legal advice")
    tap(user, "Done", expect="Which documents are at hand?")
    tap(user, "Military ID", expect="✅ Military ID")
    tap(user, "Done", expect="Might someone check your phone")
    tap(user, "No", expect="choose a codeword")
    tap(user, "Skip", expect="If you like, tell us briefly")
    say(user, "Need advice.", expect="Please check your answers")


# -- 1. a configured admin can be revoked -------------------------------------------------------


def test_a_revoked_configured_admin_stays_revoked_also_after_a_restart(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    settings = make_settings(admin_ids=[ADMIN_ID, SECOND_ADMIN_ID])
    first = api.user(ADMIN_ID, language_code="en")
    second = api.user(SECOND_ADMIN_ID, language_code="en")
    with BotThread(settings) as bot:
        command(first, "/queue", expect="The queue is empty")
        command(second, "/queue", expect="The queue is empty")
        unknown = command(second, "/teleport", expect="I do not know this command").visible_text
        handle = handle_of(bot, SECOND_ADMIN_ID)
        command(first, "/revoke", args=handle, expect=f"{handle} no longer has access")
        assert command(second, "/queue", expect=unknown).visible_text == unknown
        assert command(second, "/volunteers", expect=unknown).visible_text == unknown
        listing = command(first, "/volunteers", expect="Volunteers:").visible_text
        assert f"{handle} · admin · " in listing
        assert "revoked" in next(line for line in listing.splitlines() if handle in line)
    with BotThread(settings):
        assert command(second, "/queue", expect=unknown).visible_text == unknown
        command(first, "/queue", expect="The queue is empty")
        # Only an invite brings the account back.
        invite = command(first, "/invite", args="admin", expect="One-time invite")
        code = invite.visible_text.split("/join ")[1].split()[0].rstrip(".")
        command(second, "/join", args=code, expect="Welcome to the desk")
        command(second, "/queue", expect="The queue is empty")


# -- 2. re-joining starts with nothing held before ----------------------------------------------


def test_a_reinvited_volunteer_does_not_regain_the_cases_they_held(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    with BotThread(make_settings(admin_ids=[ADMIN_ID])) as bot:
        admin = admin_of(api)
        volunteer = join_as_volunteer(api, admin, 5551102)
        reference = submit_request(api.user(5551101, language_code="en"), details="CLOSED-X1")
        command(volunteer, "/take", args=reference, expect=f"You took case {reference}")
        command(volunteer, "/close", args=reference, expect="is closed")
        seen = command(volunteer, "/case", args=reference, expect="Conversation:")
        assert "CLOSED-X1" in seen.visible_text  # the holder may read a case they closed
        old_handle = handle_of(bot, 5551102)
        command(admin, "/revoke", args=old_handle, expect="no longer has access")

        invite = command(admin, "/invite", expect="One-time invite")
        code = invite.visible_text.split("/join ")[1].split()[0].rstrip(".")
        welcome = command(volunteer, "/join", args=code, expect="Welcome to the desk")
        refused = command(
            volunteer, "/case", args=reference, expect=f"do not hold case {reference}"
        )
        assert "CLOSED-X1" not in refused.visible_text
        assert old_handle not in welcome.visible_text  # a fresh identity
        command(volunteer, "/mine", expect="You hold no open cases")
        trail = command(admin, "/audit", args=reference, expect=f"Trail of {reference}")
        assert old_handle in trail.visible_text  # the trail still names who acted


# -- 3. releasing or closing in the wrong state -------------------------------------------------


def test_release_of_a_waiting_case_and_close_of_a_closed_one_say_so(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    with BotThread(make_settings(admin_ids=[ADMIN_ID])):
        admin = admin_of(api)
        reference = submit_request(api.user(5551201, language_code="en"))
        waiting = command(admin, "/release", args=reference, expect="not held by anyone")
        assert waiting.visible_text == (
            f"Case {reference} is not held by anyone: it is already in the queue."
        )
        command(admin, "/close", args=reference, expect=f"Case {reference} is closed")
        again = command(admin, "/close", args=reference, expect="already")
        assert again.visible_text == f"Case {reference} is already closed."
        closed = command(admin, "/release", args=reference, expect="nothing to release")
        assert closed.visible_text == f"Case {reference} is closed; there is nothing to release."
        assert all("went wrong" not in m.visible_text for m in admin.bot_messages())


# -- 4. blocks: told in the questionnaire's language and early, or silent ----------------------


def test_a_blocked_person_is_told_early_in_the_language_of_their_questionnaire(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    # Two questionnaires: more than the default burst of 30 updates a minute.
    with BotThread(make_settings(admin_ids=[ADMIN_ID], flood_burst=100)):
        admin = admin_of(api)
        person = api.user(5551301, language_code="ru")  # the app in Russian, answers in English
        reference = submit_request(person)
        command(admin, "/close", args=reference, expect="is closed")
        # A questionnaire begun before the block: refused on sending, in English.
        fill_in_up_to_review(person)
        command(admin, "/block", args=reference, expect="can no longer open new requests")
        refused = tap(person, "Send the request", expect="cannot accept")
        assert refused.visible_text == "We cannot accept new requests from this account."
        # Afterwards at once: at /start, and when they begin by writing.
        started = command(person, "/start", expect="cannot accept")
        assert started.visible_text == "We cannot accept new requests from this account."
        wrote = say(person, "Hello again", expect="cannot accept")
        assert wrote.visible_text == "We cannot accept new requests from this account."
        assert all("Choose your language" not in m.visible_text for m in person.bot_messages()[-3:])


def test_a_silent_block_looks_normal_to_them_and_keeps_their_requests_off_the_desk(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    # Two questionnaires and a few messages: more than the default burst of 30 updates a minute.
    with BotThread(make_settings(admin_ids=[ADMIN_ID], flood_burst=100)):
        admin = admin_of(api)
        volunteer = join_as_volunteer(api, admin, 5551402)
        provocateur = api.user(5551401, language_code="en")
        first = submit_request(provocateur)
        volunteer.wait_for_text(f"New case {first}")
        blocked = command(admin, "/block", args=f"{first} silent", expect="blocked silently")
        assert first in blocked.visible_text
        # Their waiting request leaves the queue; they notice nothing.
        command(volunteer, "/queue", expect="The queue is empty")
        command(provocateur, "/status", expect=f"Your request {first} is waiting")
        say(provocateur, "More details.", expect=f"added to request {first}")
        command(admin, "/close", args=first, expect="is closed")
        say(provocateur, "Another thing", expect="Your message is kept")
        tap(provocateur, "Start a new request", expect="Choose your language")
        second = submit_request_from_language(provocateur)
        command(provocateur, "/status", expect=f"Your request {second} is waiting")

        # Someone else's request is announced; theirs never was.
        bystander = submit_request(api.user(5551403, language_code="en"))
        volunteer.wait_for_text(f"New case {bystander}")
        assert all(second not in m.visible_text for m in volunteer.bot_messages())
        queue = command(volunteer, "/queue", expect=bystander).visible_text
        assert second not in queue
        held = command(admin, "/queue", expect="Held back").visible_text
        assert second in held.splitlines()[-1]
        command(volunteer, "/take", expect=f"You took case {bystander}")
        command(volunteer, "/take", expect="No case is waiting")
        command(volunteer, "/take", args=second, expect="is held back")

        unblocked = command(admin, "/unblock", args=second, expect="no longer blocked")
        assert "1 request held back is now in the queue" in unblocked.visible_text
        taken = command(volunteer, "/take", expect=f"You took case {second}")
        assert second in taken.visible_text
        trail = command(admin, "/audit", args=first, expect=f"Trail of {first}")
        assert "block · silent" in trail.visible_text
        trail = command(admin, "/audit", args=second, expect=f"Trail of {second}")
        assert " · unblock" in trail.visible_text
        assert all("cannot accept" not in m.visible_text for m in provocateur.bot_messages())


# -- 5. a message after closing is never lost ---------------------------------------------------


def test_a_message_after_closing_can_reopen_the_request(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    with BotThread(make_settings(admin_ids=[ADMIN_ID], flood_burst=100)):
        admin = admin_of(api)
        volunteer = join_as_volunteer(api, admin, 5551502)
        person = api.user(5551501, language_code="en")
        reference = submit_request(person)
        command(volunteer, "/take", args=reference, expect=f"You took case {reference}")
        command(volunteer, "/close", args=reference, expect="is closed")
        command(person, "/status", expect="just write here")
        offer = say(person, "REOPEN-TEXT-5 it happened again", expect="Your message is kept")
        assert reference in offer.visible_text
        assert "Choose your language" not in offer.visible_text
        mark = volunteer.mark()
        tap(person, "Reopen that request", expect=f"Your request {reference} is open again")
        told = volunteer.wait_for_text(
            f"Case {reference}, which you held, was reopened", after=mark
        )
        assert "REOPEN-TEXT-5" not in told.visible_text  # content-free
        command(person, "/status", expect=f"Your request {reference} is waiting")
        taken = command(volunteer, "/take", args=reference, expect="Conversation:")
        assert "REOPEN-TEXT-5 it happened again" in taken.visible_text


def test_a_message_after_closing_can_start_a_new_request_and_goes_with_it(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    with BotThread(make_settings(admin_ids=[ADMIN_ID], flood_burst=100)):
        admin = admin_of(api)
        person = api.user(5551601, language_code="en")
        reference = submit_request(person)
        command(admin, "/close", args=reference, expect="is closed")
        say(person, "NEW-TEXT-6 a new problem", expect="Your message is kept")
        tap(person, "Start a new request", expect="Choose your language")
        second = submit_request_from_language(person)
        assert second != reference
        taken = command(admin, "/take", args=second, expect="Conversation:")
        assert "NEW-TEXT-6 a new problem" in taken.visible_text
        old = command(admin, "/case", args=reference, expect="Conversation:")
        assert "NEW-TEXT-6" not in old.visible_text


# -- 6. the close reason stays internal ----------------------------------------------------------


def test_the_close_reason_never_reaches_the_person(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    with BotThread(make_settings(admin_ids=[ADMIN_ID], flood_burst=100)):
        admin = admin_of(api)
        person = api.user(5551701, language_code="en")
        reference = submit_request(person)
        command(admin, "/take", args=reference, expect=f"You took case {reference}")
        command(admin, "/close", args=f"{reference} suspected provocation", expect="is closed")
        closed = person.wait_for_text("has been closed")
        assert closed.visible_text == (
            f"Your request {reference} has been closed. If you need help again, just write here."
        )
        command(person, "/status", expect="was closed")
        assert all("provocation" not in m.visible_text for m in person.bot_messages())
        view = command(admin, "/case", args=reference, expect="Conversation:")
        assert "suspected provocation" in view.visible_text
        trail = command(admin, "/audit", args=reference, expect=f"Trail of {reference}")
        close_line = next(line for line in trail.visible_text.splitlines() if " · close" in line)
        assert close_line.endswith(" · close · reason (internal): suspected provocation")
        help_text = command(admin, "/help", expect="/close REF").visible_text
        assert "/reply first" in help_text


# -- 7. desk texts that say what they mean -------------------------------------------------------


def test_desk_lists_say_what_their_numbers_mean(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    with BotThread(make_settings(admin_ids=[ADMIN_ID])) as bot:
        admin = admin_of(api)
        volunteer = join_as_volunteer(api, admin, 5551802)
        urgent = submit_request(api.user(5551801, language_code="en"), urgent=True)
        calm = submit_request(api.user(5551803, language_code="en"))
        queue = command(volunteer, "/queue", expect="2 cases are waiting").visible_text
        lines = queue.splitlines()
        assert lines[1].startswith(f"{urgent} · 🔴 URGENT · priority 1 ·")
        assert lines[2].startswith(f"{calm} · priority 3")
        assert "Priority 1 is the most urgent" in queue

        command(volunteer, "/take", args=calm, expect=f"You took case {calm}")
        mine = command(volunteer, "/mine", expect="Your open cases").visible_text
        assert "yours for " in mine
        assert "waiting" not in mine

        command(volunteer, "/canned", args=f"{calm} safety", expect="Sent to the person")
        trail = command(admin, "/audit", args=calm, expect=f"Trail of {calm}").visible_text
        actions = [line.split(" · ")[2] for line in trail.splitlines()[1:]]
        assert actions == ["claim", "view", "canned"], trail

        handle = handle_of(bot, 5551802)
        listing = command(admin, "/volunteers", expect="Volunteers:").visible_text
        line = next(line for line in listing.splitlines() if line.startswith(handle))
        assert line == f"{handle} · volunteer · last active within the hour"
        assert REFERENCE.search(line) is None
