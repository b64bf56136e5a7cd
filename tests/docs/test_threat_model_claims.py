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
            names = {
                n.name
                for n in ast.walk(tree)
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
            assert name in names, f"{path}::{name} is cited but does not exist"


def test_every_test_the_guarantees_cite_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Guarantees", 1)[1].split("\n## ", 1)[0]
    citations = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", section)
    assert len(citations) >= 8
    for path, name in citations:
        source = ROOT / path
        assert source.exists(), path
        if name:
            names = {n.name for n in ast.walk(ast.parse(source.read_text(encoding="utf-8")))
                     if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}  # fmt: skip
            assert name in names, f"{path}::{name}"
