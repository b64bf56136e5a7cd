"""Conditions on earlier answers, the only logic the questionnaire data may contain.

`{status: abroad}` or `{help: [legal, asylum]}`; several keys must all match; a list of such
maps matches when any of them does. Keeping the language this small keeps the data reviewable
by caseworkers, not only by programmers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

Clause = tuple[tuple[str, frozenset[str]], ...]


@dataclass(frozen=True)
class Condition:
    """Any-of a set of clauses; each clause is all-of its (step, accepted values) pairs."""

    clauses: tuple[Clause, ...]
    empty_matches: bool = True

    @classmethod
    def always(cls) -> Condition:
        return cls(clauses=(), empty_matches=True)

    @classmethod
    def never(cls) -> Condition:
        return cls(clauses=(), empty_matches=False)

    @classmethod
    def parse(cls, raw: Any, *, empty_matches: bool = True) -> Condition:
        if raw is None:
            return cls(clauses=(), empty_matches=empty_matches)
        maps = raw if isinstance(raw, list) else [raw]
        clauses: list[Clause] = []
        for item in maps:
            if not isinstance(item, Mapping) or not item:
                raise TypeError(f"a condition must be a non-empty mapping, got {item!r}")
            clauses.append(tuple((str(k), _values(v)) for k, v in item.items()))
        return cls(clauses=tuple(clauses), empty_matches=empty_matches)

    @property
    def is_always(self) -> bool:
        return not self.clauses and self.empty_matches

    @property
    def is_never(self) -> bool:
        return not self.clauses and not self.empty_matches

    def matches(self, answers: Mapping[str, Any]) -> bool:
        if not self.clauses:
            return self.empty_matches
        return any(_clause_matches(clause, answers) for clause in self.clauses)

    def steps(self) -> Iterator[str]:
        for clause in self.clauses:
            for step_id, _ in clause:
                yield step_id

    def describe(self) -> str:
        """A compact human form for diagrams: `status=abroad | location=abroad`."""
        return " | ".join(
            " & ".join(f"{step}={'/'.join(sorted(values))}" for step, values in clause)
            for clause in self.clauses
        )


def _values(raw: Any) -> frozenset[str]:
    items = raw if isinstance(raw, list) else [raw]
    return frozenset(_as_text(item) for item in items)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _clause_matches(clause: Clause, answers: Mapping[str, Any]) -> bool:
    for step_id, accepted in clause:
        answer = answers.get(step_id)
        given = {str(a) for a in answer} if isinstance(answer, list) else {_as_text(answer)}
        if answer is None or not (given & accepted):
            return False
    return True
