"""Sealed mode over two real bots: the desk's whole working day, from the desk bot, with
people writing to the intake bot, which holds no key that opens a case."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from bot.handlers.desk import COMMANDS
from bot.services import Services
from storage import signals as signal_store
from storage.models import Case, CaseEntry, Delivery, DeskSignal, Person, RelayLink, Volunteer
from tests.e2e.flows import REFERENCE, submit_request
from tests.e2e.sealed import SealedPair, start_sealed
from tests.e2e.test_followup import make_due, reminder_round
from tests.e2e.test_handover import handle_of
from tests.e2e.test_send_now import MARKER, is_review, press, prompt_of, to_send_now, until
from tests.support.people import command, eventually, say, tap


def count(pair: SealedPair, model: type) -> int:
    async def read(services: Services) -> int:
        async with services.sessions() as db:
            return int(await db.scalar(select(func.count()).select_from(model)) or 0)

    return pair.desk.run(read)  # type: ignore[no-any-return]


def test_the_desk_works_a_case_from_the_desk_bot(sealed: SealedPair) -> None:
    admin = sealed.admin()
    volunteer = sealed.volunteer(admin, 5560002)
    person = sealed.people.user(5560100, language_code="en", first_name="Personname")

    reference = submit_request(person, details="My unit holds my passport.")
    notice = volunteer.wait_for_text(f"New case {reference}")
    assert "passport" not in notice.visible_text  # notices carry no content

    command(volunteer, "/queue", expect=reference)
    taken = command(volunteer, "/take", expect="Case " + reference)
    assert "My unit holds my passport." in taken.visible_text  # only the desk can read it
    command(person, "/status", expect="A volunteer is working on your request")

    handed = command(volunteer, "/reply", args=f"{reference} Hello, we are here to help.",
                     expect="Handed to the intake bot")  # fmt: skip
    assert reference in handed.visible_text
    person.wait_for_text("Hello, we are here to help.")  # from the intake bot

    say(person, "Thank you, what should I do?", expect="was added to request")
    relayed = volunteer.wait_for_text("what should I do?")
    assert reference in relayed.visible_text
    # The bot remembers which case a relayed message is of just after sending it.
    eventually(lambda: count(sealed, RelayLink) == 1, what="the relayed message linked")
    volunteer.send_text("Stay where you are for now.", reply_to=relayed.message_id)
    person.wait_for_text("Stay where you are for now.")

    command(volunteer, "/note", args=f"{reference} Called the lawyer.", expect="Note added")
    shown = command(volunteer, "/case", args=reference, expect="Called the lawyer.")
    assert "Thank you, what should I do?" in shown.visible_text

    command(volunteer, "/close", args=f"{reference} Advice given.", expect="closed")
    person.wait_for_text("closed")
    command(person, "/status", expect="closed")
    eventually(lambda: count(sealed, Delivery) == 0)  # each sent once, then deleted
    eventually(lambda: count(sealed, DeskSignal) == 0)


def test_forget_on_the_intake_clears_the_desk(sealed: SealedPair) -> None:
    admin = sealed.admin()
    volunteer = sealed.volunteer(admin, 5560003)
    person = sealed.people.user(5560101, language_code="en")
    reference = submit_request(person, details="Please erase me later.")
    view = command(volunteer, "/take", expect="Please erase me later.")

    command(person, "/forget", expect="Erase everything you sent")
    tap(person, "Yes, erase everything", expect="the bot has erased everything")
    volunteer.wait_for_text(f"The person of case {reference} erased their data")
    eventually(lambda: view.message_id not in {m.message_id for m in volunteer.messages()},
               what="the case view deleted")  # fmt: skip
    command(volunteer, "/case", args=reference, expect="There is no case")
    assert count(sealed, Person) == 0


def test_each_bot_serves_only_its_own_people(sealed: SealedPair) -> None:
    admin = sealed.admin()
    person = sealed.people.user(5560102, language_code="en")
    for name in sorted(COMMANDS):  # no desk on the intake bot: every desk command is unknown
        command(person, f"/{name}", expect="I do not know this command")
    admin_on_intake = sealed.people.user(admin.id, language_code="en")
    command(admin_on_intake, "/queue", expect="I do not know this command")

    stranger = sealed.desk_api.user(5560103, language_code="en", first_name="Stranger")
    for sent in ("/start", "/queue", "/take", "/join NOPE", "hello"):
        if sent.startswith("/"):
            name, _, args = sent.partition(" ")
            command(stranger, name, args=args or None, expect="This is a private bot.")
        else:
            say(stranger, sent, expect="This is a private bot.")
    assert count(sealed, Volunteer) == 1  # only the admin: nothing about the stranger
    assert count(sealed, Person) == 0


def test_follow_ups_wait_sealed_while_the_desk_is_away(sealed: SealedPair) -> None:
    admin = sealed.admin()
    volunteer = sealed.volunteer(admin, 5560004)
    person = sealed.people.user(5560104, language_code="en")
    reference = submit_request(person)
    command(volunteer, "/take", expect="Case " + reference)

    sealed.desk.stop()
    say(person, "Are you still there?", expect="was added to request")
    second = sealed.people.user(5560105, language_code="en")
    second_reference = submit_request(second, details="Submitted while the desk was down.")

    def waiting() -> int:
        async def read(services: Services) -> int:
            async with services.sessions() as db:
                return await signal_store.waiting(db)

        return sealed.intake.run(read)  # type: ignore[no-any-return]

    eventually(lambda: waiting() == 2, what="both kept for the desk")  # nothing lost
    sealed.restart_desk()
    volunteer.wait_for_text("Are you still there?")
    volunteer.wait_for_text(f"New case {second_reference}")
    eventually(lambda: waiting() == 0)
    entries = count(sealed, CaseEntry)
    assert entries == 1


def test_replies_wait_while_the_intake_is_away_and_go_once_in_order(sealed: SealedPair) -> None:
    admin = sealed.admin()
    volunteer = sealed.volunteer(admin, 5560005)
    person = sealed.people.user(5560106, language_code="en")
    reference = submit_request(person)
    command(volunteer, "/take", expect="Case " + reference)

    sealed.intake.stop()
    for number in range(1, 4):
        command(volunteer, "/reply", args=f"{reference} Reply number {number}.",
                expect="Handed to the intake bot")  # fmt: skip
    assert count(sealed, Delivery) == 3  # waiting, sealed to the intake's delivery key
    mark = person.mark()
    sealed.restart_intake()
    person.wait_for_text("Reply number 3.", after=mark)
    eventually(lambda: count(sealed, Delivery) == 0, what="each deleted once sent")
    said = [m.text for m in person.bot_messages() if "Reply number" in (m.text or "")]
    assert said == [f"💬 Your volunteer:\nReply number {n}." for n in (1, 2, 3)]


def test_the_retention_purge_on_the_desk_clears_the_case_views(
    tmp_path: Path, postgresql_url: str
) -> None:
    fast = {"housekeeping_interval_minutes": 0.01, "retention_days": 30}
    with start_sealed(tmp_path, postgresql_url, desk=fast) as pair:
        admin = pair.admin()
        volunteer = pair.volunteer(admin, 5560006)
        reference = submit_request(pair.people.user(5560107, language_code="en"),
                                   details="Retention Avocet-77.")  # fmt: skip
        command(volunteer, "/take", expect="Avocet-77")
        command(volunteer, "/close", args=reference, expect="is closed")

        async def age(services: Services) -> None:
            async with services.sessions() as db, db.begin():
                case = await db.scalar(select(Case).where(Case.reference == reference))
                assert case is not None
                case.closed_at = datetime.now(UTC) - timedelta(days=31)

        pair.desk.run(age)
        eventually(lambda: count(pair, Case) == 0, what="the case purged")
        eventually(lambda: not [m for m in volunteer.messages() if "Avocet-77" in (m.text or "")],
                   what="its view gone from the volunteer's chat")  # fmt: skip


def test_a_codeword_check_is_judged_by_the_desk(sealed: SealedPair) -> None:
    admin = sealed.admin()
    volunteer = sealed.volunteer(admin, 5560007)
    person = sealed.people.user(5560108, language_code="en")
    reference = submit_request(person, codeword="green river")
    command(volunteer, "/take", expect="Case " + reference)

    command(volunteer, "/verify", args=reference, expect="is asked for their codeword")
    person.wait_for_text("A volunteer asks for your codeword")
    say(person, "red river", expect="It is being checked")
    person.wait_for_text("That does not match. You can try 2 more times.")
    volunteer.wait_for_text("does not match (try 1 of 3)")
    command(volunteer, "/reply", args=f"{reference} Held until it matches.", expect="Kept")
    mark = person.mark()
    say(person, "Green  River", expect="It is being checked")
    person.wait_for_text("Thank you, that is right.", after=mark)
    person.wait_for_text("Held until it matches.", after=mark)
    volunteer.wait_for_text("the codeword matches")
    shown = command(volunteer, "/case", args=reference, expect=reference)
    assert "green river" not in shown.visible_text.lower()  # never stored, never shown


def test_on_postgresql_each_bot_hears_of_the_others_work_at_once(
    tmp_path: Path, postgresql_url: str
) -> None:
    """LISTEN/NOTIFY: with the loops looking only every 60 s, a new case, a follow-up and a
    reply still cross between the bots within the usual few seconds."""
    slow = {"sealed_poll_seconds": 60}
    with start_sealed(tmp_path, postgresql_url, intake=slow, desk=slow) as pair:
        admin = pair.admin()
        volunteer = pair.volunteer(admin, 5560009)
        person = pair.people.user(5560110, language_code="en")
        time.sleep(1)  # both loops are past their first round, waiting for 60 s
        reference = submit_request(person)
        volunteer.wait_for_text(f"New case {reference}", timeout=10)
        command(volunteer, "/take", expect="Case " + reference)
        command(volunteer, "/reply", args=f"{reference} Heard at once.", expect="Handed")
        person.wait_for_text("Heard at once.", timeout=10)
        say(person, "And back at once.", expect="was added to request")
        volunteer.wait_for_text("And back at once.", timeout=10)


def test_handover_teams_and_reminders_work_from_the_desk_bot(sealed: SealedPair) -> None:
    admin = sealed.admin()
    first = sealed.volunteer(admin, 5560011)
    second = sealed.volunteer(admin, 5560012)
    second_handle = handle_of(sealed.desk, 5560012)
    person = sealed.people.user(5560111, language_code="en")
    reference = submit_request(person, details="Handover Avocet-55.")
    command(first, "/take", args=reference, expect="Avocet-55")

    command(admin, "/team", args=f"{second_handle} +psych", expect="is now in:")
    command(first, "/transfer", args=f"{reference} psych Needs to talk.", expect="now waits in")
    command(second, "/take", args=reference, expect="Avocet-55")
    command(second, "/remind", args=f"{reference} 2d Call back.", expect="Reminder set")
    make_due(sealed.desk)
    reminder_round(sealed.desk)
    second.wait_for_text(f"⏰ Reminder, case {reference}: Call back.")
    command(second, "/assign", args=f"{reference} {handle_of(sealed.desk, 5560011)} Over to you.",
            expect="now held by")  # fmt: skip
    first.wait_for_text(f"handed case {reference} to you")
    command(first, "/reply", args=f"{reference} Back with you.", expect="Handed")
    person.wait_for_text("Back with you.")


def test_send_now_then_the_rest_reaches_the_desk_whole(sealed: SealedPair) -> None:
    """The intake cannot open the case it sent early: the rest of the answers are sealed under
    a key of their own, and the desk reads the fuller set."""
    admin = sealed.admin()
    volunteer = sealed.volunteer(admin, 5560013)
    person = sealed.people.user(5560112, language_code="en")
    sent = press(person, to_send_now(person, "en"), "u")
    found = REFERENCE.search(sent.visible_text)
    assert found is not None
    reference = found.group(0)
    volunteer.wait_for_text(f"New case {reference}")
    taken = command(volunteer, "/take", expect="Case " + reference)
    assert MARKER not in taken.visible_text

    person.press_data(sent.message_id, "a")
    eventually(lambda: prompt_of(person).message_id > sent.message_id, what="the rest asked")
    press(person, until(person, "en", is_review), "S")
    volunteer.wait_for_text("answered more questions")
    command(volunteer, "/case", args=reference, expect=MARKER)


def test_an_edited_follow_up_reaches_the_desk_as_an_edit(sealed: SealedPair) -> None:
    admin = sealed.admin()
    volunteer = sealed.volunteer(admin, 5560014)
    person = sealed.people.user(5560113, language_code="en")
    reference = submit_request(person)
    command(volunteer, "/take", expect="Case " + reference)
    say(person, "My passport number is 4512 889911.", expect="was added to request")
    volunteer.wait_for_text("My passport number is 4512 889911.")
    sent = [m for m in person.messages() if m.text == "My passport number is 4512 889911."]
    person.edit_text(sent[-1].message_id, "They hold my passport.")
    person.wait_for_text("Your edit replaced that message in your request")
    volunteer.wait_for_text("the person edited a message to: They hold my passport.")
    shown = command(volunteer, "/case", args=reference, expect="They hold my passport.")
    assert "4512" not in shown.visible_text


def test_a_signal_that_cannot_be_acted_on_does_not_hold_back_the_rest(sealed: SealedPair) -> None:
    admin = sealed.admin()
    volunteer = sealed.volunteer(admin, 5560015)
    person = sealed.people.user(5560114, language_code="en")
    reference = submit_request(person)
    command(volunteer, "/take", expect="Case " + reference)
    sealed.desk.stop()
    say(person, "This one gets damaged.", expect="was added to request")

    async def damage(services: Services) -> None:
        async with services.sessions() as db, db.begin():
            await db.execute(update(CaseEntry).values(body_enc=b"\x01" + b"\x00" * 40))

    sealed.intake.run(damage)
    later = submit_request(sealed.people.user(5560115, language_code="en"))
    sealed.restart_desk()
    volunteer.wait_for_text(f"New case {later}")  # behind the damaged one, still announced
    eventually(lambda: count(sealed, DeskSignal) == 0, what="the damaged one dropped")
    assert not [m for m in volunteer.messages() if "gets damaged" in (m.text or "")]
