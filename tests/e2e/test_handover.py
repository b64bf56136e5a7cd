"""Handing a case on over the real bot: /transfer to another team's queue, /assign to a named
volunteer, /tag, /priority, /reopen; each audited, the person told nothing, team notices without
content."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.inprocess import BotThread
from bot.services import Services
from localapi import FakeUser, LocalBotApi
from storage.models import AuditEvent, Case, CaseCopy, Volunteer
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import REFERENCE, submit_request
from tests.e2e.test_desk import ADMIN_ID, admin_of, join_as_volunteer
from tests.e2e.test_desk_access import handle_of
from tests.e2e.test_send_now import is_review, press, prompt_of, to_send_now, until
from tests.e2e.test_teams import DUTY_ID, LEGAL_ID, stored_route, teams_of_two
from tests.support.people import command, eventually

NOTE = "Call after six, the phone is shared"


@pytest.fixture
def desk_bot(make_settings: SettingsFactory) -> Iterator[BotThread]:
    with BotThread(make_settings(admin_ids=[ADMIN_ID], flood_burst=200)) as runner:
        yield runner


def audit_details(bot: BotThread, reference: str, action: str) -> list[str]:
    async def read(services: Services) -> list[str]:
        async with services.sessions() as db:
            rows = await db.scalars(
                select(AuditEvent.detail)
                .where(AuditEvent.case_reference == reference, AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
            return [str(detail) for detail in rows]

    return bot.run(read)  # type: ignore[no-any-return]


def stored_priority(bot: BotThread, reference: str) -> int:
    async def read(services: Services) -> int:
        async with services.sessions() as db:
            return int(await db.scalar(select(Case.priority).where(Case.reference == reference)))

    return bot.run(read)  # type: ignore[no-any-return]


def new_bot_messages(user: FakeUser, mark: int) -> list[str]:
    return [m.visible_text for m in user.bot_messages() if m.message_id > mark]


def test_transfer_moves_a_case_to_another_teams_queue(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin, legal, duty = teams_of_two(api, desk_bot)
    legal_handle = handle_of(desk_bot, LEGAL_ID)
    person = api.user(5560200, language_code="en")
    calm = submit_request(person)
    legal.wait_for_text(f"New case {calm}")
    command(legal, "/take", args=calm, expect=f"You took case {calm}")
    told = person.mark()

    # The holder moves it: it waits in Duty's queue, Duty hears of it without content.
    duty_mark = duty.mark()
    moved = command(legal, "/transfer", args=f"{calm} DUTY {NOTE}", expect="now waits")
    assert moved.visible_text == f"Case {calm} now waits in the queue of Duty (urgent)."
    notice = duty.wait_for_text(f"Case {calm} was moved", after=duty_mark).visible_text
    assert notice == (
        f"➡️ Case {calm} was moved to the queue of Duty (urgent) · priority 3 · en. /take {calm}"
    )
    admin.wait_for_text(f"Case {calm} was moved")  # in no team: works every queue
    assert stored_route(desk_bot, calm)[0] == "duty"
    assert calm not in command(legal, "/mine", expect="").visible_text
    assert calm in command(duty, "/queue", expect="Queue of: Duty (urgent)").visible_text
    command(legal, "/queue", expect="No case is waiting for: Legal")
    # The note is an internal note of the case; the person was told nothing.
    view = command(duty, "/take", args=calm, expect="Conversation:").visible_text
    assert f"note by {legal_handle}" in view
    assert NOTE in view
    assert "Team: Duty (urgent)" in view
    assert new_bot_messages(person, told) == []

    # Not the holder (nor an admin): refused. Unknown team, same team, usage: one line each.
    command(legal, "/transfer", args=f"{calm} legal", expect=f"You do not hold case {calm}.")
    unknown = command(duty, "/transfer", args=f"{calm} lawyers", expect="There is no team")
    assert unknown.visible_text == (
        "There is no team lawyers. Teams: duty, evacuation, asylum, legal, psych"
    )
    command(duty, "/transfer", args=f"{calm} duty", expect="is already in the queue of Duty")
    command(duty, "/transfer", args=calm, expect="Usage: /transfer REF TEAM [note]")

    # An admin may move someone else's case: its holder is told it is no longer theirs.
    command(admin, "/transfer", args=f"{calm} evacuation", expect="now waits in the queue of")
    away = duty.wait_for_text(f"Case {calm}, which you held").visible_text
    assert away == (
        f"Case {calm}, which you held, was moved by {handle_of(desk_bot, ADMIN_ID)} to the "
        "queue of Evacuation. It is no longer yours."
    )
    assert NOTE not in notice
    assert NOTE not in away
    assert audit_details(desk_bot, calm, "transfer") == ["legal -> duty", "duty -> evacuation"]
    command(admin, "/close", args=calm, expect="is closed")
    command(admin, "/transfer", args=f"{calm} legal", expect=f"/reopen {calm} first")


def test_tags_and_priority_set_by_hand(api: LocalBotApi, desk_bot: BotThread) -> None:
    admin, legal, duty = teams_of_two(api, desk_bot)
    person = api.user(5560210, language_code="en")
    calm = submit_request(person)
    legal.wait_for_text(f"New case {calm}")
    command(legal, "/take", args=calm, expect=f"You took case {calm}")
    told = person.mark()

    tagged = command(legal, "/tag", args=f"{calm} +health +CRIMINAL_CASE", expect="Tags of")
    assert tagged.visible_text == f"Tags of {calm}: criminal case, health"
    command(legal, "/tag", args=f"{calm} -criminal_case", expect=f"Tags of {calm}: health")
    assert stored_route(desk_bot, calm) == ("legal", "health")
    unknown = command(legal, "/tag", args=f"{calm} +lawyer", expect="There is no tag")
    assert unknown.visible_text == (
        "There is no tag lawyer. Tags: criminal_case, health, checked_phone, foreign, relative, "
        "documents_taken"
    )
    command(legal, "/tag", args=f"{calm} health", expect="Usage: /tag REF +TAG -TAG")
    command(duty, "/tag", args=f"{calm} +health", expect=f"You do not hold case {calm}.")
    assert "Team: Legal · health" in command(legal, "/case", args=calm, expect="Team:").visible_text

    changed = command(legal, "/priority", args=f"{calm} 1", expect="Priority of")
    assert changed.visible_text == f"Priority of {calm}: 3 → 1."
    assert stored_priority(desk_bot, calm) == 1
    for wrong in ("5", "0", "high"):
        refused = command(legal, "/priority", args=f"{calm} {wrong}", expect="The priority is")
        assert refused.visible_text == (
            f"The priority is a number from 1 (most urgent) to 4, not {wrong}."
        )
    command(legal, "/priority", args=calm, expect="Usage: /priority REF N")
    command(duty, "/priority", args=f"{calm} 2", expect=f"You do not hold case {calm}.")
    command(admin, "/priority", args=f"{calm} 2", expect=f"Priority of {calm}: 1 → 2.")

    assert audit_details(desk_bot, calm, "tag") == ["+health +criminal_case", "-criminal_case"]
    assert audit_details(desk_bot, calm, "priority") == ["3 -> 1", "1 -> 2"]
    assert new_bot_messages(person, told) == []


def test_assign_hands_a_case_to_a_named_volunteer(api: LocalBotApi, desk_bot: BotThread) -> None:
    admin, legal, duty = teams_of_two(api, desk_bot)
    legal_handle, duty_handle = handle_of(desk_bot, LEGAL_ID), handle_of(desk_bot, DUTY_ID)
    admin_handle = handle_of(desk_bot, ADMIN_ID)
    person = api.user(5560220, language_code="en")
    calm = submit_request(person)
    legal.wait_for_text(f"New case {calm}")
    command(legal, "/take", args=calm, expect=f"You took case {calm}")
    told = person.mark()

    # The holder hands it on with a note: the new holder sees the note, the person nothing.
    given = command(legal, "/assign", args=f"{calm} @{duty_handle} {NOTE}", expect="now held by")
    assert given.visible_text == f"Case {calm} is now held by {duty_handle}; they were told."
    got = duty.wait_for_text(f"handed case {calm} to you").visible_text
    assert got == (
        f"📥 {legal_handle} handed case {calm} to you: you hold it now. /case {calm} to read it.\n"
        f"📝 Internal note (never sent to the person): {NOTE}"
    )
    assert calm in command(duty, "/mine", expect=calm).visible_text
    command(legal, "/reply", args=f"{calm} hello", expect=f"You do not hold case {calm}.")
    command(duty, "/reply", args=f"{calm} We are on it.", expect="Sent to the person")
    person.wait_for_text("We are on it.")
    assert NOTE not in "".join(new_bot_messages(person, told))
    assert NOTE in command(duty, "/case", args=calm, expect="Conversation:").visible_text

    # The note shown to the new holder is a copy of the case's content, kept as theirs.
    async def copies_of_duty(services: Services) -> int:
        async with services.sessions() as db:
            duty_id = await db.scalar(select(Volunteer.id).where(Volunteer.handle == duty_handle))
            rows = await db.scalars(select(CaseCopy).where(CaseCopy.volunteer_id == duty_id))
            return len(rows.all())

    assert desk_bot.run(copies_of_duty) >= 2  # the note, and the /case view

    # An admin takes it from its holder for another: the previous holder is told.
    command(admin, "/assign", args=f"{calm} {legal_handle}", expect=f"now held by {legal_handle}")
    legal.wait_for_text(f"{admin_handle} handed case {calm} to you")
    away = duty.wait_for_text(f"Case {calm}, which you held").visible_text
    assert away == (
        f"Case {calm}, which you held, was handed to {legal_handle} by {admin_handle}. "
        "It is no longer yours."
    )
    command(admin, "/assign", args=f"{calm} {legal_handle}", expect="already holds")

    # A waiting case of another team becomes theirs too.
    urgent = submit_request(api.user(5560221, language_code="en"), urgent=True)
    duty.wait_for_text(f"New case {urgent}")
    command(admin, "/assign", args=f"{urgent} {legal_handle}", expect="now held by")
    assert urgent in command(legal, "/mine", expect=urgent).visible_text

    # Unknown or revoked handles, and someone who does not hold the case: one line each.
    join_as_volunteer(api, admin, 5560222)
    gone_handle = handle_of(desk_bot, 5560222)
    command(admin, "/revoke", args=gone_handle, expect="went back to the queue")
    revoked = command(admin, "/assign", args=f"{calm} {gone_handle}", expect="no active")
    assert revoked.visible_text == f"There is no active volunteer {gone_handle}."
    command(admin, "/assign", args=f"{calm} nobody-here-00", expect="no active volunteer")
    command(duty, "/assign", args=f"{calm} {duty_handle}", expect=f"You do not hold case {calm}.")
    command(admin, "/assign", args=calm, expect="Usage: /assign REF HANDLE [note]")
    assert audit_details(desk_bot, calm, "assign") == [duty_handle, legal_handle]
    assert audit_details(desk_bot, urgent, "assign") == [legal_handle]


def test_reopen_puts_a_closed_case_back_in_its_teams_queue(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin, legal, duty = teams_of_two(api, desk_bot)
    person = api.user(5560230, language_code="en")
    calm = submit_request(person)
    legal.wait_for_text(f"New case {calm}")
    command(legal, "/take", args=calm, expect=f"You took case {calm}")
    command(legal, "/reopen", args=calm, expect=f"Case {calm} is not closed.")
    command(legal, "/close", args=calm, expect="is closed")
    person.wait_for_text("has been closed")
    told = person.mark()

    command(duty, "/reopen", args=calm, expect=f"You do not hold case {calm}.")
    admin_mark = admin.mark()
    back = command(legal, "/reopen", args=calm, expect="is open again")
    assert back.visible_text == f"Case {calm} is open again and waits in the queue of Legal."
    # The team hears of it as of a new case (the admin is in no team: every queue).
    notice = admin.wait_for_text(f"New case {calm}", after=admin_mark).visible_text
    assert notice == f"🆕 New case {calm} · priority 3 · en. /take {calm}"
    assert calm in command(legal, "/queue", expect="Queue of: Legal").visible_text
    assert new_bot_messages(person, told) == []
    command(legal, "/take", args=calm, expect=f"You took case {calm}")
    command(legal, "/close", args=calm, expect="is closed")
    command(admin, "/reopen", args=calm, expect="is open again")
    command(admin, "/reopen", args="ZZZZ-ZZZZ", expect="There is no case ZZZZ-ZZZZ.")
    command(admin, "/reopen", args="", expect="Usage: /reopen REF")
    trail = command(admin, "/audit", args=calm, expect=f"Trail of {calm}").visible_text
    assert trail.count(" · reopen") == 2


def test_handover_commands_from_a_non_volunteer_look_unknown(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    stranger = api.user(5560299, language_code="en")
    reference = submit_request(stranger)
    unknown = command(stranger, "/teleport", expect="I do not know this command").visible_text
    handle = handle_of(desk_bot, ADMIN_ID)
    for name, args in (("/transfer", f"{reference} legal note"), ("/tag", f"{reference} +health"),
                       ("/priority", f"{reference} 1"), ("/assign", f"{reference} {handle}"),
                       ("/reopen", reference)):  # fmt: skip
        mark = stranger.mark()
        stranger.send_command(name, args)
        answer = stranger.wait_for(lambda m: True, after=mark)
        assert answer.visible_text == unknown, name
    assert audit_details(desk_bot, reference, "transfer") == []
    command(admin, "/queue", expect=reference)


def test_what_the_desk_set_by_hand_stays_when_the_rest_of_send_now_comes(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    """The rest of a "Send now" request routes a waiting case again on the fuller answers
    (tests/e2e/test_teams.py), but a team and tags set by hand stay: a tag the fuller answers
    add is added, one a volunteer removed is not put back."""
    admin = admin_of(api)
    person = api.user(5560240, language_code="en")
    sent = press(person, to_send_now(person, "en"), "u")
    found = REFERENCE.search(sent.visible_text)
    assert found is not None
    reference = found.group(0)
    assert stored_route(desk_bot, reference) == ("duty", "criminal_case health")
    command(admin, "/transfer", args=f"{reference} asylum", expect="now waits")
    command(admin, "/tag", args=f"{reference} -health +relative", expect="Tags of")

    person.press_data(sent.message_id, "a")
    eventually(lambda: prompt_of(person).message_id > sent.message_id, what="the rest asked")
    press(person, until(person, "en", is_review), "S")
    person.wait_for_text(f"added to your request {reference}")
    # The phone question came after Send now: its tag is added; health stays removed.
    assert stored_route(desk_bot, reference) == ("asylum", "criminal_case relative checked_phone")
