"""The questionnaire as typed data, loaded from YAML and checked before anyone is asked anything.

A broken questionnaire must stop start-up, not strand a person halfway: unknown targets,
unreachable steps, dead ends and missing texts are all reported here, with the step named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from dialogs.conditions import Condition

StepKind = Literal["choice", "yesno", "multi", "text", "secret", "end"]
STEP_KINDS: tuple[StepKind, ...] = ("choice", "yesno", "multi", "text", "secret", "end")
TYPED_KINDS = frozenset({"text", "secret"})
"""Steps answered by typing; a `secret` one (a codeword) is kept only as what the caller
hashed it into, and shown on the review screen only as set or skipped."""
YES_NO = ("yes", "no")
REVIEW = "review"
"""The built-in final screen: every answer with a button to change it, then Submit."""

_ID = re.compile(r"^[a-z][a-z0-9_]{0,23}$")


class SpecError(ValueError):
    """The questionnaire data is inconsistent; the message names the step and the problem."""


@dataclass(frozen=True)
class Option:
    id: str
    when: Condition = field(default_factory=Condition.always)
    unless: Condition = field(default_factory=Condition.never)
    exclusive: bool = False

    def visible(self, answers: Mapping[str, Any]) -> bool:
        return self.when.matches(answers) and not self.unless.matches(answers)


@dataclass(frozen=True)
class Route:
    to: str
    when: Condition = field(default_factory=Condition.always)
    unless: Condition = field(default_factory=Condition.never)
    notice: str | None = None

    @property
    def conditional(self) -> bool:
        return not (self.when.is_always and self.unless.is_never)

    def applies(self, answers: Mapping[str, Any]) -> bool:
        return self.when.matches(answers) and not self.unless.matches(answers)

    def describe(self) -> str:
        parts = [self.when.describe()] if self.when.clauses else []
        if self.unless.clauses:
            parts.append(f"not ({self.unless.describe()})")
        return " and ".join(parts)


@dataclass(frozen=True)
class Step:
    id: str
    kind: StepKind
    options: tuple[Option, ...] = ()
    routes: tuple[Route, ...] = ()
    max_length: int = 0
    min_length: int = 0
    optional: bool = False
    review: bool = True

    def visible_options(self, answers: Mapping[str, Any]) -> list[Option]:
        seen: dict[str, Option] = {}
        for option in self.options:
            if option.id not in seen and option.visible(answers):
                seen[option.id] = option
        return list(seen.values())

    def option_ids(self) -> list[str]:
        return list(dict.fromkeys(option.id for option in self.options))


@dataclass(frozen=True)
class Rule:
    """One line of a priority or category table: the first rule that matches decides."""

    value: Any
    when: Condition = field(default_factory=Condition.always)

    def applies(self, answers: Mapping[str, Any]) -> bool:
        return self.when.matches(answers)


@dataclass(frozen=True)
class Questionnaire:
    version: int
    languages: tuple[str, ...]
    default_language: str
    start: str
    steps: dict[str, Step]
    priority: tuple[Rule, ...]
    category: tuple[Rule, ...]

    def step(self, step_id: str) -> Step:
        return self.steps[step_id]

    def first_match(self, rules: Iterable[Rule], answers: Mapping[str, Any]) -> Any:
        for rule in rules:
            if rule.applies(answers):
                return rule.value
        raise SpecError("no rule matched; the last rule must be unconditional")

    def text_keys(self) -> set[str]:
        """Every locale key the questionnaire needs, so a missing text fails at start: its
        questions, options, labels and notices, and the name volunteers see for each category."""
        keys: set[str] = {"review-question", "review-submit", "review-change"}
        keys.update(f"category-{rule.value}" for rule in self.category)
        for step in self.steps.values():
            keys.add(f"{step.id}-question")
            if step.kind != "end" and step.review:
                keys.add(f"{step.id}-label")
            keys.update(f"{step.id}-opt-{option_id}" for option_id in step.option_ids())
            keys.update(f"notice-{route.notice}" for route in step.routes if route.notice)
        return keys


def load(path: str | Path | None = None) -> Questionnaire:
    """Load and check a questionnaire; the default is the one shipped in this package."""
    if path is None:
        text = resources.files("dialogs").joinpath("intake.yaml").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SpecError(f"not valid YAML{where}") from None
    return parse(data)


def parse(data: Mapping[str, Any]) -> Questionnaire:
    """Build a questionnaire from plain data and check its structure (not its texts)."""
    if not isinstance(data, Mapping):
        raise SpecError("the questionnaire must be a mapping")
    try:
        steps = {sid: _parse_step(sid, raw) for sid, raw in (data.get("steps") or {}).items()}
        spec = Questionnaire(
            version=int(data.get("version", 1)),
            languages=tuple(data.get("languages") or ()),
            default_language=str(data.get("default_language", "")),
            start=str(data.get("start", "")),
            steps=steps,
            priority=tuple(_parse_rule(r) for r in data.get("priority") or ()),
            category=tuple(_parse_rule(r) for r in data.get("category") or ()),
        )
    except (TypeError, KeyError, AttributeError) as error:
        raise SpecError(f"malformed questionnaire: {error}") from error
    check_structure(spec)
    return spec


def _parse_step(step_id: str, raw: Mapping[str, Any]) -> Step:
    if not _ID.match(step_id) or step_id == REVIEW:
        raise SpecError(f"step id {step_id!r} must be a short lower-case identifier, not 'review'")
    kind = raw.get("kind")
    if kind not in STEP_KINDS:
        raise SpecError(f"step {step_id!r}: kind must be one of {', '.join(STEP_KINDS)}")
    options = tuple(_parse_option(step_id, o) for o in raw.get("options") or ())
    if kind == "yesno":
        if options:
            raise SpecError(f"step {step_id!r}: a yesno step has its own options, yes and no")
        options = tuple(Option(id=answer) for answer in YES_NO)
    nxt = raw.get("next")
    if isinstance(nxt, str):
        routes: tuple[Route, ...] = (Route(to=nxt),)
    else:
        routes = tuple(
            Route(
                to=str(r["to"]),
                when=Condition.parse(r.get("when")),
                unless=Condition.parse(r.get("unless"), empty_matches=False),
                notice=r.get("notice"),
            )
            for r in nxt or ()
        )
    return Step(
        id=step_id,
        kind=kind,
        options=options,
        routes=routes,
        max_length=int(raw.get("max_length", 0)),
        min_length=int(raw.get("min_length", 0)),
        optional=bool(raw.get("optional", False)),
        review=bool(raw.get("review", True)),
    )


def _parse_option(step_id: str, raw: str | Mapping[str, Any]) -> Option:
    if isinstance(raw, str):
        raw = {"id": raw}
    option_id = str(raw["id"])
    if not _ID.match(option_id):
        raise SpecError(f"step {step_id!r}: option id {option_id!r} is not a short identifier")
    return Option(
        id=option_id,
        when=Condition.parse(raw.get("when")),
        unless=Condition.parse(raw.get("unless"), empty_matches=False),
        exclusive=bool(raw.get("exclusive", False)),
    )


def _parse_rule(raw: Mapping[str, Any]) -> Rule:
    return Rule(value=raw["value"], when=Condition.parse(raw.get("when")))


def check_structure(spec: Questionnaire) -> None:
    """Unknown targets, unreachable steps and dead ends, each reported with the step named."""
    errors: list[str] = []
    known = set(spec.steps) | {REVIEW}
    if spec.start not in spec.steps:
        errors.append(f"start step {spec.start!r} is not a step")
    if not spec.languages or spec.default_language not in spec.languages:
        errors.append("default_language must be one of languages")
    for step in spec.steps.values():
        errors.extend(_check_step(step, spec, known))
    for table, rules in (("priority", spec.priority), ("category", spec.category)):
        if not rules or not rules[-1].when.is_always:
            errors.append(f"{table}: the last rule must have no condition")
    if not errors:
        errors.extend(_check_graph(spec))
    if errors:
        raise SpecError("questionnaire is invalid:\n  - " + "\n  - ".join(errors))


def _check_step(step: Step, spec: Questionnaire, known: set[str]) -> list[str]:
    errors: list[str] = []
    where = f"step {step.id!r}"
    if step.kind == "end":
        if step.routes:
            errors.append(f"{where}: an end step has no next")
        return errors
    if not step.routes:
        errors.append(f"{where}: dead end, it has no next")
    elif step.routes[-1].conditional:
        errors.append(f"{where}: dead end when no route matches; make the last route unconditional")
    errors.extend(
        f"{where}: unknown target {route.to!r}" for route in step.routes if route.to not in known
    )
    if step.kind in ("choice", "yesno", "multi") and not step.options:
        errors.append(f"{where}: a {step.kind} step needs options")
    if step.kind in TYPED_KINDS and step.max_length <= 0:
        errors.append(f"{where}: a {step.kind} step needs max_length")
    if step.min_length > step.max_length > 0:
        errors.append(f"{where}: min_length is above max_length")
    for condition in _conditions_of(step):
        errors.extend(
            f"{where}: condition refers to unknown step {ref!r}"
            for ref in condition.steps()
            if ref not in spec.steps
        )
    return errors


def _conditions_of(step: Step) -> Iterable[Condition]:
    for option in step.options:
        yield option.when
        yield option.unless
    for route in step.routes:
        yield route.when
        yield route.unless


def _check_graph(spec: Questionnaire) -> list[str]:
    reachable = _reachable(spec.start, spec)
    errors = [
        f"step {sid!r} is unreachable from {spec.start!r}"
        for sid in spec.steps
        if sid not in reachable
    ]
    if REVIEW not in reachable:
        errors.append("the review screen is unreachable: no path ends in 'review'")
    finishing = {REVIEW} | {sid for sid, step in spec.steps.items() if step.kind == "end"}
    errors.extend(
        f"step {sid!r} is a dead end: no path from it reaches the review or an end"
        for sid in sorted(reachable - finishing)
        if not (_reachable(sid, spec) & finishing)
    )
    return errors


def _reachable(origin: str, spec: Questionnaire) -> set[str]:
    seen: set[str] = set()
    todo = [origin]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in spec.steps:
            todo.extend(route.to for route in spec.steps[current].routes)
    return seen


def missing_texts(spec: Questionnaire, available: Mapping[str, set[str]]) -> list[str]:
    """Keys the questionnaire needs that a language lacks, as 'lang: key' lines."""
    needed = spec.text_keys()
    return [
        f"{lang}: {key}"
        for lang in spec.languages
        for key in sorted(needed - available.get(lang, set()))
    ]
