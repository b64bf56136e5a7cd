"""The questionnaire's diagram in docs/ is drawn from the shipped data, so it cannot go stale."""

from __future__ import annotations

from pathlib import Path

from dialogs import diagram
from dialogs.spec import load


def test_the_diagram_in_docs_is_in_step_with_the_data() -> None:
    drawn = Path(__file__).resolve().parents[2] / "docs" / "questionnaire.mmd"
    assert drawn.read_text(encoding="utf-8") == diagram.mermaid(load()), (
        "docs/questionnaire.mmd is stale: run `python -m dialogs.diagram`"
    )
