"""The fast path in danger: after urgency "now", every question also offers "Send now"."""

from __future__ import annotations

from typing import Any

import pytest

from dialogs import events as ev
from dialogs.engine import Engine
from dialogs.session import Session
from dialogs.spec import REVIEW, load

CHOSEN = {"language": "en", "consent": "agree", "urgency": "now"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load())


def answer(engine: Engine, session: Session, prompt: ev.Prompt) -> ev.Outcome:
    """Answer the current question: the choice in CHOSEN, else the first option (or skip)."""
    step = prompt.step
    if prompt.kind in ("choice", "yesno"):
        return engine.handle(session, ev.Choose(step, CHOSEN.get(step, prompt.options[0])))
    if prompt.kind == "multi":
        engine.handle(session, ev.Toggle(step, prompt.options[0]))
        return engine.handle(session, ev.Done(step))
    if prompt.optional:
        return engine.handle(session, ev.Skip(step))
    return engine.handle(session, ev.Text("words"))


def until(engine: Engine, step: str) -> tuple[Session, ev.Prompt]:
    """Walk from the start until `step` is asked, answering as `answer` does."""
    session, prompt = engine.start("en")
    for _ in range(40):
        if prompt.step == step:
            return session, prompt
        outcome = answer(engine, session, prompt)
        assert isinstance(outcome, ev.Prompt)
        prompt = outcome
    raise AssertionError(f"{step} was never asked")


def test_send_now_is_not_offered_before_urgency_now(engine: Engine) -> None:
    session, prompt = engine.start("en")
    while prompt.step != "urgency":
        assert not prompt.can_send_now
        outcome = answer(engine, session, prompt)
        assert isinstance(outcome, ev.Prompt)
        prompt = outcome
    assert not prompt.can_send_now
    refused = engine.handle(session, ev.SendNow())
    assert isinstance(refused, ev.Prompt)
    assert refused.notices[0].key == "stale-button"
    assert not session.sent


def test_other_urgencies_offer_no_send_now(engine: Engine) -> None:
    session, _ = until(engine, "urgency")
    after = engine.handle(session, ev.Choose("urgency", "days"))
    assert isinstance(after, ev.Prompt)
    assert not after.can_send_now


def test_send_now_after_urgency_now_gives_a_partial_case_at_priority_1(engine: Engine) -> None:
    session, _ = until(engine, "urgency")
    after = engine.handle(session, ev.Choose("urgency", "now"))
    assert isinstance(after, ev.Prompt)
    assert any(n.key == "notice-danger-now" for n in after.notices)
    assert after.can_send_now
    state = session.state
    sent = engine.handle(session, ev.SendNow())
    assert isinstance(sent, ev.Completed)
    assert sent.partial
    assert sent.priority == 1
    assert sent.sent is None
    assert sent.answers["urgency"] == "now"
    assert state not in sent.answers  # the question on screen is not answered yet
    assert "language" not in sent.answers
    assert "consent" not in sent.answers
    assert session.state == state
    assert session.sent
    again = engine.handle(session, ev.SendNow())  # a second press: already sent
    assert isinstance(again, ev.Prompt)
    assert "stale-button" in [n.key for n in again.notices]  # the danger advice stays too
    assert not engine.handle(session, ev.Repeat()).can_send_now  # type: ignore[union-attr]


def test_send_now_is_offered_on_every_later_question_and_the_review(engine: Engine) -> None:
    session, _ = until(engine, "urgency")
    prompt: ev.Outcome = engine.handle(session, ev.Choose("urgency", "now"))
    seen = 0
    while isinstance(prompt, ev.Prompt) and prompt.step != REVIEW:
        assert prompt.can_send_now, prompt.step
        seen += 1
        prompt = answer(engine, session, prompt)
    assert isinstance(prompt, ev.Prompt)
    assert prompt.step == REVIEW
    assert prompt.can_send_now
    assert seen >= 1


def test_resume_after_send_now_and_complete_the_same_case(engine: Engine) -> None:
    session, _ = until(engine, "urgency")
    engine.handle(session, ev.Choose("urgency", "now"))
    partial = engine.handle(session, ev.SendNow())
    assert isinstance(partial, ev.Completed)
    session.case = "ABCD-EFGH"  # what casework records once the case is stored
    restored = Session.from_dict(session.to_dict())  # the draft survives a restart
    assert restored.sent
    assert restored.case == "ABCD-EFGH"
    prompt: ev.Outcome = engine.handle(restored, ev.Repeat())
    while isinstance(prompt, ev.Prompt) and prompt.step != REVIEW:
        assert not prompt.can_send_now
        prompt = answer(engine, restored, prompt)
    assert isinstance(prompt, ev.Prompt)
    assert not prompt.can_send_now
    done = engine.handle(restored, ev.Submit())
    assert isinstance(done, ev.Completed)
    assert not done.partial
    assert done.sent == "ABCD-EFGH"
    assert done.priority == 1
    assert set(partial.answers) < set(done.answers)
    assert all(done.answers[k] == v for k, v in partial.answers.items())


def test_a_complete_case_keeps_priority_1_even_if_urgency_changed(engine: Engine) -> None:
    session, _ = until(engine, "urgency")
    engine.handle(session, ev.Choose("urgency", "now"))
    engine.handle(session, ev.SendNow())
    engine.handle(session, ev.Back())
    while session.state != "urgency":
        engine.handle(session, ev.Back())
    prompt: Any = engine.handle(session, ev.Choose("urgency", "weeks"))
    while isinstance(prompt, ev.Prompt) and prompt.step != REVIEW:
        prompt = answer(engine, session, prompt)
    done = engine.handle(session, ev.Submit())
    assert isinstance(done, ev.Completed)
    assert done.priority == 1
