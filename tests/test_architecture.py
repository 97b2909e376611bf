"""Imports flow one way: rotation → solvers → models; models stays free of OR-Tools and pandas.

Inside rotation, too: cli → service → scenarios, reports → formats, and samples and bench stay
off the main path (see README, "For developers")."""

from __future__ import annotations

import ast
import subprocess
import sys
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
        "sqlalchemy",
        "alembic",
    },
    "solvers": {"rotation", "pandas", "openpyxl", "python_calamine", "typer", "sqlalchemy"},
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


def imported_dotted(path: Path) -> set[str]:
    """Full dotted names of every module a file imports, anywhere in it (`from a.b import c`
    gives a.b and a.b.c: c may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


#: What each part of rotation may not import (dotted prefixes).
ROTATION_FORBIDDEN: dict[str, set[str]] = {
    "formats": {
        "rotation.cli",
        "rotation.service",
        "rotation.reports",
        "rotation.scenarios",
        "rotation.samples",
        "rotation.bench",
    },
    "reports": {"rotation.cli", "rotation.service", "rotation.samples", "rotation.bench"},
    "scenarios": {"rotation.cli", "rotation.service", "rotation.reports", "rotation.bench"},
    "samples": {
        "rotation.cli",
        "rotation.service",
        "rotation.reports",
        "rotation.scenarios",
        "rotation.bench",
    },
    "service": {"rotation.cli", "rotation.bench", "rotation.web"},
    "web": {
        "rotation.cli",
        "rotation.bench",
        "rotation.formats",
        "rotation.reports",
        "rotation.scenarios",
        "rotation.samples",
        "solvers",
    },
    "bench": {"rotation.cli"},
    "records": {
        "rotation.cli",
        "rotation.web",
        "rotation.service",
        "rotation.reports",
        "rotation.scenarios",
        "rotation.samples",
        "rotation.bench",
        "solvers",
    },
}


def _offenders(folder: Path, forbidden: set[str]) -> dict[str, list[str]]:
    found = {
        f"{folder.name}/{path.relative_to(folder)}": sorted(
            name
            for name in imported_dotted(path)
            if any(_under(name, prefix) for prefix in forbidden)
        )
        for path in sorted(folder.rglob("*.py"))
    }
    return {k: v for k, v in found.items() if v}


@pytest.mark.parametrize("part", sorted(ROTATION_FORBIDDEN))
def test_rotation_layers(part: str) -> None:
    assert (ROOT / "rotation" / part).is_dir()
    assert _offenders(ROOT / "rotation" / part, ROTATION_FORBIDDEN[part]) == {}


def test_the_cli_calls_the_service_layer_only() -> None:
    """Commands parse, call rotation.service, and print: from the rest of rotation they take only
    the exit codes and the OutputExists they report; the benchmark command calls rotation.bench."""
    allowed = (
        "rotation.cli",
        "rotation.service",
        "rotation.exit_codes",
        "rotation.formats.safe_write",
        "rotation.bench",
        "rotation.web",
    )
    found = {
        str(path.relative_to(ROOT)): sorted(
            name
            for name in imported_dotted(path)
            if (
                (_under(name, "rotation") and name != "rotation")
                and not any(_under(name, a) for a in allowed)
            )
            or _under(name, "solvers")
        )
        for path in sorted((ROOT / "rotation" / "cli").rglob("*.py"))
    }
    assert {k: v for k, v in found.items() if v} == {}


def test_only_the_cli_imports_typer() -> None:
    users = {
        str(path.relative_to(ROOT))
        for package in ("rotation", "models", "solvers")
        for path in (ROOT / package).rglob("*.py")
        if "typer" in imported_modules(path)
    }
    assert users and all(u.startswith("rotation/cli/") for u in users), sorted(users)


def test_only_the_web_serves_http() -> None:
    """FastAPI, Starlette, uvicorn and Jinja2 stay in rotation/web: the service layer they call
    is the command line's too."""
    web = {"fastapi", "starlette", "uvicorn", "jinja2", "markupsafe"}
    users = {
        str(path.relative_to(ROOT))
        for package in ("rotation", "models", "solvers")
        for path in (ROOT / package).rglob("*.py")
        if imported_modules(path) & web
    }
    assert users and all(u.startswith("rotation/web/") for u in users), sorted(users)


def test_only_the_records_use_the_database() -> None:
    """SQLAlchemy and Alembic stay in rotation/records (models, the data it keeps, do not
    know them); the rest of rotation reaches the database through the records' functions."""
    database = {"sqlalchemy", "alembic", "psycopg"}
    users = {
        str(path.relative_to(ROOT))
        for package in ("rotation", "models", "solvers")
        for path in (ROOT / package).rglob("*.py")
        if imported_modules(path) & database
    }
    assert users and all(u.startswith("rotation/records/") for u in users), sorted(users)


def test_the_reader_does_not_import_the_writer() -> None:
    """The input tables are declared in formats/tables.py for both; the reader writes nothing."""
    writers = {
        "rotation.formats.writing",
        "rotation.formats.template",
        "rotation.formats.safe_write",
    }
    names = imported_dotted(ROOT / "rotation" / "formats" / "reading.py")
    assert "rotation.formats.tables" in names
    assert not {n for n in names if any(_under(n, w) for w in writers)}


def test_the_layer_checker_sees_a_violation(tmp_path: Path) -> None:
    """The scan itself works: a report importing the service is caught."""
    (tmp_path / "bad.py").write_text(
        "from rotation.service import planning\nimport rotation.formats.tables\n", encoding="utf-8"
    )
    assert _offenders(tmp_path, ROTATION_FORBIDDEN["reports"]) == {
        f"{tmp_path.name}/bad.py": ["rotation.service", "rotation.service.planning"]
    }


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


def test_pandas_only_in_the_data_frame_views() -> None:
    """pandas is for analysts' views of a plan, never on the reading or planning path."""
    users = {
        str(path.relative_to(ROOT))
        for package in ("rotation", "models", "solvers")
        for path in (ROOT / package).rglob("*.py")
        if "pandas" in imported_modules(path)
    }
    assert users == {"rotation/reports/frames.py", "rotation/api.py"}


def test_explain_and_check_do_not_load_the_excel_writer() -> None:
    """`rotation explain` and `rotation check` write no workbook, so their service module does
    not load openpyxl (≈ 0.25 s of every start); checked in a fresh interpreter, where nothing
    else has loaded it yet."""
    code = "import sys, rotation.service.checking; print('openpyxl' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False"
