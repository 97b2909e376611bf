"""Checking without planning anew: explain (can the rules all hold?) and check (does a plan meet
every rule?). Next year's data is advancing.py's: it writes workbooks, which these never do
(so neither they nor `rotation explain`/`check` load the Excel writer)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models import District
from models.explain import PassedOver, seniority_pairs
from models.plan import Plan, RuleCheck, SolveOptions, SolveResult
from models.rules import check_plan
from rotation.formats.planio import read_plan_file
from rotation.formats.reading import read_district
from rotation.reports.approval_audit import audit_workbook
from solvers.solve import solve


@dataclass(frozen=True)
class Explanation:
    """Whether the rules can all hold: the solve result, and where the plan departs from
    seniority (only when it was found)."""

    district: District
    result: SolveResult
    pairs: list[PassedOver]


def explain_input(input: Path, *, year: int | None, workers: int) -> Explanation:
    """`rotation explain`: solve, naming the minimal conflicts when the rules cannot all hold."""
    district = read_district(input, year=year)
    result = solve(district, SolveOptions(workers=workers))
    feasible = result.status not in ("infeasible", "unknown")
    pairs = seniority_pairs(district, result.plan) if feasible else []
    return Explanation(district, result, pairs)


@dataclass(frozen=True)
class PlanCheck:
    """A plan re-checked against the data: `checks` is None when the years differ; `plan_id`
    is the one the plan file carries (None for files without one); `mismatches` are the cells
    of a 审批表 that do not say what the data says (and 公示名单 rows that are not 交流名单's),
    each a Chinese sentence naming sheet, row and column."""

    district: District
    plan: Plan
    checks: list[RuleCheck] | None
    plan_id: str | None = None
    mismatches: tuple[str, ...] = ()


def check_plan_file(input: Path, plan_file: Path, *, year: int | None) -> PlanCheck:
    """`rotation check`: every rule instance checked on a plan JSON or 审批表, no solver (and
    its plan_id compared with the other file of its pair beside it); on a 审批表, also every
    column a reader compares, against the data."""
    district = read_district(input, year=year)
    workbook = Path(plan_file).suffix.lower() in (".xlsx", ".xlsm")
    read = read_plan_file(plan_file, lenient_years=workbook)  # the audit names such cells
    the_plan = read.plan
    mismatches = tuple(audit_workbook(district, Path(plan_file))) if workbook else ()
    if the_plan.rotations and the_plan.plan_year != district.plan_year:
        return PlanCheck(district, the_plan, None, read.plan_id, mismatches)
    return PlanCheck(district, the_plan, check_plan(district, the_plan), read.plan_id, mismatches)
