"""Commands around the questionnaire, and storage that goes away for a moment."""

from __future__ import annotations

import redis
from sqlalchemy import func, select

from bot.inprocess import BotThread
from bot.services import Services
from localapi import FakeUser, LocalBotApi
from storage.models import Case, Person
from storage.unavailable import StateUnavailable
from tests.e2e.conftest import SettingsFactory
from tests.support.people import command, eventually, say, tap
from tests.support.servers import RedisServer


def test_language_can_be_changed_mid_way(api: LocalBotApi, bot: BotThread) -> None:
    user = api.user(language_code="en")
    command(user, "/start", expect="Choose your language")
    tap(user, "English", expect="not end-to-end encrypted")
    tap(user, "I understand, continue", expect="Who needs help?")
    command(user, "/language", expect="Choose your language:")
    switched = tap(user, "Русский", expect="Кому нужна помощь?")
    assert "Мне" in switched.button_texts
    help_text = command(user, "/help", expect="Команды:")
    assert "/forget" in help_text.visible_text


def test_help_before_anything_else_uses_the_client_language(
    api: LocalBotApi, bot: BotThread
) -> None:
    command(api.user(language_code="en"), "/help", expect="Commands:")
    command(api.user(language_code="ru"), "/help", expect="Команды:")


def test_the_command_menu_is_set_in_both_languages(api: LocalBotApi, bot: BotThread) -> None:
    calls = api.calls("setMyCommands")
    languages = {call.params.get("language_code") for call in calls}
    assert {"ru", "en"} <= languages
    assert all("forget" in str(call.params.get("commands")) for call in calls)


def test_forget_erases_the_draft_and_sent_requests(api: LocalBotApi, bot: BotThread) -> None:
    user = api.user(language_code="en")
    command(user, "/start", expect="Choose your language")
    tap(user, "English", expect="not end-to-end encrypted")
    tap(user, "I understand, continue", expect="Who needs help?")
    tap(user, "I do", expect="What is the situation right now?")
    tap(user, "Nothing has come yet", expect="Where are you (or he/she) now?")
    tap(user, "In Russia", expect="is there a case against")
    tap(user, "No", expect="health problems")
    tap(user, "No", expect="How urgent is it?")
    tap(user, "No deadline", expect="What help is needed?")
    tap(user, "Psychological support", expect="✅ Psychological support")
    tap(user, "Done", expect="Might someone check your phone")
    tap(user, "No", expect="choose a codeword")
    tap(user, "Skip", expect="If you like, tell us briefly")
    tap(user, "Skip", expect="Please check your answers")
    tap(user, "Send the request", expect="Your request has been sent")
    command(user, "/start", expect="You have an open request")
    tap(user, "Start a new request", expect="Choose your language")  # a second, unfinished one
    command(user, "/forget", expect="Erase everything you sent")
    tap(user, "No, keep it", expect="Nothing was erased")
    assert count(bot, Case) == 1
    command(user, "/forget", expect="Erase everything you sent")
    tap(user, "Yes, erase everything", expect="That includes 1 sent request")
    assert count(bot, Case) == 0
    assert count(bot, Person) == 0
    command(user, "/start", expect="Choose your language")  # the draft was erased too
    reply = command(user, "/cancel", expect="Discard the unfinished questionnaire?")
    assert reply is not None


def test_redis_away_for_a_moment_loses_nothing(
    api: LocalBotApi, make_settings: SettingsFactory, redis_url: str, redis_server: RedisServer
) -> None:
    user = api.user(language_code="en")
    with BotThread(make_settings(redis_url=redis_url)):
        command(user, "/start", expect="Choose your language")
        tap(user, "English", expect="not end-to-end encrypted")
        tap(user, "I understand, continue", expect="Who needs help?")
        client = redis.Redis.from_url(redis_url)
        eventually(lambda: not client.keys("*:lock:*"), what="the turn to end")
        client.save()  # what Redis's append-only file does in production
        client.close()
        redis_server.stop()
        try:
            sorry = tap(user, "I do", expect="Something went wrong on our side", timeout=20)
            assert "Traceback" not in sorry.visible_text
        finally:
            redis_server.start()
        retried = command(user, "/start", expect="You have an unfinished request")
        assert "Who needs help?" in retried.visible_text
        tap(user, "I do", expect="What is the situation right now?", message_id=retried.message_id)


def test_database_away_at_submission_keeps_the_answers_and_sends_them_later(
    api: LocalBotApi, make_settings: SettingsFactory, redis_url: str
) -> None:
    user = api.user(language_code="en")
    with BotThread(make_settings(redis_url=redis_url, outbox_retry_seconds=0.3)) as runner:
        review_up_to_send(user, details="keep this")
        runner.run(_break_database)
        tap(user, "Send the request", expect="We could not store your request right now")
        command(user, "/start", expect="Your answers are kept and will be sent")
        assert count(runner, Case) == 0
        runner.run(_mend_database)
        sent = user.wait_for_text("Your request has now been sent")
        assert count(runner, Case) == 1
        reference = sent.visible_text.split("reference: ")[1][:9]
        assert len(reference) == 9
        command(user, "/status", expect=f"Your request {reference} is waiting")


