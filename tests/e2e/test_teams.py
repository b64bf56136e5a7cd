"""Teams over the real bot: each case lands in its team's queue (dialogs/routing.yaml), teams
never see each other's queue or notices, /take is from one's own teams, admins' /team and /teams."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.inprocess import BotThread
from bot.services import Services
from localapi import FakeUser, LocalBotApi
from storage.models import AuditEvent, Case
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import REFERENCE, submit_request
from tests.e2e.test_commands_and_outages import _break_database, _mend_database
from tests.e2e.test_desk import ADMIN_ID, admin_of, join_as_volunteer
from tests.e2e.test_desk_access import handle_of
from tests.e2e.test_send_now import is_review, press, prompt_of, to_send_now, until
from tests.support.people import command, eventually, say, tap

LEGAL_ID, DUTY_ID = 5560002, 5560003


@pytest.fixture
def desk_bot(make_settings: SettingsFactory) -> Iterator[BotThread]:
    with BotThread(make_settings(admin_ids=[ADMIN_ID])) as runner:
        yield runner


def stored_route(bot: BotThread, reference: str) -> tuple[str | None, str | None]:
    async def read(services: Services) -> tuple[str | None, str | None]:
        async with services.sessions() as db:
            row = (
                await db.execute(select(Case.team, Case.tags).where(Case.reference == reference))
            ).one()
        return row.team, row.tags

    return bot.run(read)  # type: ignore[no-any-return]


def teams_of_two(api: LocalBotApi, bot: BotThread) -> tuple[FakeUser, FakeUser, FakeUser]:
    """An admin in no team, a volunteer in Legal, one in Duty."""
    admin = admin_of(api)
    legal = join_as_volunteer(api, admin, LEGAL_ID)
    duty = join_as_volunteer(api, admin, DUTY_ID)
    legal_handle, duty_handle = handle_of(bot, LEGAL_ID), handle_of(bot, DUTY_ID)
    command(
        admin, "/team", args=f"{legal_handle} +legal", expect=f"{legal_handle} is now in: Legal"
    )
    command(admin, "/team", args=f"{duty_handle} +DUTY", expect="is now in: Duty (urgent)")
    return admin, legal, duty


def test_two_teams_never_see_each_others_queue(api: LocalBotApi, desk_bot: BotThread) -> None:
    admin, legal, duty = teams_of_two(api, desk_bot)

    # A contract soldier asking for legal advice, no deadline: Legal. In danger now: Duty.
    calm = submit_request(api.user(5560100, language_code="en"))
    legal.wait_for_text(f"New case {calm}")
    urgent = submit_request(api.user(5560101, language_code="en"), urgent=True)
    duty.wait_for_text(f"New case {urgent}")
    assert stored_route(desk_bot, calm) == ("legal", "")
    assert stored_route(desk_bot, urgent) == ("duty", "")
    # New-case notices go to the case's team (and to who is in no team, the admin here).
    admin.wait_for_text(f"New case {urgent}")
    assert not any(f"New case {calm}" in m.visible_text for m in duty.bot_messages())
    assert not any(f"New case {urgent}" in m.visible_text for m in legal.bot_messages())

    mine = command(legal, "/queue", expect="Queue of: Legal").visible_text
    assert calm in mine
    assert urgent not in mine
    assert "1 case is waiting" in mine
    assert "· in the forces · Legal · en ·" in mine  # the team in words, not its id
    theirs = command(duty, "/queue", expect="Queue of: Duty (urgent)").visible_text
    assert urgent in theirs
    assert calm not in theirs
    # Everyone's, or one team's, on request; the admin in no team sees every queue.
    everything = command(legal, "/queue", args="all", expect="Queue of: all teams").visible_text
    assert calm in everything
    assert urgent in everything
    one = command(legal, "/queue", args="duty", expect="Queue of: Duty (urgent)").visible_text
    assert urgent in one
    assert calm not in one
    command(legal, "/queue", args="lawyers", expect="There is no team lawyers.")
    whole = command(admin, "/queue", expect="2 cases are waiting").visible_text
    assert "Queue of" not in whole


def test_take_is_from_ones_own_teams(api: LocalBotApi, desk_bot: BotThread) -> None:
    admin, legal, duty = teams_of_two(api, desk_bot)
    calm = submit_request(api.user(5560110, language_code="en"))
    urgent = submit_request(api.user(5560111, language_code="en"), urgent=True)
    duty.wait_for_text(f"New case {urgent}")

    # Another team's case, by reference: refused, nothing claimed.
    refused = command(legal, "/take", args=urgent, expect=f"Case {urgent} is in the queue of")
    assert refused.visible_text == (
        f"Case {urgent} is in the queue of another team (Duty (urgent)). Ask them or an admin."
    )
    # The next case of one's teams, even when a more urgent one waits elsewhere.
    command(legal, "/take", expect=f"You took case {calm}")
    command(legal, "/take", expect="No case is waiting for: Legal")
    command(duty, "/take", expect=f"You took case {urgent}")
    assert "Team: Duty (urgent)" in duty.wait_for_text("Conversation:").visible_text
    # An admin may take any team's case; /team puts an admin in a team like anyone.
    admin_handle = handle_of(desk_bot, ADMIN_ID)
    command(admin, "/team", args=f"{admin_handle} +psych", expect="is now in: Psychological help")
    command(legal, "/release", args=calm, expect="back in the queue")
    command(admin, "/take", args=calm, expect=f"You took case {calm}")


def test_admins_put_volunteers_in_and_out_of_teams(api: LocalBotApi, desk_bot: BotThread) -> None:
    admin, legal, duty = teams_of_two(api, desk_bot)
    legal_handle, duty_handle = handle_of(desk_bot, LEGAL_ID), handle_of(desk_bot, DUTY_ID)
    calm = submit_request(api.user(5560120, language_code="en"))
    legal.wait_for_text(f"New case {calm}")
    submit_request(api.user(5560121, language_code="en"), urgent=True)
    command(duty, "/take", expect="Conversation:")

    listing = command(admin, "/teams", expect="Teams:").visible_text.splitlines()
    assert f"Legal (legal) · open cases: 1, waiting: 1 · {legal_handle}" in listing
    assert f"Duty (urgent) (duty) · open cases: 1, waiting: 0 · {duty_handle}" in listing
    assert "Asylum abroad (asylum) · open cases: 0, waiting: 0 · nobody in this team yet" in listing
    assert any(line.startswith("In no team (they work every queue): ") for line in listing)

    both = command(admin, "/team", args=f"{legal_handle} +psych -legal +asylum",
                   expect="is now in").visible_text  # fmt: skip
    assert both == f"{legal_handle} is now in: Asylum abroad, Psychological help"
    command(legal, "/queue", expect="No case is waiting for: Asylum abroad, Psychological help")
    none = command(admin, "/team", args=f"{legal_handle} -psych -asylum", expect="no team")
    assert (
        none.visible_text == f"{legal_handle} is in no team now, so they work every team's queue."
    )
    command(legal, "/queue", expect="1 case is waiting")  # every team's queue again
    command(admin, "/team", args=f"{legal_handle} +lawyers", expect="There is no team lawyers.")
    command(admin, "/team", args="nobody-here-00 +legal", expect="There is no volunteer")
    command(admin, "/team", args=legal_handle, expect="Usage: /team HANDLE +TEAM -TEAM")
    command(admin, "/team", args=f"{legal_handle} legal", expect="Usage: /team HANDLE +TEAM -TEAM")

    # Only admins change or list teams; each change is in the audit trail.
    command(legal, "/team", args=f"{legal_handle} +duty", expect="Only admins can do that.")
    command(legal, "/teams", expect="Only admins can do that.")

    async def changes(services: Services) -> list[str]:
        async with services.sessions() as db:
            rows = await db.scalars(select(AuditEvent.detail).where(AuditEvent.action == "team"))
            return [str(detail) for detail in rows]

    assert desk_bot.run(changes) == [
        f"{legal_handle} +legal",
        f"{duty_handle} +duty",
        f"{legal_handle} +psych +asylum -legal",
        f"{legal_handle} -psych -asylum",
    ]


def test_team_commands_from_a_non_volunteer_look_unknown(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    stranger = api.user(5560199, language_code="en")
    unknown = command(stranger, "/teleport", expect="I do not know this command").visible_text
    handle = handle_of(desk_bot, ADMIN_ID)
    for name, args in (("/teams", ""), ("/team", f"{handle} +legal"), ("/queue", "all"),
                       ("/queue", "legal"), ("/take", "")):  # fmt: skip
        mark = stranger.mark()
        stranger.send_command(name, args)
        answer = stranger.wait_for(lambda m: True, after=mark)
        assert answer.visible_text == unknown, name
    command(admin, "/teams", expect="Teams:")


def test_deferred_and_completed_send_now_requests_get_their_team_and_tags(
    api: LocalBotApi, make_settings: SettingsFactory, redis_url: str
) -> None:
    """A request kept while the database was away gets its team when it is stored; the rest
    of a "Send now" request, answered later (here also while the database was away), routes
    the waiting case again on the fuller answers: a tag answered only then is added."""
    settings = make_settings(redis_url=redis_url, outbox_retry_seconds=0.3)
    early, later = api.user(5560130, language_code="en"), api.user(5560131, language_code="en")
    with BotThread(settings) as runner:
        offered = to_send_now(early, "en")
        runner.run(_break_database)
        press(early, offered, "u")
        runner.run(_mend_database)
        kept = REFERENCE.search(early.wait_for_text("has now been sent").visible_text)
        assert kept is not None
        # Urgency now: Duty. Answered before Send now (the first option of each question):
        # a criminal case, health problems.
        assert stored_route(runner, kept.group(0)) == ("duty", "criminal_case health")

        sent = press(later, to_send_now(later, "en"), "u")
        found = REFERENCE.search(sent.visible_text)
        assert found is not None
        reference = found.group(0)
        assert stored_route(runner, reference) == ("duty", "criminal_case health")
        later.press_data(sent.message_id, "a")
        eventually(lambda: prompt_of(later).message_id > sent.message_id, what="the rest asked")
        review = until(later, "en", is_review)
        runner.run(_break_database)
        press(later, review, "S")
        runner.run(_mend_database)
        later.wait_for_text(f"Your request has now been sent. Its reference: {reference}")
        # The phone question came after Send now: its answer ("yes") adds the tag.
        assert stored_route(runner, reference) == ("duty", "criminal_case health checked_phone")


def test_a_new_case_of_a_team_with_nobody_in_it_is_announced_to_everyone(
    api: LocalBotApi, desk_bot: BotThread
) -> None:
    admin = admin_of(api)
    first = join_as_volunteer(api, admin, LEGAL_ID)
    second = join_as_volunteer(api, admin, DUTY_ID)
    for user_id, team in ((ADMIN_ID, "duty"), (LEGAL_ID, "duty"), (DUTY_ID, "psych")):
        handle = handle_of(desk_bot, user_id)
        command(admin, "/team", args=f"{handle} +{team}", expect=f"{handle} is now in")
    calm = submit_request(api.user(5560140, language_code="en"))  # Legal: nobody is in it
    for user in (admin, first, second):
        notice = user.wait_for_text(f"New case {calm}")
        assert "priority 3" in notice.visible_text
    assert calm in command(first, "/queue", args="legal", expect="Queue of: Legal").visible_text
    command(first, "/queue", expect="No case is waiting for: Duty (urgent)")


def _walk(user: FakeUser, taps: list[tuple[str, str]]) -> str:
    """/start to the confirmation with these (button, what the next screen shows) presses from
    the situation question on; the codeword skipped; returns the reference."""
    command(user, "/start", expect="Choose your language")
    tap(user, "English", expect="not end-to-end encrypted")
    tap(user, "I understand, continue", expect="Who needs help?")
    tap(user, "I do", expect="What is the situation right now?")
    for button, shows in taps:
        tap(user, button, expect=shows)
    tap(user, "No", expect="choose a codeword")
    tap(user, "Skip", expect="If you like, tell us briefly")
    say(user, "Routing test.", expect="Please check your answers")
    done = tap(user, "Send the request", expect="Your request has been sent")
    found = REFERENCE.search(done.visible_text)
    assert found is not None, done.visible_text
    return found.group(0)


SERVING = [
    ("Contract soldier", "Where are you (or he/she) now?"),
    ("In Russia", "Right now, are you"),
    ("In the unit", "is there a case against"),
    ("No", "health problems"),
    ("No", "How urgent is it?"),
]
DOCUMENTS = [("Done", "Which documents are at hand?"), ("Military ID", "✅ Military ID"),
             ("Done", "Might someone check your phone")]  # fmt: skip
ROUTES = {
    "duty": [*SERVING, ("In danger right now", "What help is needed?"),
             ("Legal advice", "✅ Legal advice"), *DOCUMENTS],
    "evacuation": [*SERVING, ("No deadline", "What help is needed?"),
                   ("Leaving Russia", "✅ Leaving Russia"), *DOCUMENTS],
    "asylum": [("Already abroad", "Which country or region?"), ("Europe", "being sent back"),
               ("It seems not", "is there a case against"), ("No", "health problems"),
               ("No", "How urgent is it?"), ("No deadline", "What help is needed?"),
               ("Staying safely abroad", "✅ Staying safely abroad"), *DOCUMENTS],
    "psych": [*SERVING, ("No deadline", "What help is needed?"),
              ("Psychological support", "✅ Psychological support"), *DOCUMENTS],
    "legal": [*SERVING, ("No deadline", "What help is needed?"),
              ("Legal advice", "✅ Legal advice"), *DOCUMENTS],
}  # fmt: skip


@pytest.mark.parametrize("team", list(ROUTES))
def test_each_default_rule_puts_the_case_in_its_teams_queue(
    api: LocalBotApi, desk_bot: BotThread, team: str
) -> None:
    """The shipped routing, end to end: the answers of each rule land in that team's queue."""
    admin = admin_of(api)
    reference = _walk(api.user(5560900 + list(ROUTES).index(team), language_code="en"),
                      ROUTES[team])  # fmt: skip
    assert stored_route(desk_bot, reference)[0] == team
    queue = command(admin, "/queue", args=team, expect="Queue of:").visible_text
    assert reference in queue


def test_a_team_with_a_group_chat_gets_its_notices_there(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    """INTAKE_TEAM_CHAT_IDS: the legal team's new cases are announced in its group (without
    content); other teams' notices go where they went before."""
    group = api.group(-100555000201)
    settings = make_settings(admin_ids=[ADMIN_ID], team_chat_ids={"legal": group.id},
                             desk_language="en")  # fmt: skip
    with BotThread(settings):
        admin = admin_of(api)
        calm = submit_request(api.user(5560950, language_code="en"), details="Group only.")
        notice = group.wait_for_text(f"New case {calm}")
        assert "Group only." not in notice.visible_text
        urgent = submit_request(api.user(5560951, language_code="en"), urgent=True)
        admin.wait_for_text(f"New case {urgent}")  # duty has no chat: its members, as before
        assert all(urgent not in m.visible_text for m in group.bot_messages())
        assert all(f"New case {calm}" not in m.visible_text for m in admin.bot_messages())
