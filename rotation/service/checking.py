"""Checking without planning anew: explain (can the rules all hold?), check (does a plan meet
every rule?) and advance (next year's data from this year's approved plan)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models import District
from models.advance import advance as advance_district
from models.explain import PassedOver, seniority_pairs
from models.plan import Plan, RuleCheck, SolveOptions, SolveResult
from models.rules import check_plan, violations
from rotation.formats.planio import read_plan
from rotation.formats.reading import read_district
from rotation.formats.template import write_filled_workbook
from rotation.formats.writing import write_district
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
    """A plan re-checked against the data: `checks` is None when the years differ."""

    district: District
    plan: Plan
    checks: list[RuleCheck] | None


def check_plan_file(input: Path, plan_file: Path, *, year: int | None) -> PlanCheck:
    """`rotation check`: every rule instance checked on a plan JSON or 审批表, no solver."""
    district = read_district(input, year=year)
    the_plan = read_plan(plan_file)
    if the_plan.rotations and the_plan.plan_year != district.plan_year:
        return PlanCheck(district, the_plan, None)
    return PlanCheck(district, the_plan, check_plan(district, the_plan))


@dataclass(frozen=True)
class Approved:
    """This year's data and approved plan, and how many rule checks the plan fails."""

    district: District
    plan: Plan
    broken: int


def read_approved(input: Path, plan_file: Path, *, year: int | None) -> Approved:
    """`rotation advance`, first step: the data and the approved plan, checked."""
    district = read_district(input, year=year)
    the_plan = read_plan(plan_file)
    return Approved(district, the_plan, len(violations(district, the_plan)))


def write_next_year(approved: Approved, output: Path, *, force: bool) -> District:
    """`rotation advance`, second step: next year's data, written to `output`."""
    following = advance_district(approved.district, approved.plan)
    if output.suffix.lower() == ".xlsx":  # the clerk fills it in next: as good as the template
        write_filled_workbook(following, output, force=force)
    else:
        write_district(following, output, force=force)
    return following
