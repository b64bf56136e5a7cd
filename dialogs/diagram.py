"""A Mermaid drawing of the questionnaire, generated from the same data the engine runs.

`python -m dialogs.diagram` rewrites docs/questionnaire.mmd; a test fails when it is stale.
Only forward moves are drawn: `back` and the review screen's `edit` would hide the shape.
"""

from __future__ import annotations

import sys
from pathlib import Path

from transitions.extensions import GraphMachine

from dialogs.engine import SUBMITTED, Engine
from dialogs.spec import REVIEW, Questionnaire, load

DEFAULT_OUTPUT = Path("docs/questionnaire.mmd")


class _Stub:
    """GraphMachine needs a model to draw; this one never answers anything."""


def mermaid(spec: Questionnaire) -> str:
    engine = Engine(spec)
    forward = [t for t in engine.transition_table() if t["trigger"] in ("answer", "submit")]
    for transition in forward:
        transition.pop("after", None)
        transition["conditions"] = [
            c for c in transition.get("conditions", []) if c.__name__ != "otherwise"
        ]
    machine = GraphMachine(
        model=_Stub(),
        states=[*spec.steps, REVIEW, SUBMITTED],
        transitions=forward,
        initial=spec.start,
        auto_transitions=False,
        graph_engine="mermaid",
        show_conditions=True,
        title="Intake questionnaire",
    )
    text = machine.get_graph().draw(None)
    return "\n".join(line.rstrip() for line in str(text).splitlines()) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0]) if args else DEFAULT_OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(mermaid(load()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
