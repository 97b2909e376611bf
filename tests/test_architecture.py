"""Imports flow one way: rotation → solvers → models; models stays free of OR-Tools and pandas."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: What each package may not import (top-level module names).
FORBIDDEN: dict[str, set[str]] = {
    "models": {
        "rotation",
        "solvers",
        "ortools",
        "pandas",
        "numpy",
        "openpyxl",
        "python_calamine",
        "typer",
    },
    "solvers": {"rotation", "pandas", "openpyxl", "python_calamine", "typer"},
    "rotation": set(),
}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports, anywhere in it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_import_direction(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & FORBIDDEN[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}


def test_solvers_touch_no_files() -> None:
    """solvers never opens files: no open(), Path.read_*/write_* calls in its source."""
    for path in sorted((ROOT / "solvers").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for needle in ("open(", ".read_text(", ".write_text(", ".read_bytes(", ".write_bytes("):
            assert needle not in text, f"{path.name} uses {needle}"


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The scan itself works: a file importing pandas is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import pandas as pd\nfrom ortools.sat.python import cp_model\n", encoding="utf-8"
    )
    assert imported_modules(bad) == {"pandas", "ortools"}
