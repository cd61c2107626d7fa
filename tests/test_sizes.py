"""Small modules a newcomer can read: no module over 400 lines, no class over 250."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCES = sorted([*(REPO / "ferbench").rglob("*.py"), *(REPO / "methods").glob("*.py"),
                  *(REPO / "datasets").glob("*.py")])
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 250


def oversized(path: Path) -> list[str]:
    """What in ``path`` is over the limits, as ``path: what (lines)``."""
    text = path.read_text()
    found = []
    if len(text.splitlines()) > MAX_MODULE_LINES:
        found.append(f"{path}: module ({len(text.splitlines())} lines)")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
            lines = node.end_lineno - node.lineno + 1
            if lines > MAX_CLASS_LINES:
                found.append(f"{path}: class {node.name} ({lines} lines)")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_module_and_classes_are_small(path):
    assert not oversized(path)


def test_the_size_check_can_fail(tmp_path):
    big = tmp_path / "big.py"
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_CLASS_LINES))
    big.write_text(f"class Big:\n{body}\n" + "\n" * MAX_MODULE_LINES)
    assert oversized(big) == [f"{big}: module ({MAX_MODULE_LINES + MAX_CLASS_LINES + 1} lines)",
                              f"{big}: class Big ({MAX_CLASS_LINES + 1} lines)"]
