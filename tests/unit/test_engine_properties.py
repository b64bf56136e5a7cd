"""Properties of the questionnaire engine under arbitrary input (hypothesis).

Whatever a person (or a forged or stale button) sends, in any order, the engine never raises
and the draft stays one the engine can show, store and restore: a known state, a selection made
of offered options only, answers of the right type, a prompt that matches the state. A submitted
case holds only the answers on the path taken. A person who only presses offered buttons always
reaches the review screen, and can submit, in a bounded number of steps.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dialogs import events as ev
from dialogs.engine import SUBMITTED, Engine
from dialogs.session import Session
from dialogs.spec import REVIEW, Questionnaire, load

ENGINE = Engine(load())
SPEC: Questionnaire = ENGINE.spec
STEP_IDS = sorted(SPEC.steps)
ASKED = [sid for sid in STEP_IDS if SPEC.steps[sid].kind != "end"]
ALL_OPTIONS = sorted({o for step in SPEC.steps.values() for o in step.option_ids()})
CATEGORIES = {str(rule.value) for rule in SPEC.category}
# Refusals: the question is shown again with a reason, and the draft is left exactly as it was.
REFUSALS = {
    "stale-button",
    "expected-button",
    "text-empty",
    "text-too-long",
    "text-too-short",
    "choose-at-least-one",
    "back-at-start",
    "unsupported-media",
}

made_up = st.text(max_size=30)
step_ids = st.one_of(st.sampled_from([*STEP_IDS, REVIEW, SUBMITTED]), made_up)
option_ids = st.one_of(st.sampled_from(ALL_OPTIONS), made_up)
languages = st.one_of(st.sampled_from(SPEC.languages), st.sampled_from(["de", "", "EN", "ru-RU"]),
                      made_up)  # fmt: skip
texts = st.one_of(
    st.text(),
    st.just(""),
    st.text(alphabet=" \t\n\r\u00a0\u2003\u3000", max_size=20),
    st.builds(lambda n, c: c * n, st.integers(990, 1010), st.sampled_from(["x", "я", " x"])),
    st.just("ж" * 5000),
    st.text(min_size=1, max_size=200),
)

events = st.one_of(
    st.builds(ev.Choose, step_ids, option_ids),
    st.builds(ev.Toggle, step_ids, option_ids),
    st.builds(ev.Done, step_ids),
    st.builds(ev.Skip, step_ids),
    st.builds(ev.Edit, step_ids),
    st.builds(ev.Text, texts),
    st.just(ev.Back()),
    st.just(ev.Submit()),
    st.builds(ev.SetLanguage, languages),
    st.just(ev.Repeat()),
    st.builds(ev.Unsupported, st.sampled_from(["sticker", "photo", "voice", "other", ""])),
)


@dataclasses.dataclass(frozen=True)
class Guided:
    """Resolved at run time into an event that fits the screen (see `guided_event`), so that
    random sequences get deep into the questionnaire and do not only bounce off its start."""

    pick: int


@st.composite
def actions(draw: st.DrawFn) -> Any:
    """Three actions in four fit the screen; the others are any event at all."""
    if draw(st.integers(0, 3)) < 3:
        return Guided(draw(st.integers(0, 999)))
    return draw(events)


@st.composite
def scripts(draw: st.DrawFn, longest: int = 60) -> list[Any]:
    """Up to `longest` actions, with every length equally likely (not mostly short lists)."""
    size = draw(st.integers(0, longest))
    return draw(st.lists(actions(), min_size=size, max_size=size))


def guided_event(session: Session, prompt: ev.Prompt, pick: int) -> ev.Event:
    """An answer a person could give to this screen by pressing its buttons or writing.

    Nine times in ten it avoids an answer that ends the questionnaire (declining the consent),
    so that most sequences go on to the later questions.
    """
    if prompt.kind == "review":
        editable = [line.step for line in prompt.review]
        choices: list[ev.Event] = [ev.Submit(), ev.Back(), *(ev.Edit(s) for s in editable)]
        return choices[pick % len(choices)]
    if prompt.kind in ("choice", "yesno"):
        options = list(prompt.options)
        if pick % 10:
            options = [o for o in options if not _ends(session, ev.Choose(prompt.step, o))]
        return ev.Choose(prompt.step, options[pick % len(options)])
    if prompt.kind == "multi":
        if pick % 2 == 0 and prompt.selected:
            return ev.Done(prompt.step)
        return ev.Toggle(prompt.step, prompt.options[pick % len(prompt.options)])
    if prompt.kind == "text":
        if prompt.optional and pick % 4 == 0:
            return ev.Skip(prompt.step)
        return ev.Text(f"  answer {pick}  ")
    if prompt.kind == "secret":
        if prompt.optional and pick % 4 == 0:
            return ev.Skip(prompt.step)
        return hashed(session, ev.Text(f"  word {pick}  "))
    raise AssertionError(f"a prompt of kind {prompt.kind!r} is never shown")


def hashed(session: Session, event: ev.Event) -> ev.Event:
    """What casework hands the engine at a codeword question: the words and their hash."""
    if isinstance(event, ev.Text) and ENGINE.expects_secret(session):
        return ev.Text(event.text, digest=DIGEST_PREFIX + event.text.strip())
    return event


DIGEST_PREFIX = "hash-of:"


def _ends(session: Session, event: ev.Choose) -> bool:
    """Whether this answer leads straight to an end step (a cheap look at the routes)."""
    answers = {**session.answers, event.step: event.option}
    route = next(r for r in SPEC.steps[event.step].routes if r.applies(answers))
    return route.to in SPEC.steps and SPEC.steps[route.to].kind == "end"


# -- the invariants -------------------------------------------------------------------------------


def assert_answer_fits(step_id: str, answer: Any) -> None:
    assert step_id in SPEC.steps, f"answer for unknown step {step_id!r}"
    step = SPEC.steps[step_id]
    if step.kind in ("choice", "yesno"):
        assert isinstance(answer, str), (step_id, answer)
        assert answer in step.option_ids(), (step_id, answer)
    elif step.kind == "multi":
        assert isinstance(answer, list), (step_id, answer)
        assert answer, f"empty selection stored for {step_id!r}"
        assert all(isinstance(a, str) for a in answer), (step_id, answer)
        assert len(set(answer)) == len(answer), (step_id, answer)
        assert set(answer) <= set(step.option_ids()), (step_id, answer)
        exclusive = {o.id for o in step.options if o.exclusive}
        assert len(answer) == 1 or not (set(answer) & exclusive), (step_id, answer)
    elif step.kind == "secret":
        assert isinstance(answer, str), (step_id, answer)
        assert answer == "" or answer.startswith(DIGEST_PREFIX), "a codeword is kept only hashed"
        assert answer or step.optional, f"empty answer for the required {step_id!r}"
    elif step.kind == "text":
        assert isinstance(answer, str), (step_id, answer)
        assert answer == answer.strip(), (step_id, answer)
        assert len(answer) <= step.max_length, (step_id, len(answer))
        assert answer or step.optional, f"empty answer for the required {step_id!r}"
    else:
        raise AssertionError(f"an answer was stored for the end step {step_id!r}")


def assert_valid_session(session: Session) -> None:
    assert session.state in SPEC.steps or session.state == REVIEW, session.state
    assert session.state == REVIEW or SPEC.steps[session.state].kind != "end", session.state
    assert session.language in SPEC.languages, session.language
    for step_id, answer in session.answers.items():
        assert_answer_fits(step_id, answer)
    if "language" in session.answers:
        assert session.answers["language"] == session.language
    if session.state == REVIEW:
        assert session.pending == []
        path = ENGINE.path(session.answers)
        assert path[-1] == REVIEW, f"review shown but the answers lead to {path[-1]!r}"
    else:
        step = SPEC.steps[session.state]
        visible = [o.id for o in step.visible_options(session.answers)]
        if step.kind == "multi":
            assert len(set(session.pending)) == len(session.pending), session.pending
            assert set(session.pending) <= set(visible), (session.pending, visible)
            ordered = [o for o in visible if o in session.pending]
            assert session.pending == ordered, "the selection is kept in the order shown"
        else:
            assert session.pending == [], (session.state, session.pending)
        assert session.state in ENGINE.path(session.answers), "the question is off the path"
    # Stored as JSON after every answer and restored after a restart.
    stored = json.loads(json.dumps(session.to_dict()))
    restored = Session.from_dict(stored)
    assert restored == session
    assert restored.to_dict() == session.to_dict()


def assert_prompt_matches(session: Session, prompt: ev.Prompt) -> None:
    assert prompt.step == session.state
    assert prompt.language == session.language
    assert all(isinstance(n, ev.Notice) for n in prompt.notices)
    if session.state == REVIEW:
        assert prompt.kind == "review"
        assert prompt.options == ()
        assert prompt.can_go_back
        shown = [line.step for line in prompt.review]
        expected = [s for s in ENGINE.path(session.answers) if s in SPEC.steps
                    and SPEC.steps[s].review]  # fmt: skip
        assert shown == expected
        assert all(line.answer == session.answers[line.step] for line in prompt.review)
    else:
        step = SPEC.steps[session.state]
        assert prompt.kind == step.kind
        assert list(prompt.options) == [o.id for o in step.visible_options(session.answers)]
        if step.kind not in ("text", "secret"):
            assert prompt.options, f"{step.id!r} is shown without any button to answer it"
        assert prompt.review == ()
        if step.kind == "multi":
            assert prompt.selected == tuple(session.pending)
        elif step.kind in ("choice", "yesno") and step.id in session.answers:
            assert prompt.selected == (session.answers[step.id],)
        else:
            assert prompt.selected == ()
        assert prompt.optional == step.optional
        assert prompt.max_length == step.max_length
        assert prompt.can_go_back == (step.id != SPEC.start)
    # The same screen, without the notices, is what a plain "show it again" gives.
    assert dataclasses.replace(prompt, notices=()) == ENGINE.prompt(session)
    restored = Session.from_dict(json.loads(json.dumps(session.to_dict())))
    assert dataclasses.replace(prompt, notices=()) == ENGINE.handle(restored, ev.Repeat())


def assert_valid_completion(session: Session, done: ev.Completed) -> None:
    assert session.state == SUBMITTED
    path = ENGINE.path(session.answers)
    assert path[-1] == REVIEW
    on_path = [s for s in path if s in SPEC.steps and SPEC.steps[s].review]
    assert list(done.answers) == on_path, "submitted answers are exactly those on the path"
    for step_id, answer in done.answers.items():
        assert_answer_fits(step_id, answer)
        assert answer == session.answers[step_id]
    assert "language" not in done.answers
    assert "consent" not in done.answers
    assert isinstance(done.priority, int)
    assert 1 <= done.priority <= 4
    assert done.category in CATEGORIES
    assert done.language == session.language


class AskedSince:
    """Which questions were shown since their branch last closed (a review screen left them out).

    A submitted answer must be one the person gave to a question shown on the current path:
    an answer from a branch that closed is dropped, and asked again if the branch opens again.
    """

    def __init__(self) -> None:
        self.shown: set[str] = set()

    def saw(self, prompt: ev.Prompt) -> None:
        if prompt.step in SPEC.steps:
            self.shown.add(prompt.step)
        elif prompt.step == REVIEW:
            self.shown &= {line.step for line in prompt.review} | {
                s for s in SPEC.steps if not SPEC.steps[s].review
            }

    def check(self, done: ev.Completed) -> None:
        unasked = set(done.answers) - self.shown
        assert not unasked, f"submitted without asking again after their branch closed: {unasked}"


# -- the properties -------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(start_language=st.one_of(st.none(), languages), script=scripts())
def test_any_sequence_of_events_keeps_the_draft_valid(
    start_language: str | None, script: list[Any]
) -> None:
    session, prompt = ENGINE.start(start_language)
    assert session.state == SPEC.start
    assert_valid_session(session)
    assert_prompt_matches(session, prompt)
    asked = AskedSince()
    asked.saw(prompt)
    for action in script:
        event = guided_event(session, prompt, action.pick) if isinstance(action, Guided) else action
        event = hashed(session, event)
        before = session.to_dict()
        outcome = ENGINE.handle(session, event)
        if isinstance(outcome, ev.Prompt):
            asked.saw(outcome)
        if isinstance(outcome, ev.Completed):
            assert isinstance(event, ev.Submit)
            assert_valid_completion(session, outcome)
            asked.check(outcome)
        elif isinstance(outcome, ev.Finished):
            assert outcome.step == session.state
            assert SPEC.steps[session.state].kind == "end"
            assert outcome.language == session.language
        else:
            assert isinstance(outcome, ev.Prompt), outcome
            assert_valid_session(session)
            assert_prompt_matches(session, outcome)
            keys = {n.key for n in outcome.notices}
            if keys & REFUSALS or isinstance(event, ev.Repeat):
                assert session.to_dict() == before, f"{event} was refused but changed the draft"
            prompt = outcome
            continue
        session, prompt = ENGINE.start(start_language)  # the person starts again
        asked = AskedSince()
        asked.saw(prompt)


def walk_offered_buttons(
    data: st.DataObject,
    session: Session,
    prompt: ev.Prompt,
    limit: int,
    asked: AskedSince | None = None,
) -> ev.Outcome:
    """Answer with offered buttons only (at least one per multiple choice) up to the review."""
    outcome: ev.Outcome = prompt
    for _ in range(limit + 1):
        if not isinstance(outcome, ev.Prompt) or outcome.step == REVIEW:
            return outcome
        if asked is not None:
            asked.saw(outcome)
        assert not outcome.notices or all(n.key.startswith("notice-") for n in outcome.notices)
        step = outcome.step
        if outcome.kind in ("choice", "yesno"):
            outcome = ENGINE.handle(
                session, ev.Choose(step, data.draw(st.sampled_from(outcome.options)))
            )
        elif outcome.kind == "multi":
            wanted = data.draw(st.lists(st.sampled_from(outcome.options), min_size=1, max_size=4))
            for option in wanted:
                shown = ENGINE.handle(session, ev.Toggle(step, option))
                assert isinstance(shown, ev.Prompt)
                assert shown.step == step
            if not session.pending:
                ENGINE.handle(session, ev.Toggle(step, outcome.options[0]))
            outcome = ENGINE.handle(session, ev.Done(step))
        elif outcome.kind in ("text", "secret"):
            if outcome.optional and data.draw(st.booleans()):
                outcome = ENGINE.handle(session, ev.Skip(step))
            else:
                size = data.draw(st.integers(max(1, outcome.min_length), outcome.max_length))
                outcome = ENGINE.handle(session, hashed(session, ev.Text("w" * size)))
        else:
            raise AssertionError(f"unexpected prompt kind {outcome.kind!r}")
        assert isinstance(outcome, ev.Prompt | ev.Finished), outcome
        if isinstance(outcome, ev.Prompt):
            assert outcome.step != step, f"an offered answer to {step!r} was not accepted"
    raise AssertionError(f"not at the review screen after {limit} answers")


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_pressing_offered_buttons_reaches_review_and_submits(data: st.DataObject) -> None:
    limit = len(ASKED)  # no step is asked twice on the way to the review
    session, prompt = ENGINE.start(data.draw(st.sampled_from(SPEC.languages)))
    outcome = walk_offered_buttons(data, session, prompt, limit)
    if isinstance(outcome, ev.Finished):
        # The only way out before the review: declining the consent.
        assert session.answers.get("consent") == "decline"
        return
    assert isinstance(outcome, ev.Prompt)
    assert outcome.step == REVIEW
    assert_valid_session(session)
    assert_prompt_matches(session, outcome)
    asked = AskedSince()
    asked.shown = set(session.answers)
    asked.saw(outcome)
    # Change some answers from the review screen: each change comes back to the review.
    for _ in range(data.draw(st.integers(0, 3))):
        step = data.draw(st.sampled_from([line.step for line in outcome.review]))
        shown = ENGINE.handle(session, ev.Edit(step))
        assert isinstance(shown, ev.Prompt)
        assert shown.step == step
        asked.saw(shown)
        outcome = walk_offered_buttons(data, session, shown, limit, asked)
        assert isinstance(outcome, ev.Prompt)
        assert outcome.step == REVIEW
        assert_valid_session(session)
        assert_prompt_matches(session, outcome)
        asked.saw(outcome)
    done = ENGINE.handle(session, ev.Submit())
    assert isinstance(done, ev.Completed)
    assert_valid_completion(session, done)
    asked.check(done)


BRANCHING = {sid for sid, step in SPEC.steps.items() if len({r.to for r in step.routes}) > 1}


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_an_answer_from_a_closed_branch_never_comes_back_unasked(data: st.DataObject) -> None:
    """Changing a branching answer from the review screen, and changing it back, asks the
    questions of the branch that closed and opened again; their old answers are not reused."""
    limit = len(ASKED)
    session, prompt = ENGINE.start(data.draw(st.sampled_from(SPEC.languages)))
    outcome = walk_offered_buttons(data, session, prompt, limit)
    assume(isinstance(outcome, ev.Prompt))  # not a declined consent
    assert isinstance(outcome, ev.Prompt)
    assert outcome.step == REVIEW
    asked = AskedSince()
    asked.shown = set(session.answers)
    asked.saw(outcome)
    for _ in range(data.draw(st.integers(2, 5))):
        editable = [line.step for line in outcome.review]
        branching = [s for s in editable if s in BRANCHING] or editable
        shown = ENGINE.handle(session, ev.Edit(data.draw(st.sampled_from(branching))))
        assert isinstance(shown, ev.Prompt)
        asked.saw(shown)
        outcome = walk_offered_buttons(data, session, shown, limit, asked)
        assert isinstance(outcome, ev.Prompt)
        assert outcome.step == REVIEW
        asked.saw(outcome)
    done = ENGINE.handle(session, ev.Submit())
    assert isinstance(done, ev.Completed)
    assert_valid_completion(session, done)
    asked.check(done)