def test_database_away_while_an_answer_is_typed_the_questionnaire_goes_on(
    api: LocalBotApi, make_settings: SettingsFactory, redis_url: str
) -> None:
    """Drafts live in Redis: with the database away a typed answer is still taken (no codeword
    check can be looked up then, and none is needed for it)."""
    user = api.user(language_code="en")
    with BotThread(make_settings(redis_url=redis_url)) as runner:
        up_to_details(user)
        runner.run(_break_database)
        runner.run(_break_codeword_checks)
        say(user, "typed while the database is away", expect="Please check your answers")


async def _break_codeword_checks(services: Services) -> None:
    services.verification.sessions = services.submission.sessions


def review_up_to_send(user: FakeUser, *, details: str) -> None:
    up_to_details(user)
    say(user, details, expect="Please check your answers")


def up_to_details(user: FakeUser) -> None:
    command(user, "/start", expect="Choose your language")
    tap(user, "English", expect="not end-to-end encrypted")
    tap(user, "I understand, continue", expect="Who needs help?")
    tap(user, "I do", expect="What is the situation right now?")
    tap(user, "Nothing has come yet", expect="Where are you (or he/she) now?")
    tap(user, "In Russia", expect="is there a case against")
    tap(user, "No", expect="health problems")
    tap(user, "No", expect="How urgent is it?")
    tap(user, "No deadline", expect="What help is needed?")
    tap(user, "Legal advice", expect="✅ Legal advice")
    tap(user, "Done", expect="Might someone check your phone")
    tap(user, "No", expect="choose a codeword")
    tap(user, "Skip", expect="If you like, tell us briefly")


async def _break_database(services: Services) -> None:
    """Point the sessions at a database that cannot be opened, as if the server went away."""
    from storage import db

    closed_port = "postgresql://intake@127.0.0.1:1/intake"
    services.submission.sessions = db.make_sessionmaker(db.make_engine(closed_port))


async def _mend_database(services: Services) -> None:
    services.submission.sessions = services.sessions


def count(runner: BotThread, model: type) -> int:
    async def read(services: Services) -> int:
        async with services.sessions() as db:
            return int(await db.scalar(select(func.count()).select_from(model)) or 0)

    return runner.run(read)  # type: ignore[no-any-return]


class _SavesFailOnce:
    """A draft store whose next save fails, as when Redis goes away between two commands."""

    def __init__(self, store: object) -> None:
        self._store = store
        self.armed = True

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def save(self, owner: str, draft: dict[str, object]) -> None:
        if self.armed:
            self.armed = False
            raise StateUnavailable("draft store (test) unavailable during save")
        await self._store.save(owner, draft)  # type: ignore[attr-defined]


def test_the_next_question_is_shown_only_once_the_answer_is_kept(
    api: LocalBotApi, bot: BotThread
) -> None:
    """If the answer cannot be kept, the person still sees the question they were on."""
    user = api.user(language_code="en")
    command(user, "/start", expect="Choose your language")
    tap(user, "English", expect="not end-to-end encrypted")
    asked = tap(user, "I understand, continue", expect="Who needs help?")
    assert bot.services is not None
    turns = bot.services.turns
    failing = _SavesFailOnce(turns.drafts)
    turns.drafts = failing  # type: ignore[assignment]
    try:
        tap(user, "I do", expect="Something went wrong on our side")
    finally:
        turns.drafts = failing._store  # type: ignore[assignment]
    assert not failing.armed
    shown = next(m for m in user.messages() if m.message_id == asked.message_id)
    assert "Who needs help?" in shown.visible_text  # not a step whose answer was lost
    retried = command(user, "/start", expect="You have an unfinished request")
    assert "Who needs help?" in retried.visible_text


def test_a_redis_restart_between_two_answers_costs_the_person_nothing(
    api: LocalBotApi, make_settings: SettingsFactory, redis_url: str, redis_server: RedisServer
) -> None:
    """Connections Redis closed when it restarted are retried on new ones, not failed."""
    user = api.user(language_code="en")
    with BotThread(make_settings(redis_url=redis_url)):
        command(user, "/start", expect="Choose your language")
        tap(user, "English", expect="not end-to-end encrypted")
        client = redis.Redis.from_url(redis_url)
        eventually(lambda: not client.keys("*:lock:*"), what="the turn to end")
        client.save()  # what Redis's append-only file does in production
        client.close()
        redis_server.restart()
        tap(user, "I understand, continue", expect="Who needs help?")
        assert not any("Something went wrong" in m.visible_text for m in user.bot_messages())
