"""The one dependency rule: the core and the knowledge base never import a platform."""

from __future__ import annotations

import ast
import re
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


TEXT_FILES = [
    path for pattern in ("*.md", "*.toml", "*.py", "*.js", "Makefile", ".ci/run")
    for path in ROOT.rglob(pattern)
    if not {".venv", ".peers", ".git", ".pytest_cache", "build"} & set(path.relative_to(ROOT).parts)
]


@pytest.mark.parametrize("path", sorted(TEXT_FILES), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_repository_stands_on_its_own(path: Path) -> None:
    """Every document a file refers to is in the repository, where it says."""
    text = path.read_text(encoding="utf-8")
    outside = ("../" + "shared", "shared/" + "seed")  # split, so this file does not match
    assert not any(folder in text for folder in outside)
    for name in re.findall(r"[\w./-]*\b[A-Z]+\.md\b", text):
        candidates = [path.parent / name, ROOT / name, ROOT / "docs" / name]
        assert any(c.exists() for c in candidates), f"{path.name} refers to {name}, not here"
