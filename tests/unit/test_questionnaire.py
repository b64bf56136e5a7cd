"""The shipped questionnaire: every path reachable, branches, review/edit, back, validation."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from dialogs import events as ev
from dialogs.engine import Engine
from dialogs.session import Session
from dialogs.spec import REVIEW, load


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load())


def walk(engine: Engine, answers: dict[str, Any], language: str = "en") -> tuple[Session, Any]:
    """Answer every question from `answers` until the review screen (or an end)."""
    session, prompt = engine.start(language)
    outcome: Any = prompt
    for _ in range(40):
        if not isinstance(outcome, ev.Prompt) or outcome.step == REVIEW:
            return session, outcome
        step = outcome.step
        value = answers[step]
        if outcome.kind in ("choice", "yesno"):
            outcome = engine.handle(session, ev.Choose(step, value))
        elif outcome.kind == "multi":
            for option in value:
                outcome = engine.handle(session, ev.Toggle(step, option))
            outcome = engine.handle(session, ev.Done(step))
        elif value is None:
            outcome = engine.handle(session, ev.Skip(step))
        elif outcome.kind == "secret":
            outcome = engine.handle(session, ev.Text(value, digest=f"hash of {value}"))
        else:
            outcome = engine.handle(session, ev.Text(value))
    raise AssertionError("questionnaire did not finish")


SOLDIER = {
    "language": "en",
    "consent": "agree",
    "who": "self",
    "status": "mobilized",
    "summons_date": "later",
    "location": "front_zone",
    "movement": "in_unit",
    "criminal_case": "no",
    "health": "no",
    "urgency": "weeks",
    "help": ["leave_russia", "legal"],
    "documents": ["taken_by_unit"],
    "phone_checked": "no",
    "codeword": None,
    "details": "marker text",
}


def test_a_soldier_reaches_review_and_submits_a_weeks_case(engine: Engine) -> None:
    session, review = walk(engine, SOLDIER)
    assert review.step == REVIEW
    assert [line.step for line in review.review] == [
        "who", "status", "location", "movement", "criminal_case", "health", "urgency", "help",
        "documents", "phone_checked", "codeword", "details",
    ]  # fmt: skip
    done = engine.handle(session, ev.Submit())
    assert isinstance(done, ev.Completed)
    assert done.priority == 2  # the front zone
    assert done.category == "serving"
    assert done.answers["details"] == "marker text"
    assert "consent" not in done.answers
    assert "language" not in done.answers


def test_abroad_asks_about_being_sent_back_and_hides_leaving_russia(engine: Engine) -> None:
    answers = {**SOLDIER, "status": "abroad", "abroad_region": "armenia",
               "return_risk": "detained", "help": ["asylum"], "documents": ["none"]}  # fmt: skip
    session, review = walk(engine, answers)
    steps = [line.step for line in review.review]
    assert "location" not in steps
    assert steps[2:4] == ["abroad_region", "return_risk"]
    assert "movement" not in steps
    done = engine.handle(session, ev.Submit())
    assert isinstance(done, ev.Completed)
    assert (done.priority, done.category) == (1, "abroad")


def test_help_options_follow_where_the_person_is(engine: Engine) -> None:
    session, _ = walk(engine, SOLDIER)
    in_russia = engine.handle(session, ev.Edit("help"))
    assert isinstance(in_russia, ev.Prompt)
    assert "leave_russia" in in_russia.options
    assert "asylum" not in in_russia.options

    abroad = {**SOLDIER, "location": "abroad", "abroad_region": "europe", "return_risk": "safe",
              "help": ["asylum"]}  # fmt: skip
    session, _ = walk(engine, abroad)
    prompt = engine.handle(session, ev.Edit("help"))
    assert isinstance(prompt, ev.Prompt)
    assert "asylum" in prompt.options
    assert "leave_russia" not in prompt.options
    assert "safe_place" not in prompt.options


def test_in_danger_now_shows_the_safety_message_at_once(engine: Engine) -> None:
    session, _ = engine.start("en")
    for event in (ev.Choose("language", "en"), ev.Choose("consent", "agree"),
                  ev.Choose("who", "self"), ev.Choose("status", "left_unit"),
                  ev.Choose("location", "russia"), ev.Choose("criminal_case", "no"),
                  ev.Choose("health", "no")):  # fmt: skip
        engine.handle(session, event)
    prompt = engine.handle(session, ev.Choose("urgency", "now"))
    assert isinstance(prompt, ev.Prompt)
    assert prompt.step == "help"
    assert [n.key for n in prompt.notices] == ["notice-danger-now"]


def test_documents_are_not_asked_when_the_help_does_not_need_them(engine: Engine) -> None:
    civilian = {**SOLDIER, "status": "summons", "location": "russia", "help": ["psychological"]}
    del civilian["movement"]
    session, review = walk(engine, civilian)
    assert "documents" not in [line.step for line in review.review]
    done = engine.handle(session, ev.Submit())
    assert isinstance(done, ev.Completed)
    assert "documents" not in done.answers
    assert done.category == "summons"


@pytest.mark.parametrize(
    ("date", "priority"),
    [("today_or_past", 1), ("within_week", 2), ("later", 3), ("no_date", 3)],
)
def test_the_nearer_the_summons_date_the_more_urgent(
    engine: Engine, date: str, priority: int
) -> None:
    answers = {**SOLDIER, "status": "summons", "summons_date": date, "location": "russia",
               "urgency": "no_deadline"}  # fmt: skip
    session, review = walk(engine, answers)
    shown = {line.step: line.answer for line in review.review}
    assert shown["summons_date"] == date
    assert "movement" not in shown
    done = engine.handle(session, ev.Submit())
    assert isinstance(done, ev.Completed)
    assert (done.priority, done.category) == (priority, "summons")


def test_a_summons_warns_about_the_exit_ban_after_its_date(engine: Engine) -> None:
    session, _ = engine.start("en")
    for step, option in (("language", "en"), ("consent", "agree"), ("who", "self"),
                         ("status", "summons")):  # fmt: skip
        engine.handle(session, ev.Choose(step, option))
    assert session.state == "summons_date"
    prompt = engine.handle(session, ev.Choose("summons_date", "later"))
    assert isinstance(prompt, ev.Prompt)
    assert prompt.step == "location"
    assert [n.key for n in prompt.notices] == ["notice-summons-exit"]
    # A wrong press on the next question keeps the warning on the screen.
    again = engine.handle(session, ev.Choose("location", "moon"))
    assert isinstance(again, ev.Prompt)
    assert [n.key for n in again.notices] == ["notice-summons-exit", "stale-button"]


def test_yes_no_accepts_only_yes_or_no(engine: Engine) -> None:
    session, _ = engine.start("en")
    for step, option in (("language", "en"), ("consent", "agree"),
                         ("who", "other_person")):  # fmt: skip
        engine.handle(session, ev.Choose(step, option))
    prompt = engine.handle(session, ev.Choose("other_knows", "maybe"))
    assert isinstance(prompt, ev.Prompt)
    assert (prompt.kind, prompt.options) == ("yesno", ("yes", "no"))
    assert [n.key for n in prompt.notices] == ["stale-button"]
    nxt = engine.handle(session, ev.Choose("other_knows", "yes"))
    assert isinstance(nxt, ev.Prompt)
    assert nxt.step == "status"


def test_declining_consent_ends_without_keeping_anything(engine: Engine) -> None:
    session, _ = engine.start("ru")
    engine.handle(session, ev.Choose("language", "ru"))
    outcome = engine.handle(session, ev.Choose("consent", "decline"))
    assert isinstance(outcome, ev.Finished)
    assert outcome.step == "declined"


def test_language_is_suggested_from_the_client(engine: Engine) -> None:
    assert engine.start("en-GB")[0].language == "en"
    assert engine.start("ru")[0].language == "ru"
    assert engine.start(None)[0].language == "ru"
    assert engine.start("de")[0].language == "ru"


def test_back_returns_to_the_previous_question_on_the_path_taken(engine: Engine) -> None:
    answers = {**SOLDIER, "status": "abroad", "abroad_region": "europe"}
    session, _ = engine.start("en")
    for event in (ev.Choose("language", "en"), ev.Choose("consent", "agree"),
                  ev.Choose("who", "self"), ev.Choose("status", answers["status"]),
                  ev.Choose("abroad_region", "europe")):  # fmt: skip
        engine.handle(session, event)
    assert session.state == "return_risk"
    back = engine.handle(session, ev.Back())
    assert isinstance(back, ev.Prompt)
    assert back.step == "abroad_region"
    assert back.selected == ("europe",)
    back = engine.handle(session, ev.Back())
    assert isinstance(back, ev.Prompt)
    assert back.step == "status"  # location was skipped on the way in, so it is skipped back


def test_back_at_the_first_question_says_so(engine: Engine) -> None:
    session, _ = engine.start("en")
    prompt = engine.handle(session, ev.Back())
    assert isinstance(prompt, ev.Prompt)
    assert prompt.step == "language"
    assert [n.key for n in prompt.notices] == ["back-at-start"]


def test_back_from_review_goes_to_the_last_question(engine: Engine) -> None:
    session, _ = walk(engine, SOLDIER)
    prompt = engine.handle(session, ev.Back())
    assert isinstance(prompt, ev.Prompt)
    assert prompt.step == "details"


def test_changing_an_answer_from_review_returns_to_review(engine: Engine) -> None:
    session, _ = walk(engine, SOLDIER)
    prompt = engine.handle(session, ev.Edit("urgency"))
    assert isinstance(prompt, ev.Prompt)
    assert prompt.step == "urgency"
    assert prompt.selected == ("weeks",)
    review = engine.handle(session, ev.Choose("urgency", "days"))
    assert isinstance(review, ev.Prompt)
    assert review.step == REVIEW
    done = engine.handle(session, ev.Submit())
    assert isinstance(done, ev.Completed)
    assert done.answers["urgency"] == "days"
    assert done.priority == 2


def test_a_change_that_opens_a_branch_asks_the_new_questions_only(engine: Engine) -> None:
    session, _ = walk(engine, SOLDIER)
    engine.handle(session, ev.Edit("location"))
    prompt = engine.handle(session, ev.Choose("location", "abroad"))
    assert isinstance(prompt, ev.Prompt)
    assert prompt.step == "abroad_region"
    engine.handle(session, ev.Choose("abroad_region", "kazakhstan"))
    prompt = engine.handle(session, ev.Choose("return_risk", "worried"))
    # urgency is still valid and skipped; "leave_russia" no longer fits someone abroad
    assert isinstance(prompt, ev.Prompt)
    assert prompt.step == "help"
    assert prompt.selected == ("legal",)
    engine.handle(session, ev.Toggle("help", "asylum"))
    review = engine.handle(session, ev.Done("help"))
    assert isinstance(review, ev.Prompt)
    assert review.step == REVIEW
    done = engine.handle(session, ev.Submit())
    assert isinstance(done, ev.Completed)
    assert done.answers["location"] == "abroad"
    assert done.answers["help"] == ["asylum", "legal"]
    assert done.category == "serving"  # still serving, wherever they are


def test_a_change_that_closes_a_branch_drops_its_answers(engine: Engine) -> None:
    abroad = {**SOLDIER, "location": "abroad", "abroad_region": "europe", "return_risk": "safe",
              "help": ["asylum"]}  # fmt: skip
    session, _ = walk(engine, abroad)
    engine.handle(session, ev.Edit("location"))
    prompt = engine.handle(session, ev.Choose("location", "russia"))
    assert isinstance(prompt, ev.Prompt)
    assert prompt.step == "help"  # "asylum" is not offered in Russia: asked again
    engine.handle(session, ev.Toggle("help", "legal"))
    engine.handle(session, ev.Done("help"))
    done = engine.handle(session, ev.Submit())
    assert isinstance(done, ev.Completed)
    assert "abroad_region" not in done.answers
    assert "return_risk" not in done.answers


def test_changing_an_answer_back_asks_the_closed_branch_again(engine: Engine) -> None:
    abroad = {**SOLDIER, "location": "abroad", "abroad_region": "europe", "return_risk": "safe",
              "help": ["legal"]}  # fmt: skip
    session, _ = walk(engine, abroad)
    engine.handle(session, ev.Edit("location"))
    review = engine.handle(session, ev.Choose("location", "russia"))
    assert isinstance(review, ev.Prompt)
    assert review.step == REVIEW  # the abroad questions closed; nothing else needs asking
    assert "abroad_region" not in [line.step for line in review.review]
    engine.handle(session, ev.Edit("location"))
    prompt = engine.handle(session, ev.Choose("location", "abroad"))
    # The branch opens again: its questions are asked again, with nothing chosen for the person.
    assert isinstance(prompt, ev.Prompt)
    assert prompt.step == "abroad_region"
    assert prompt.selected == ()
    engine.handle(session, ev.Choose("abroad_region", "georgia"))
    prompt = engine.handle(session, ev.Choose("return_risk", "threatened"))
    assert isinstance(prompt, ev.Prompt)
    assert prompt.step == REVIEW
    done = engine.handle(session, ev.Submit())
    assert isinstance(done, ev.Completed)
    assert done.answers["abroad_region"] == "georgia"
    assert done.answers["return_risk"] == "threatened"


def test_a_closed_branch_is_asked_again_after_going_back(engine: Engine) -> None:
    session, _ = engine.start("en")
    for event in (ev.Choose("language", "en"), ev.Choose("consent", "agree"),
                  ev.Choose("who", "self"), ev.Choose("status", "abroad"),
                  ev.Choose("abroad_region", "europe")):  # fmt: skip
        engine.handle(session, event)
    engine.handle(session, ev.Back())
    engine.handle(session, ev.Back())
    engine.handle(session, ev.Choose("status", "other"))
    engine.handle(session, ev.Choose("location", "russia"))
    assert "abroad_region" not in session.answers  # the branch closed: its answer is gone
    engine.handle(session, ev.Back())
    engine.handle(session, ev.Back())
    prompt = engine.handle(session, ev.Choose("status", "abroad"))
    assert isinstance(prompt, ev.Prompt)
    assert prompt.step == "abroad_region"
    assert prompt.selected == ()


def test_multiple_choice_toggles_and_exclusive_option(engine: Engine) -> None:
    session, _ = walk(engine, {**SOLDIER, "documents": ["internal_passport"]})
    engine.handle(session, ev.Edit("documents"))
    prompt = engine.handle(session, ev.Toggle("documents", "military_id"))
    assert isinstance(prompt, ev.Prompt)
    assert prompt.selected == ("internal_passport", "military_id")
    prompt = engine.handle(session, ev.Toggle("documents", "none"))
    assert isinstance(prompt, ev.Prompt)
    assert prompt.selected == ("none",)
    prompt = engine.handle(session, ev.Toggle("documents", "foreign_passport"))
    assert isinstance(prompt, ev.Prompt)
    assert prompt.selected == ("foreign_passport",)
    prompt = engine.handle(session, ev.Toggle("documents", "foreign_passport"))
    assert isinstance(prompt, ev.Prompt)
    assert prompt.selected == ()
    prompt = engine.handle(session, ev.Done("documents"))
    assert isinstance(prompt, ev.Prompt)
    assert [n.key for n in prompt.notices] == ["choose-at-least-one"]
    assert prompt.step == "documents"


@pytest.mark.parametrize(
    ("event", "notice"),
    [
        (ev.Text("hello"), "expected-button"),
        (ev.Unsupported("sticker"), "unsupported-media"),
        (ev.Choose("urgency", "now"), "stale-button"),
        (ev.Choose("status", "general"), "stale-button"),
        (ev.Toggle("status", "mobilized"), "stale-button"),
        (ev.Edit("status"), "stale-button"),
        (ev.Submit(), "stale-button"),
    ],
)
def test_wrong_input_repeats_the_question_with_a_reason(
    engine: Engine, event: ev.Event, notice: str
) -> None:
    session, _ = engine.start("en")
    for step, option in (("language", "en"), ("consent", "agree"), ("who", "self")):
        engine.handle(session, ev.Choose(step, option))
    before = session.to_dict()
    prompt = engine.handle(session, event)
    assert isinstance(prompt, ev.Prompt)
    assert prompt.step == "status"
    assert [n.key for n in prompt.notices] == [notice]
    assert session.to_dict() == before


def test_free_text_limits(engine: Engine) -> None:
    session, _ = walk(engine, SOLDIER)
    engine.handle(session, ev.Edit("details"))
    too_long = engine.handle(session, ev.Text("x" * 1001))
    assert isinstance(too_long, ev.Prompt)
    assert too_long.step == "details"
    assert too_long.notices == (ev.Notice("text-too-long", {"max": 1000, "length": 1001}),)
    empty = engine.handle(session, ev.Text("   "))
    assert isinstance(empty, ev.Prompt)
    assert [n.key for n in empty.notices] == ["text-empty"]
    review = engine.handle(session, ev.Text("x" * 1000))
    assert isinstance(review, ev.Prompt)
    assert review.step == REVIEW


def test_the_description_can_be_skipped(engine: Engine) -> None:
    session, review = walk(engine, {**SOLDIER, "details": None})
    assert {line.step: line.answer for line in review.review}["details"] == ""
    done = engine.handle(session, ev.Submit())
    assert isinstance(done, ev.Completed)
    assert done.answers["details"] == ""


def test_a_session_survives_serialisation_mid_way(engine: Engine) -> None:
    session, _ = walk(engine, SOLDIER)
    engine.handle(session, ev.Edit("documents"))
    engine.handle(session, ev.Toggle("documents", "military_id"))
    restored = Session.from_dict(session.to_dict())
    prompt = engine.handle(restored, ev.Repeat())
    assert isinstance(prompt, ev.Prompt)
    assert prompt.step == "documents"
    assert prompt.selected == ("military_id", "taken_by_unit")
    assert isinstance(engine.handle(restored, ev.Done("documents")), ev.Prompt)
    assert restored.state == REVIEW


def test_every_step_and_option_is_reachable_by_some_person(engine: Engine) -> None:
    """Walk every combination of the choices that shape the path; collect what was shown.

    Who needs help and whether the phone is checked only add a question each, whatever the
    rest: they take turns over the combinations instead of multiplying them."""
    spec = engine.spec
    shown: dict[str, set[str]] = {}
    whos = spec.step("who").option_ids()
    phones = spec.step("phone_checked").option_ids()
    shaping = {
        "status": spec.step("status").option_ids(),
        "location": spec.step("location").option_ids(),
        "help": [[o] for o in spec.step("help").option_ids()],
        "urgency": spec.step("urgency").option_ids(),
    }
    combinations = list(itertools.product(*shaping.values()))
    assert len(combinations) >= len(whos) * len(phones)  # every pair of the two comes up
    for number, (status, location, help_, urgency) in enumerate(combinations):
        who = whos[number % len(whos)]
        phone = phones[(number // len(whos)) % len(phones)]
        answers = {**SOLDIER, "who": who, "other_knows": "yes", "phone_checked": phone,
                   "safe_time": "evenings", "status": status, "location": location,
                   "urgency": urgency, "abroad_region": "europe", "return_risk": "worried",
                   "help": help_}  # fmt: skip
        session, prompt = engine.start("en")
        outcome: Any = prompt
        while isinstance(outcome, ev.Prompt) and outcome.step != REVIEW:
            shown.setdefault(outcome.step, set()).update(outcome.options)
            value = answers[outcome.step]
            if outcome.kind == "multi":
                value = [v for v in value if v in outcome.options] or [outcome.options[0]]
                for option in value:
                    engine.handle(session, ev.Toggle(outcome.step, option))
                outcome = engine.handle(session, ev.Done(outcome.step))
            elif outcome.kind == "text":
                outcome = engine.handle(session, ev.Text(value))
            elif outcome.kind == "secret":
                outcome = engine.handle(session, ev.Skip(outcome.step))
            else:
                outcome = engine.handle(session, ev.Choose(outcome.step, value))
        assert isinstance(outcome, ev.Prompt), (status, location, help_)
        done = engine.handle(session, ev.Submit())
        assert isinstance(done, ev.Completed)
        assert 1 <= done.priority <= 4
    asked = {sid for sid, step in spec.steps.items() if step.kind != "end"}
    assert set(shown) == asked
    for step_id in ("status", "location", "help", "urgency", "documents", "phone_checked"):
        assert shown[step_id] == set(spec.step(step_id).option_ids()), step_id


CALM = {
    "language": "en", "consent": "agree", "who": "self", "status": "other",
    "location": "russia", "movement": "in_unit", "abroad_region": "europe",
    "return_risk": "safe", "summons_date": "later", "criminal_case": "no", "health": "no",
    "urgency": "no_deadline", "help": ["legal"], "documents": ["none"], "phone_checked": "no",
    "codeword": None, "details": None,
}  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "priority", "category"),
    [
        ({}, 4, "other"),
        ({"status": "not_called"}, 4, "civilian"),
        ({"urgency": "now"}, 1, "other"),
        ({"status": "abroad", "return_risk": "detained"}, 1, "abroad"),
        ({"status": "contract", "movement": "in_custody"}, 1, "serving"),
        ({"status": "refuser_held"}, 1, "serving"),
        ({"status": "left_unit", "location": "russia"}, 1, "left_unit"),
        ({"status": "summons", "summons_date": "today_or_past"}, 1, "summons"),
        ({"location": "front_zone"}, 2, "other"),
        ({"urgency": "days"}, 2, "other"),
        ({"status": "left_unit", "location": "front_zone"}, 2, "left_unit"),
        ({"status": "left_unit", "location": "abroad"}, 2, "left_unit"),
        ({"status": "abroad", "return_risk": "threatened"}, 2, "abroad"),
        ({"status": "summons", "summons_date": "within_week"}, 2, "summons"),
        ({"criminal_case": "yes"}, 2, "other"),
        ({"urgency": "weeks"}, 3, "other"),
        ({"status": "conscript"}, 3, "serving"),
        ({"status": "mobilized"}, 3, "serving"),
        ({"status": "contract"}, 3, "serving"),
        ({"status": "foreign_contract"}, 3, "serving"),
        ({"status": "pressed_to_sign"}, 3, "serving"),
        ({"status": "summons", "summons_date": "no_date"}, 3, "summons"),
        ({"status": "abroad", "return_risk": "worried"}, 4, "abroad"),
        ({"location": "abroad", "return_risk": "worried"}, 4, "abroad"),
        # the first rule that matches decides: someone held is not "weeks"
        ({"status": "mobilized", "movement": "in_custody", "urgency": "weeks"}, 1, "serving"),
    ],
)
def test_priority_and_category_rules(
    engine: Engine, changes: dict[str, Any], priority: int, category: str
) -> None:
    session, review = walk(engine, {**CALM, **changes})
    assert review.step == REVIEW
    done = engine.handle(session, ev.Submit())
    assert isinstance(done, ev.Completed)
    assert (done.priority, done.category) == (priority, category)


@pytest.mark.parametrize(
    ("status", "asked"),
    [
        ("conscript", True), ("mobilized", True), ("contract", True),
        ("foreign_contract", True), ("refuser_held", True),
        ("left_unit", False), ("pressed_to_sign", False), ("not_called", False),
        ("summons", False), ("other", False),
    ],
)  # fmt: skip
def test_movement_is_asked_only_of_those_in_service(
    engine: Engine, status: str, asked: bool
) -> None:
    _, review = walk(engine, {**CALM, "status": status})
    assert ("movement" in [line.step for line in review.review]) is asked


def test_someone_writing_for_another_is_asked_whether_he_knows(engine: Engine) -> None:
    _, review = walk(engine, {**CALM, "who": "other_person", "other_knows": "no"})
    steps = [line.step for line in review.review]
    assert steps[:3] == ["who", "other_knows", "status"]
    _, review = walk(engine, CALM)
    assert "other_knows" not in [line.step for line in review.review]


@pytest.mark.parametrize(("checked", "asked"), [("yes", True), ("not_sure", True), ("no", False)])
def test_a_checked_phone_asks_when_it_is_safe_to_write(
    engine: Engine, checked: str, asked: bool
) -> None:
    session, review = walk(engine, {**CALM, "phone_checked": checked, "safe_time": "evenings"})
    steps = [line.step for line in review.review]
    assert ("safe_time" in steps) is asked
    assert steps[-1] == "details"
    done = engine.handle(session, ev.Submit())
    assert isinstance(done, ev.Completed)
    assert done.answers["phone_checked"] == checked
    assert done.answers.get("safe_time") == ("evenings" if asked else None)


def test_abroad_is_asked_after_service_for_a_soldier_outside_russia(engine: Engine) -> None:
    _, review = walk(engine, {**CALM, "status": "contract", "location": "abroad"})
    steps = [line.step for line in review.review]
    assert steps[2:7] == ["location", "movement", "abroad_region", "return_risk", "criminal_case"]


def test_a_refused_answer_keeps_the_danger_advice_on_the_screen(engine: Engine) -> None:
    """Regression: an empty Done on the question after 'in danger' erased the advice."""
    session, _ = engine.start("en")
    for step, option in (("language", "en"), ("consent", "agree"), ("who", "self"),
                         ("status", "other"), ("location", "russia"),
                         ("criminal_case", "no"), ("health", "no")):  # fmt: skip
        engine.handle(session, ev.Choose(step, option))
    first = engine.handle(session, ev.Choose("urgency", "now"))
    assert isinstance(first, ev.Prompt)
    assert [n.key for n in first.notices] == ["notice-danger-now"]
    for refused, reason in (
        (ev.Done("help"), "choose-at-least-one"),
        (ev.Text("help me"), "expected-button"),
        (ev.Unsupported("photo"), "unsupported-media"),
        (ev.Choose("urgency", "now"), "stale-button"),
    ):
        again = engine.handle(session, refused)
        assert isinstance(again, ev.Prompt)
        assert again.step == "help"
        assert [n.key for n in again.notices] == ["notice-danger-now", reason]
    # Answered, the next question does not repeat it, and a refusal there shows only the reason.
    engine.handle(session, ev.Toggle("help", "legal"))
    nxt = engine.handle(session, ev.Done("help"))
    assert isinstance(nxt, ev.Prompt)
    assert nxt.step == "phone_checked"
    assert nxt.notices == ()
    refused = engine.handle(session, ev.Text("x"))
    assert isinstance(refused, ev.Prompt)
    assert [n.key for n in refused.notices] == ["expected-button"]


def test_the_kept_advice_survives_a_restart(engine: Engine) -> None:
    """The advice comes from the answers, not from memory: a restored draft still shows it."""
    session, _ = engine.start("en")
    for step, option in (("language", "en"), ("consent", "agree"), ("who", "self"),
                         ("status", "other"), ("location", "russia"),
                         ("criminal_case", "no"), ("health", "no"),
                         ("urgency", "now")):  # fmt: skip
        engine.handle(session, ev.Choose(step, option))
    restored = Session.from_dict(session.to_dict())
    again = engine.handle(restored, ev.Done("help"))
    assert isinstance(again, ev.Prompt)
    assert [n.key for n in again.notices] == ["notice-danger-now", "choose-at-least-one"]


# -- the codeword (a `secret` step) -----------------------------------------------------------


def _at_codeword(engine: Engine) -> Session:
    session, _prompt = walk(engine, {**SOLDIER, "codeword": None})
    engine.handle(session, ev.Edit("codeword"))
    assert session.state == "codeword"
    return session


def test_a_codeword_is_kept_only_as_the_hash_the_caller_made(engine: Engine) -> None:
    session = _at_codeword(engine)
    shown = engine.handle(session, ev.Text("  Ёлка зимой  ", digest="argon2id$hash"))
    assert isinstance(shown, ev.Prompt)
    assert shown.step == REVIEW
    assert session.answers["codeword"] == "argon2id$hash"
    assert "Ёлка" not in json.dumps(session.to_dict(), ensure_ascii=False)
    line = next(line for line in shown.review if line.step == "codeword")
    assert line.secret  # the review shows "set (hidden)", never what is kept
    done = engine.handle(session, ev.Submit())
    assert isinstance(done, ev.Completed)
    assert done.answers["codeword"] == "argon2id$hash"


def test_a_codeword_too_short_is_refused_and_nothing_kept(engine: Engine) -> None:
    session = _at_codeword(engine)
    before = session.to_dict()
    shown = engine.handle(session, ev.Text("abc", digest="argon2id$hash"))
    assert isinstance(shown, ev.Prompt)
    assert shown.step == "codeword"
    assert [n.key for n in shown.notices] == ["text-too-short"]
    assert shown.notices[0].args == {"min": 4}
    assert session.to_dict() == before


def test_a_codeword_without_its_hash_is_a_programming_error(engine: Engine) -> None:
    session = _at_codeword(engine)
    with pytest.raises(ValueError, match="digest"):
        engine.handle(session, ev.Text("Ёлка зимой"))


def test_the_codeword_question_can_be_skipped(engine: Engine) -> None:
    session = _at_codeword(engine)
    shown = engine.handle(session, ev.Skip("codeword"))
    assert isinstance(shown, ev.Prompt)
    assert shown.step == REVIEW
    assert session.answers["codeword"] == ""
