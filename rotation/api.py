"""The public Python API: the yearly job as plain functions, for scripts and notebooks.

The command line and (next) the web application stand on the same service layer; these are its
stable entry points. Nothing here prints; every function returns data.

    from rotation import api

    district = api.read("闵行区.xlsx")                  # every input problem at once, or InputError
    result = api.plan(district)                          # never raises: see result.status
    if result.status == "infeasible":
        print(*(c.message for c in result.conflicts), sep="\\n")
    api.write(district, result, "审批表.xlsx", "方案.json")
    failing = [c for c in api.check(district, result.plan) if not c.ok]
    edited = api.compare_workbook(district, "审批表.xlsx")  # names, schools, 公示名单 vs the data
    frames = api.frames(district, result)                # pandas: 交流名单, 学校汇总, 规则核查…
    next_year = api.advance(district, result.plan)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from models import District
from models.advance import advance as _advance
from models.plan import Conflict, Plan, RuleCheck, SolveOptions, SolveResult
from models.rules import check_plan
from rotation.formats.planio import read_plan as _read_plan
from rotation.formats.reading import input_sha256, read_district
from rotation.formats.writing import write_district
from rotation.reports.approval_audit import audit_workbook
from rotation.service.planning import solve_district, write_plan

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "advance",
    "check",
    "compare_workbook",
    "explain",
    "frames",
    "plan",
    "read",
    "read_plan",
    "save_district",
    "write",
]


def read(path: str | Path, *, year: int | None = None) -> District:
    """A district from its workbook (.xlsx), CSV folder or JSON; `year` overrides plan_year.
    Raises models.InputError listing every problem (sheet, Excel row, column) at once."""
    return read_district(Path(path), year=year)


def plan(
    district: District,
    *,
    time_limit: float = 60.0,
    workers: int = 0,
    relax: bool = False,
    reference: Plan | None = None,
) -> SolveResult:
    """The best plan for the district's plan year; never raises for infeasible or timed-out
    runs (`status` says, `conflicts` names the colliding rules, `shortfalls` under relax)."""
    options = SolveOptions(time_limit=time_limit, workers=workers, relax=relax, reference=reference)
    return solve_district(district, options)[0]


def check(district: District, plan: Plan) -> list[RuleCheck]:
    """Every rule instance checked on a plan without the solver (`ok` False where it fails)."""
    return check_plan(district, plan)


def compare_workbook(district: District, approval: str | Path) -> list[str]:
    """What `rotation check` adds on a 审批表, perhaps edited in Excel: every cell a reader can
    compare (names, schools, terms…) that differs from the data, and every 公示名单 row that is
    not 交流名单's, each a Chinese sentence naming sheet, row and column (empty when all match)."""
    return audit_workbook(district, Path(approval))


def explain(district: District, *, workers: int = 0) -> list[Conflict]:
    """The minimal sets of rule instances that cannot hold together (empty when all can)."""
    result = solve_district(district, SolveOptions(workers=workers, explain=True))[0]
    return list(result.conflicts)


def advance(district: District, approved: Plan) -> District:
    """Next school year's data from this year's approved plan: new rotations become ongoing,
    finished ones come home, everyone's years at school grow by one."""
    return _advance(district, approved)


def write(
    district: District,
    result: SolveResult,
    approval: str | Path,
    json: str | Path | None = None,
    *,
    force: bool = False,
    reference: Plan | None = None,
) -> list[RuleCheck]:
    """The 审批表 (and the plan JSON) of a solved plan; returns the rule checks written.
    Both carry one plan_id and are put in place together. An existing regular file is replaced
    only with `force` (rotation.formats.safe_write.OutputExists); a folder, a device or the
    same path twice never (OutputRefused); a disk refusing the write raises WriteFailed."""
    return write_plan(
        district,
        result,
        Path(approval),
        Path(json) if json is not None else None,
        force=force,
        reference=reference,
    )


def read_plan(path: str | Path) -> Plan:
    """A plan back from its JSON or from a 审批表 (as `rotation check` reads it)."""
    return _read_plan(Path(path))


def save_district(district: District, path: str | Path, *, force: bool = False) -> str:
    """The district as a workbook, CSV folder or JSON (by the path's suffix); its SHA-256."""
    write_district(district, Path(path), force=force)
    return input_sha256(Path(path))


def frames(
    district: District, result: SolveResult, *, reference: Plan | None = None
) -> dict[str, pd.DataFrame]:
    """The 审批表's sheets as pandas data frames, by sheet name, plus 规则核查(ids) — every rule
    check with the ids of its scope — and 交流名单(ids), the rotations as the plan JSON has them.
    pandas is loaded only when this is called."""
    from rotation.reports.frames import approval_frames, compliance_frame, rotations_frame

    checks = check_plan(district, result.plan)
    tables = approval_frames(district, result, checks, reference=reference)
    tables["规则核查(ids)"] = compliance_frame(checks)
    tables["交流名单(ids)"] = rotations_frame(result.plan)
    return tables
