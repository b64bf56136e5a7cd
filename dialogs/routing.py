"""Teams and routing as data (`dialogs/routing.yaml`), checked against the questionnaire at start.

A request routed to a team that does not exist, or by a condition naming a step or option the
questionnaire does not have, would sit in nobody's queue: such a file stops the start with one
line naming the problem, like a broken questionnaire does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from dialogs.conditions import Condition
from dialogs.spec import Questionnaire

_ID = re.compile(r"^[a-z][a-z0-9_]{0,23}$")


class RoutingError(ValueError):
    """The routing data is inconsistent; the message (one line) names what and where."""


@dataclass(frozen=True)
class TeamRule:
    """One line of the routing table: the first rule that matches gives the case its team."""

    team: str
    when: Condition = field(default_factory=Condition.always)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    """Where a case goes: its team, and the tags that describe it in the queue."""

    team: str
    tags: tuple[str, ...]


SHARED = "shared"
"""The `canned` entry for replies offered on every team's cases."""


@dataclass(frozen=True)
class Routing:
    teams: tuple[str, ...]
    rules: tuple[TeamRule, ...]
    tags: dict[str, Condition]
    outcomes: tuple[str, ...] = ()
    canned: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def default_team(self) -> str:
        """The team of the last, unconditional rule: where nothing else matched."""
        return self.rules[-1].team

    def route(self, answers: Mapping[str, Any]) -> Route:
        """The team of the first matching rule; the tags of that rule and of every matching tag,
        in the file's order."""
        rule = next((r for r in self.rules if r.when.matches(answers)), self.rules[-1])
        tags = [*rule.tags, *(tag for tag, when in self.tags.items() if when.matches(answers))]
        return Route(team=rule.team, tags=tuple(dict.fromkeys(tags)))

    def text_keys(self) -> set[str]:
        """The locale keys of every team's, tag's and outcome's name (volunteers see words, not
        ids) and of every canned reply."""
        return (
            {f"team-{t}" for t in self.teams}
            | {f"tag-{t}" for t in self.tags}
            | {f"outcome-{o}" for o in self.outcomes}
            | {self.canned_key(team, key) for team, keys in self.canned.items() for key in keys}
        )

    @staticmethod
    def canned_key(team: str, key: str) -> str:
        """The text key of a canned reply: `canned-<key>` if shared, else `canned-<team>-<key>`."""
        return f"canned-{key}" if team == SHARED else f"canned-{team}-{key}"

    def canned_for(self, team: str | None, key: str) -> str | None:
        """The text key of the reply `key` on a case of `team`: the team's own first, then the
        shared one; None if neither has it."""
        if team is not None and key in self.canned.get(team, ()):
            return self.canned_key(team, key)
        if key in self.canned.get(SHARED, ()):
            return self.canned_key(SHARED, key)
        return None

    def canned_keys(self, team: str | None) -> list[str]:
        """The keys offered on a case of `team` (or, with None, the shared ones), in order."""
        keys = [*self.canned.get(SHARED, ()), *(self.canned.get(team, ()) if team else ())]
        return list(dict.fromkeys(keys))


def load(
    path: str | Path | None = None,
    *,
    questionnaire: Questionnaire,
    available: Mapping[str, set[str]],
) -> Routing:
    """Load and check the routing file (the default is the one shipped in this package)
    against the questionnaire and the texts of each of its languages."""
    if path is None:
        text = resources.files("dialogs").joinpath("routing.yaml").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RoutingError(f"not valid YAML ({type(error).__name__})") from None
    return parse(data, questionnaire=questionnaire, available=available)


def parse(data: Any, *, questionnaire: Questionnaire, available: Mapping[str, set[str]]) -> Routing:
    """Build the routing from plain data and check it; RoutingError names the first problem."""
    if not isinstance(data, Mapping):
        raise RoutingError("the routing file must be a mapping")
    try:
        teams = tuple(str(team) for team in data.get("teams") or ())
        rules = tuple(_parse_rule(number, raw) for number, raw in _numbered(data.get("rules")))
        tags = {str(tag): _parse_tag(tag, raw) for tag, raw in (data.get("tags") or {}).items()}
        outcomes = tuple(str(outcome) for outcome in data.get("outcomes") or ())
        canned = {
            str(team): tuple(str(key) for key in keys or ())
            for team, keys in (data.get("canned") or {}).items()
        }
    except (TypeError, KeyError, AttributeError) as error:
        raise RoutingError(f"malformed routing: {error}") from None
    routing = Routing(teams=teams, rules=rules, tags=tags, outcomes=outcomes, canned=canned)
    _check(routing, questionnaire, available)
    return routing


