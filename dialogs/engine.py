"""The questionnaire engine: one shared `transitions` machine that moves many sessions.

Per event: wrap the session in a fresh model, add it to the machine at its stored state,
trigger, remove it. The machine is synchronous and its callbacks only touch the model, so an
event is handled atomically with respect to the event loop; storage and transport happen
outside, before and after. Nothing here knows Telegram, SQL or Redis.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from transitions import EventData, Machine

from dialogs import events as ev
from dialogs.session import Session
from dialogs.spec import REVIEW, TYPED_KINDS, Questionnaire, Route, Step

SUBMITTED = "submitted"

SEND_NOW_WHEN = ("urgency", "now")
"""The answer (step id, option id) after which every question also offers "Send now"."""
SEND_NOW_PRIORITY = 1
"""A request sent with "Send now", and its completion, go at the highest priority."""

# State names and trigger arguments would otherwise reach the log at INFO.
logging.getLogger("transitions").setLevel(logging.WARNING)


@dataclass
class _Model:
    """The object the machine moves for the length of one event."""

    session: Session
    state: str = ""
    notices: list[str] = field(default_factory=list)
    trigger: Callable[..., bool] = field(init=False, repr=False)


class Engine:
    """Runs a checked questionnaire; `handle` takes a session and an event, returns an outcome."""

    def __init__(self, spec: Questionnaire) -> None:
        self.spec = spec
        self._followers = _followers(spec)
        self.machine = Machine(
            model=None,
            states=[*spec.steps, REVIEW, SUBMITTED],
            transitions=self._transitions(),
            initial=spec.start,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=True,
        )

    # -- building the machine from data ------------------------------------------------------

    def transition_table(self) -> list[dict[str, Any]]:
        """The machine's transitions as data (used for the diagram)."""
        return self._transitions()

    def _transitions(self) -> list[dict[str, Any]]:
        table: list[dict[str, Any]] = []
        for step in self.spec.steps.values():
            table.extend(
                {
                    "trigger": "answer",
                    "source": step.id,
                    "dest": route.to,
                    "conditions": [_route_applies(route)],
                    "after": [_raise_notice(route.notice)] if route.notice else [],
                }
                for route in step.routes
            )
        for dest, sources in self._followers.items():
            table.extend(
                {
                    "trigger": "back",
                    "source": source,
                    "dest": dest,
                    "conditions": [_argument_is("previous", dest)],
                }
                for source in sorted(sources)
            )
        table.extend(
            {
                "trigger": "edit",
                "source": REVIEW,
                "dest": step.id,
                "conditions": [_argument_is("step", step.id)],
            }
            for step in self.spec.steps.values()
            if step.review and step.kind != "end"
        )
        table.append({"trigger": "submit", "source": REVIEW, "dest": SUBMITTED})
        return table

    # -- public API ----------------------------------------------------------------------------

    def suggest_language(self, client_language: str | None) -> str:
        """The Telegram client's language when we have it, else the questionnaire default."""
        code = (client_language or "").split("-")[0].lower()
        return code if code in self.spec.languages else self.spec.default_language

    def start(self, client_language: str | None = None) -> tuple[Session, ev.Prompt]:
        session = Session(state=self.spec.start, language=self.suggest_language(client_language))
        self._enter(session)
        return session, self.prompt(session)

    def handle(self, session: Session, event: ev.Event) -> ev.Outcome:
        """Apply one event; the session is changed in place and must be saved by the caller."""
        if session.state not in self.spec.steps and session.state != REVIEW:
            raise ValueError("session is not in a known state")
        match event:
            case ev.Choose(step=step_id, option=option):
                return self._choose(session, step_id, option)
            case ev.Toggle(step=step_id, option=option):
                return self._toggle(session, step_id, option)
            case ev.Done(step=step_id):
                return self._done(session, step_id)
            case ev.Skip(step=step_id):
                return self._skip(session, step_id)
            case ev.Text(text=text, digest=digest):
                return self._text(session, text, digest)
            case ev.Back():
                return self._back(session)
            case ev.Edit(step=step_id):
                return self._edit(session, step_id)
            case ev.Submit():
                return self._submit(session)
            case ev.SendNow():
                return self._send_now(session)
            case ev.SetLanguage(language=language):
                return self._set_language(session, language)
            case ev.Repeat():
                return self.prompt(session)
            case ev.Unsupported():
                return self._refuse(session, "unsupported-media")
        raise TypeError(f"unknown event {type(event).__name__}")

    def prompt(self, session: Session, *notices: str | ev.Notice) -> ev.Prompt:
        """What to show for the session's current state, with notices above it."""
        shown = tuple(n if isinstance(n, ev.Notice) else ev.Notice(n) for n in notices)
        if session.state == REVIEW:
            lines = tuple(
                ev.ReviewLine(
                    step_id,
                    session.answers[step_id],
                    secret=self.spec.steps[step_id].kind == "secret",
                )
                for step_id in self.path(session.answers)
                if step_id in self.spec.steps and self.spec.steps[step_id].review
            )
            return ev.Prompt(
                step=REVIEW,
                kind="review",
                language=session.language,
                can_go_back=True,
                notices=shown,
                review=lines,
                can_send_now=self.can_send_now(session),
            )
        step = self.spec.step(session.state)
        options = tuple(o.id for o in step.visible_options(session.answers))
        if step.kind == "multi":
            selected = tuple(session.pending)
        elif step.kind in ("choice", "yesno") and session.state in session.answers:
            selected = (str(session.answers[session.state]),)
        else:
            selected = ()
        return ev.Prompt(
            step=step.id,
            kind=step.kind,
            language=session.language,
            options=options,
            selected=selected,
            optional=step.optional,
            max_length=step.max_length,
            min_length=step.min_length,
            can_go_back=self._previous(session) is not None,
            notices=shown,
            can_send_now=self.can_send_now(session),
        )

    def can_send_now(self, session: Session) -> bool:
        """In danger, not sent yet, on a question or the review screen: "Send now" is offered."""
        step_id, option = SEND_NOW_WHEN
        on_question = session.state == REVIEW or (
            session.state in self.spec.steps and self.spec.step(session.state).kind != "end"
        )
        return on_question and not session.sent and session.answers.get(step_id) == option

    def path(self, answers: dict[str, Any]) -> list[str]:
        """The steps a person with these answers walks through, up to the first unanswered one."""
        walked: list[str] = []
        current = self.spec.start
        while current in self.spec.steps and current not in walked:
            walked.append(current)
            step = self.spec.steps[current]
            if current not in answers or not self._still_valid(step, answers):
                return walked
            route = next((r for r in step.routes if r.applies(answers)), None)
            if route is None:
                return walked
            current = route.to
        if current == REVIEW:
            walked.append(REVIEW)
        return walked

    # -- event handlers --------------------------------------------------------------------------

    def _choose(self, session: Session, step_id: str, option: str) -> ev.Outcome:
        step = self._current_step(session, step_id, "choice", "yesno")
        if step is None or option not in self.prompt(session).options:
            return self._refuse(session, "stale-button")
        session.answers[step.id] = option
        if step.id == "language" and option in self.spec.languages:
            session.language = option
        return self._advance(session)

    def _toggle(self, session: Session, step_id: str, option: str) -> ev.Outcome:
        step = self._current_step(session, step_id, "multi")
        if step is None or option not in self.prompt(session).options:
            return self._refuse(session, "stale-button")
        exclusive = {o.id for o in step.options if o.exclusive}
        if option in session.pending:
            session.pending.remove(option)
        elif option in exclusive:
            session.pending = [option]
        else:
            session.pending = [p for p in session.pending if p not in exclusive] + [option]
        order = list(self.prompt(session).options)
        session.pending.sort(key=order.index)
        return self.prompt(session)

    def _done(self, session: Session, step_id: str) -> ev.Outcome:
        step = self._current_step(session, step_id, "multi")
        if step is None:
            return self._refuse(session, "stale-button")
        if not session.pending:
            return self._refuse(session, "choose-at-least-one")
        session.answers[step.id] = list(session.pending)
        return self._advance(session)

    def _skip(self, session: Session, step_id: str) -> ev.Outcome:
        step = self._current_step(session, step_id, *TYPED_KINDS)
        if step is None or not step.optional:
            return self._refuse(session, "stale-button")
        session.answers[step.id] = ""
        return self._advance(session)

    def _text(self, session: Session, text: str, digest: str | None) -> ev.Outcome:
        if not self.expects_typing(session):
            return self._refuse(session, "expected-button")
        step = self.spec.step(session.state)
        cleaned = text.strip()
        if not cleaned:
            return self._refuse(session, "text-empty")
        if len(cleaned) > step.max_length:
            notice = ev.Notice("text-too-long", {"max": step.max_length, "length": len(cleaned)})
            return self._refuse(session, notice)
        if len(cleaned) < step.min_length:
            notice = ev.Notice("text-too-short", {"min": step.min_length})
            return self._refuse(session, notice)
        if step.kind == "secret":
            if not digest:
                raise ValueError("a secret step keeps only a digest of the words")
            session.answers[step.id] = digest
        else:
            session.answers[step.id] = cleaned
        return self._advance(session)

    def expects_typing(self, session: Session) -> bool:
        return session.state in self.spec.steps and self.spec.step(session.state).kind in (
            TYPED_KINDS
        )

    def expects_secret(self, session: Session) -> bool:
        """The question on screen asks for a codeword: what the person types next is hashed
        before it reaches `handle`, and their message is deleted from the chat."""
        return session.state in self.spec.steps and self.spec.step(session.state).kind == "secret"

    def _back(self, session: Session) -> ev.Outcome:
        previous = self._previous(session)
        if previous is None:
            return self.prompt(session, "back-at-start")
        self._fire(session, "back", previous=previous)
        self._enter(session)
        return self.prompt(session)

    def _edit(self, session: Session, step_id: str) -> ev.Outcome:
        if session.state != REVIEW or step_id not in self.path(session.answers):
            return self._refuse(session, "stale-button")
        if self._fire(session, "edit", step=step_id) is None:
            return self._refuse(session, "stale-button")
        session.editing = True
        self._drop_closed_branches(session)  # a draft saved before answers were dropped
        self._enter(session)
        return self.prompt(session)

    def _submit(self, session: Session) -> ev.Outcome:
        if session.state != REVIEW:
            return self._refuse(session, "stale-button")
        answers = self._answered(session)
        self._fire(session, "submit")
        priority = int(self.spec.first_match(self.spec.priority, answers))
        return ev.Completed(
            answers=answers,
            priority=SEND_NOW_PRIORITY if session.sent else priority,
            category=str(self.spec.first_match(self.spec.category, answers)),
            language=session.language,
            sent=session.case if session.sent else None,
        )

    def _send_now(self, session: Session) -> ev.Outcome:
        """Send what is answered so far; the session stays where it is, to be resumed."""
        if not self.can_send_now(session):
            return self._refuse(session, "stale-button")
        answers = self._answered(session)
        session.sent = True
        return ev.Completed(
            answers=answers,
            priority=SEND_NOW_PRIORITY,
            category=str(self.spec.first_match(self.spec.category, answers)),
            language=session.language,
            partial=True,
        )

    def _answered(self, session: Session) -> dict[str, Any]:
        """The answers on the path taken, as a case keeps them."""
        return {
            step_id: session.answers[step_id]
            for step_id in self.path(session.answers)
            if step_id in self.spec.steps
            and self.spec.steps[step_id].review
            and step_id in session.answers
        }

    def _set_language(self, session: Session, language: str) -> ev.Outcome:
        if language not in self.spec.languages:
            return self._refuse(session, "stale-button")
        session.language = language
        if "language" in self.spec.steps and "language" in session.answers:
            session.answers["language"] = language
        return self.prompt(session)

    def _refuse(self, session: Session, notice: str | ev.Notice) -> ev.Prompt:
        """The same question again after a refused answer, with the notices it came with.

        The transport replaces the last screen, so without them a warning the person still
        needs (such as what to do in danger) would vanish on a mistyped or empty answer.
        """
        return self.prompt(session, *self.arrival_notices(session), notice)

    def arrival_notices(self, session: Session) -> list[str]:
        """The notices shown with the current question: those of the route that led to it."""
        previous = self._previous(session)
        if previous is None or previous not in self.spec.steps:
            return []
        route = next(
            (r for r in self.spec.steps[previous].routes if r.applies(session.answers)), None
        )
        if route is None or route.to != session.state or not route.notice:
            return []
        return [f"notice-{route.notice}"]

    # -- helpers -------------------------------------------------------------------------------

    def _advance(self, session: Session) -> ev.Outcome:
        """Move on after an answer; while editing, skip questions that are still answered."""
        self._drop_closed_branches(session)
        notices: list[str] = []
        while True:
            raised = self._fire(session, "answer")
            if raised is None:  # unreachable for a checked questionnaire: the last route is open
                break
            notices.extend(raised)
            if session.state == REVIEW:
                session.editing = False
                break
            step = self.spec.step(session.state)
            if step.kind == "end":
                return ev.Finished(step=step.id, language=session.language)
            if not (session.editing and self._still_valid(step, session.answers)):
                break
        self._enter(session)
        return self.prompt(session, *notices)

    def reachable(self, answers: dict[str, Any]) -> set[str]:
        """The steps a person with these answers may still reach.

        A step that is answered (and whose answer still fits) leads only where its route goes;
        an unanswered one, or one whose answer no longer fits, may lead anywhere its routes go,
        because its answer is not known yet.
        """
        seen: set[str] = set()
        todo = [self.spec.start]
        while todo:
            current = todo.pop()
            if current in seen or current not in self.spec.steps:
                continue
            seen.add(current)
            step = self.spec.steps[current]
            if current in answers and self._still_valid(step, answers):
                route = next((r for r in step.routes if r.applies(answers)), None)
                todo.extend([route.to] if route else [])
            else:
                todo.extend(route.to for route in step.routes)
        return seen

    def _drop_closed_branches(self, session: Session) -> None:
        """Forget the answers to questions the current answers no longer lead to.

        Otherwise an answer from a branch that closed would come back, without its question
        being asked again, when a later change opens the branch again.
        """
        reachable = self.reachable(session.answers)
        while stale := [step_id for step_id in session.answers if step_id not in reachable]:
            for step_id in stale:
                del session.answers[step_id]
            reachable = self.reachable(session.answers)

    def _fire(self, session: Session, trigger: str, **arguments: str) -> list[str] | None:
        """Run one trigger on a fresh model: the notices raised, or None if nothing fired."""
        model = _Model(session=session)
        self.machine.add_model(model, initial=session.state)
        try:
            fired = model.trigger(trigger, **arguments)
        finally:
            self.machine.remove_model(model)
        if not fired:
            return None
        session.state = model.state
        return model.notices

    def _enter(self, session: Session) -> None:
        """Prepare a question for display: a multiple choice starts from the earlier answer."""
        session.pending = []
        if session.state in self.spec.steps and self.spec.step(session.state).kind == "multi":
            earlier = session.answers.get(session.state) or []
            visible = [o.id for o in self.spec.step(session.state).visible_options(session.answers)]
            session.pending = [o for o in visible if o in earlier]

    def _current_step(self, session: Session, step_id: str, *kinds: str) -> Step | None:
        if session.state != step_id or step_id not in self.spec.steps:
            return None
        step = self.spec.step(step_id)
        return step if step.kind in kinds else None

    def _previous(self, session: Session) -> str | None:
        walked = self.path(session.answers)
        if session.state not in walked:
            walked = [*walked, session.state]
        index = walked.index(session.state)
        return walked[index - 1] if index > 0 else None

    def _still_valid(self, step: Step, answers: dict[str, Any]) -> bool:
        """An answer given earlier may no longer fit after an earlier answer changed."""
        answer = answers.get(step.id)
        visible = {o.id for o in step.visible_options(answers)}
        if step.kind in ("choice", "yesno"):
            return answer in visible
        if step.kind == "multi":
            return isinstance(answer, list) and bool(answer) and set(answer) <= visible
        if step.kind == "text":
            return isinstance(answer, str) and len(answer) <= step.max_length
        if step.kind == "secret":
            return isinstance(answer, str)
        return False


def _followers(spec: Questionnaire) -> dict[str, set[str]]:
    """For each step, the steps that can follow it: `back` from any of them may return to it."""
    result: dict[str, set[str]] = {}
    for step in spec.steps.values():
        for route in step.routes:
            result.setdefault(step.id, set()).add(route.to)
    return result


def _model(event: EventData) -> _Model:
    """The event's model: transitions types it `object`, but this machine only moves a _Model."""
    return cast(_Model, event.model)


def _route_applies(route: Route) -> Callable[[EventData], bool]:
    def applies(event: EventData) -> bool:
        return route.applies(_model(event).session.answers)

    # The name is what a diagram shows on the edge.
    applies.__name__ = route.describe() or "otherwise"
    return applies


def _argument_is(name: str, value: str) -> Callable[[EventData], bool]:
    def matches(event: EventData) -> bool:
        return bool(event.kwargs.get(name) == value)

    matches.__name__ = f"{name}={value}"
    return matches


def _raise_notice(notice: str | None) -> Callable[[EventData], None]:
    return lambda event: _model(event).notices.append(f"notice-{notice}")
