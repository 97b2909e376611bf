"""Solver statuses in the plan's words, and how the statuses of independent parts combine.

Every place that solves parts (components, horizon components, HiGHS peers) reads statuses here,
so that "the worst part decides" means the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from models.plan import PlanStatus

#: CP-SAT's answer as a plan status; an invalid model is reported as "no plan found".
SAT_STATUS: dict[cp_model.CpSolverStatus, PlanStatus] = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "unknown",
    cp_model.UNKNOWN: "unknown",
}

#: HiGHS's answer (through OR-Tools' linear solver) as a plan status; anything else is "unknown".
MIP_STATUS: dict[int, PlanStatus] = {
    pywraplp.Solver.OPTIMAL: "optimal",
    pywraplp.Solver.FEASIBLE: "feasible",
    pywraplp.Solver.INFEASIBLE: "infeasible",
}

#: Worst first: one infeasible part makes the whole infeasible, one unsolved part leaves it
#: without a plan, one unproven part leaves it unproven.
SEVERITY: tuple[PlanStatus, ...] = ("infeasible", "unknown", "feasible", "optimal")


def sat_status(code: cp_model.CpSolverStatus) -> PlanStatus:
    """The plan status of one CP-SAT solve."""
    return SAT_STATUS[code]


def mip_status(code: int) -> PlanStatus:
    """The plan status of one HiGHS solve."""
    return MIP_STATUS.get(code, "unknown")


def worst_status(statuses: Iterable[PlanStatus]) -> PlanStatus:
    """The status of a whole made of parts: the worst part's ("optimal" when there are none)."""
    present = set(statuses)
    return next((s for s in SEVERITY if s in present), "optimal")
