"""--relax: the closest plan when the rules cannot all hold, in the order of their priorities.

Each relaxable rule's shortfall is counted in people (`SatBuilder.require(..., unit=)`) and the
rules are relaxed lexicographically: no amount of shortfall at a lower priority is traded for
one person of a higher one (HR's pins before exam subjects before teams before ratios…).
Weights alone cannot say that at district scale without overflowing CP-SAT's 64-bit objective,
so the levels are solved one after another, highest first, each fixing the best total it
reaches, every solve hinted with the last solution; then the soft goals are optimised among
the plans with those shortfalls. A district whose rules can all hold needs one solve only.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from models.plan import SolveOptions
from models.rules import RULES
from solvers.sat import LinearTerms, SatPlanModel, sat_parameters

_SOLVED = (cp_model.OPTIMAL, cp_model.FEASIBLE)


def solve_relaxed(
    built: SatPlanModel, options: SolveOptions
) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
    """The solver holding the closest plan and its status (FEASIBLE when any level was cut
    short by the time limit: then the order is kept but not proven best)."""
    model = built.sat_model
    solver = sat_parameters(options)
    code = solver.solve(model)
    if code not in _SOLVED or not _short(built, solver):
        return solver, code
    levels: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for slack in built.slacks:
        priority = RULES[slack.instance.rule].relax_priority
        assert priority is not None
        levels[priority] += slack.variables
    proven = True
    for priority in sorted(levels, reverse=True):
        variables = levels[priority]
        _hint(model, solver)
        least = LinearTerms()
        least.add_all(variables, [-1] * len(variables))
        least.maximize(model)  # maximise −shortfall
        trial = sat_parameters(options)
        code = trial.solve(model)
        if code not in _SOLVED:
            break  # out of time with nothing better: keep the last solution's totals
        solver, proven = trial, proven and code == cp_model.OPTIMAL
        model.add(cp_model.LinearExpr.sum(variables) <= sum(solver.value(v) for v in variables))
    _hint(model, solver)
    assert built.objective is not None
    built.objective.maximize(model)
    final = sat_parameters(options)
    code = final.solve(model)
    if code not in _SOLVED:  # the time ran out: the last level's solution still holds
        return solver, cp_model.FEASIBLE
    return final, code if proven else cp_model.FEASIBLE


def _short(built: SatPlanModel, solver: cp_model.CpSolver) -> bool:
    return any(solver.value(v) for slack in built.slacks for v in slack.variables)


def _hint(model: cp_model.CpModel, solver: cp_model.CpSolver) -> None:
    """Start the next solve from this solution (every variable)."""
    values = list(solver.response_proto.solution)
    model.proto.clear_solution_hint()
    hint = model.proto.solution_hint
    hint.vars.extend(range(len(values)))
    hint.values.extend(values)