def _numbered(raw: Any) -> Iterable[tuple[int, Any]]:
    return enumerate(raw or (), start=1)


def _parse_rule(number: int, raw: Mapping[str, Any]) -> TeamRule:
    if not isinstance(raw, Mapping) or "team" not in raw:
        raise RoutingError(f"rule {number}: a rule needs a team")
    return TeamRule(
        team=str(raw["team"]),
        when=_condition(f"rule {number}", raw.get("when")),
        tags=tuple(str(tag) for tag in raw.get("tags") or ()),
    )


def _parse_tag(tag: Any, raw: Any) -> Condition:
    if not isinstance(raw, Mapping) or raw.get("when") is None:
        raise RoutingError(f"tag {tag!r}: a tag needs a condition (when)")
    return _condition(f"tag {tag!r}", raw["when"])


def _condition(where: str, raw: Any) -> Condition:
    try:
        return Condition.parse(raw)
    except TypeError as error:
        raise RoutingError(f"{where}: {error}") from None


def _check(routing: Routing, spec: Questionnaire, available: Mapping[str, set[str]]) -> None:
    problems: list[str] = []
    if not routing.teams:
        problems.append("no teams")
    problems.extend(
        f"team {team!r} is listed twice"
        for team in sorted(set(routing.teams))
        if routing.teams.count(team) > 1
    )
    problems.extend(
        f"team id {team!r} is not a short lower-case identifier"
        for team in routing.teams
        if not _ID.match(team)
    )
    problems.extend(
        f"tag id {tag!r} is not a short lower-case identifier"
        for tag in routing.tags
        if not _ID.match(tag)
    )
    problems.extend(
        f"outcome {outcome!r} is listed twice"
        for outcome in sorted(set(routing.outcomes))
        if routing.outcomes.count(outcome) > 1
    )
    problems.extend(
        f"outcome id {outcome!r} is not a short lower-case identifier"
        for outcome in routing.outcomes
        if not _ID.match(outcome)
    )
    problems.extend(
        f"canned: unknown team {team!r}"
        for team in routing.canned
        if team != SHARED and team not in routing.teams
    )
    problems.extend(
        f"canned {team}: key {key!r} is not a short lower-case identifier"
        for team, keys in routing.canned.items()
        for key in keys
        if not _ID.match(key)
    )
    if not routing.rules or not routing.rules[-1].when.is_always:
        problems.append("no default team: the last rule must have a team and no condition")
    for number, rule in enumerate(routing.rules, start=1):
        where = f"rule {number}"
        if rule.team not in routing.teams:
            problems.append(f"{where}: unknown team {rule.team!r}")
        problems.extend(f"{where}: unknown tag {t!r}" for t in rule.tags if t not in routing.tags)
        problems.extend(_condition_problems(where, rule.when, spec))
    for tag, when in routing.tags.items():
        problems.extend(_condition_problems(f"tag {tag!r}", when, spec))
    for lang in spec.languages:
        have = available.get(lang, set())
        problems.extend(f"{lang}: missing text {key}" for key in sorted(routing.text_keys() - have))
    if problems:
        raise RoutingError("; ".join(problems))


def _condition_problems(where: str, condition: Condition, spec: Questionnaire) -> list[str]:
    """A step the questionnaire does not have, or an option its step does not offer."""
    problems: list[str] = []
    for clause in condition.clauses:
        for step_id, values in clause:
            step = spec.steps.get(step_id)
            if step is None:
                problems.append(f"{where}: unknown step {step_id!r}")
                continue
            options = set(step.option_ids())
            problems.extend(
                f"{where}: step {step_id!r} has no option {value!r}"
                for value in sorted(values - options)
            )
    return problems
