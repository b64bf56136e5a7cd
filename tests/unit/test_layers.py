"""The packages and which may import which (README "How it is built"), read from the code.

A rule here is what keeps a web door, a second bot and team queues additions rather than
rewrites: casework/ must never learn of Telegram, handlers must go through casework.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("bot", "casework", "dialogs", "locales", "localapi", "storage", "web")

# Which of our packages each package may import (itself always).
MAY_IMPORT: dict[str, set[str]] = {
    "dialogs": set(),
    "locales": set(),
    "storage": set(),
    "casework": {"dialogs", "locales", "storage"},
    "bot": {"casework", "dialogs", "locales", "storage", "localapi", "web"},
    "localapi": set(),
    # The web door: a transport like bot/, wired by bot.services and started by bot.__main__.
    "web": {"bot", "casework", "dialogs", "locales", "storage"},
}
TELEGRAM_FREE = ("casework", "dialogs", "locales", "storage")
THIRD_PARTY_TELEGRAM = ("telegram", "localapi")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # alembic's scripts, loaded by file, not by import
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Every module this file names in an import, at any depth (TYPE_CHECKING too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                names.add(candidate if candidate in MODULES else node.module)
    return names


GRAPH = {name: {i for i in _imports(path) if i in MODULES} for name, path in MODULES.items()}
EXTERNAL = {name: _imports(path) for name, path in MODULES.items()}


def _package(module: str) -> str:
    return module.split(".")[0]


def test_each_package_imports_only_what_it_may() -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if _package(target) != _package(module)
        and _package(target) not in MAY_IMPORT[_package(module)]
    )
    assert not wrong


def test_the_layers_below_the_transport_know_no_telegram() -> None:
    wrong = sorted(
        f"{module} imports {name}"
        for module, names in EXTERNAL.items()
        if _package(module) in TELEGRAM_FREE
        for name in names
        if name.split(".")[0] in THIRD_PARTY_TELEGRAM
    )
    assert not wrong


def test_no_handler_imports_storage() -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module.startswith("bot.handlers")
        for target in targets
        if _package(target) == "storage"
    )
    assert not wrong


def test_only_the_demo_runs_the_local_bot_api_server() -> None:
    users = sorted(
        module
        for module, targets in GRAPH.items()
        if _package(module) != "localapi" and any(_package(t) == "localapi" for t in targets)
    )
    assert users == ["bot.demo"]


def test_no_module_of_the_product_imports_in_a_circle() -> None:
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    # A package's own __init__ importing its modules is how a package is made, not a circle.
    real = [c for c in circles if not all(m == c[0] or m.startswith(c[0] + ".") for m in c)]
    assert not real, " | ".join(" -> ".join(c) for c in real)


def test_the_readme_diagram_draws_exactly_the_arrows_allowed_here() -> None:
    """README's "How it is built" shows which package may import which: the same as MAY_IMPORT."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How it is built", 1)[1]
    chart = section.split("```mermaid", 1)[1].split("```", 1)[0]
    drawn = {
        (source, target)
        for source, target in re.findall(r"^\s*(\w+)\b.*?(?:--|\.-)>\s*(\w+)", chart, re.MULTILINE)
    }
    allowed = {(package, target) for package, targets in MAY_IMPORT.items() for target in targets}
    assert drawn == allowed
