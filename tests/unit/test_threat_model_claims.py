"""Every test the threat model cites exists, so the document cannot drift from the suite."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_cited_test_exists() -> None:
    text = (ROOT / "docs" / "threat-model.md").read_text(encoding="utf-8")
    citations = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?", text)
    assert len(citations) >= 10
    for path, name in citations:
        source = ROOT / path
        assert source.exists(), f"{path} is cited but does not exist"
        if name:
            tree = ast.parse(source.read_text(encoding="utf-8"))
            names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
            assert name in names, f"{path}::{name} is cited but does not exist"
