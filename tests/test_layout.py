"""The one dependency rule: the core and the knowledge base never import a platform."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLATFORMS = {"telegram", "nio"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "bot").glob("*.py")) + sorted((ROOT / "faq").glob("*.py")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_core_never_imports_a_platform(path: Path) -> None:
    assert not imported_modules(path) & PLATFORMS
